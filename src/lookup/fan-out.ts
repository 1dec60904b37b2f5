/**
 * Consults the planned sources in parallel, each within its own timeout and all within the
 * lookup's deadline: the answer time is set by the broker, never by the slowest system. A
 * circuit breaker per source (cockatiel) answers `unavailable` at once while a source is down
 * and lets one probe through after a pause. Nothing is retried: a retry storm against a
 * struggling source helps no one, and the caller can look up again.
 */
import { BrokenCircuitError, type CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult } from 'cockatiel';
import type { SourceCase, SourceOutcome } from '../../adapters/source.js';
import type { Source } from './sources.js';
import { timeLimit } from './time-limit.js';

export type ConsultationOutcome =
  | { status: 'found'; cases: SourceCase[]; notes: string[] }
  | { status: 'not-found'; notes: string[] }
  | { status: 'unavailable'; reason: string }
  | { status: 'timeout'; reason: string }
  | { status: 'error'; reason: string };

export interface TimedOutcome {
  readonly outcome: ConsultationOutcome;
  readonly durationMs: number;
}

export interface SourceBreakers {
  breakerFor(sourceId: string): CircuitBreakerPolicy;
  /** Each source's breaker state, for the metrics (sources not yet consulted are absent). */
  states(): Array<[string, 'closed' | 'half-open' | 'open' | 'isolated']>;
}

const STATE_NAMES = { [CircuitState.Closed]: 'closed', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Open]: 'open', [CircuitState.Isolated]: 'isolated' } as const;

// The breaker guards the answer time against sources that are down or hang. A source that
// answers quickly with something unusable (HTML, a Fault, another child) is reported as `error`
// each time but costs no time, so it does not open the circuit.
const isFailure = (o: ConsultationOutcome) => o.status === 'unavailable' || o.status === 'timeout';

export function createSourceBreakers(options: { failuresToOpen?: number; halfOpenAfterMs?: number } = {}): SourceBreakers {
  const breakers = new Map<string, CircuitBreakerPolicy>();
  return {
    breakerFor(sourceId) {
      let breaker = breakers.get(sourceId);
      if (!breaker) {
        breaker = circuitBreaker(handleWhenResult((r) => isFailure(r as ConsultationOutcome)), {
          halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
          breaker: new ConsecutiveBreaker(options.failuresToOpen ?? 5),
        });
        breakers.set(sourceId, breaker);
      }
      return breaker;
    },
    states: () => [...breakers].map(([id, breaker]) => [id, STATE_NAMES[breaker.state]]),
  };
}

/**
 * One source, bounded by its timeout and the deadline. Resolves (never rejects) by the deadline
 * at the latest, even if the adapter ignores the abort signal.
 */
export async function consultSource(
  source: Source,
  query: { cpr: string; requestId: string },
  deadline: AbortSignal,
  breakers: SourceBreakers,
): Promise<TimedOutcome> {
  // Nothing left of the deadline: not asked, and not counted against the source's breaker.
  if (deadline.aborted) return { outcome: { status: 'timeout', reason: 'lookup deadline reached before the source could be asked' }, durationMs: 0 };
  const started = performance.now();
  const limit = timeLimit(source.config.timeoutMs, deadline);
  const signal = limit.signal;
  const timedOut = (): ConsultationOutcome => ({
    status: 'timeout',
    reason: limit.expired ? 'source did not answer within its timeout' : 'lookup deadline reached',
  });

  const call = breakers.breakerFor(source.config.id).execute(async (): Promise<ConsultationOutcome> => {
    const outcome: SourceOutcome = await source.adapter.lookup(query, signal);
    if (signal.aborted && outcome.status !== 'found' && outcome.status !== 'not-found') return timedOut();
    return outcome.status === 'found' || outcome.status === 'not-found' ? outcome : { status: outcome.status, reason: outcome.reason };
  });
  let onAbort: (() => void) | undefined;
  const stop = new Promise<ConsultationOutcome>((resolve) => {
    onAbort = () => resolve(timedOut());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  let outcome: ConsultationOutcome;
  try {
    outcome = await Promise.race([call, stop]);
  } catch (error) {
    outcome =
      error instanceof BrokenCircuitError
        ? { status: 'unavailable', reason: 'source is failing; circuit open, probing again shortly' }
        : { status: 'error', reason: 'adapter failure' };
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  // Once the adapter has settled too, the timer and the link to the deadline can go.
  void call.then(limit.release, limit.release);
  // A late answer after the race is settled must not surface as an unhandled rejection.
  call.catch(() => undefined);
  return { outcome, durationMs: Math.round((performance.now() - started) * 10) / 10 };
}
