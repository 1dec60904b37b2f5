/**
 * A time limit as an AbortSignal that can be released as soon as the work is done.
 *
 * Why not AbortSignal.timeout() and AbortSignal.any(): on Node 20 their combination keeps every
 * signal alive (about 800 bytes each, measured), so a broker doing hundreds of lookups a second
 * grew without bound. A controller with a cleared timer and a removed listener leaves nothing.
 */
export interface TimeLimit {
  readonly signal: AbortSignal;
  /** True when this limit's own timer fired (not the parent's). */
  readonly expired: boolean;
  /** Clears the timer and detaches from the parent; call when the work is done. */
  release(): void;
}

export function timeLimit(ms: number, parent?: AbortSignal): TimeLimit {
  const controller = new AbortController();
  let expired = ms <= 0;
  // No time at all: aborted now, not on the next turn of the event loop.
  if (expired) controller.abort();
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, Math.max(0, ms));
  const onParentAbort = () => controller.abort();
  if (parent?.aborted) controller.abort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    release() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * The time an answer needs after its sources have answered (the audit commit, serialising and
 * writing the response), learned from recent lookups: the highest of the last `window`
 * observations plus a little, never below `minMs`. A deadline keeps this much back from the
 * sources, so the slower the commit runs on this machine, the earlier the sources are cut off.
 */
export interface AnswerReserve {
  /** Records how long one answer took after its sources. */
  observe(ms: number): void;
  /** The time to keep back for a lookup with this deadline (at most half of it). */
  forDeadline(deadlineMs: number): number;
}

export function createAnswerReserve(options: { minMs?: number; slackMs?: number; window?: number } = {}): AnswerReserve {
  const minMs = options.minMs ?? 50;
  const slackMs = options.slackMs ?? 10;
  const window = options.window ?? 32;
  const recent: number[] = [];
  let next = 0;
  return {
    observe(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      if (recent.length < window) recent.push(ms);
      else recent[next] = ms;
      next = (next + 1) % window;
    },
    forDeadline(deadlineMs) {
      const high = recent.length > 0 ? Math.max(...recent) : 0;
      return Math.min(Math.ceil(deadlineMs / 2), Math.max(minMs, Math.ceil(high + slackMs)));
    },
  };
}

/** Time left until `receivedAt + deadlineMs` (performance.now() clock), less `reserveMs`; 0 at the least. */
export function remainingBudget(receivedAt: number, deadlineMs: number, reserveMs: number, now = performance.now()): number {
  return Math.max(0, Math.floor(receivedAt + deadlineMs - reserveMs - now));
}
