/**
 * The broker's Prometheus metrics (prom-client), on one registry made by the composition root and
 * passed to what records into it; nothing uses prom-client's global default registry. Labels are
 * bounded and never about a person: route patterns (not paths), configured source ids, job and
 * queue names, MedCom acknowledgement codes.
 */
import { Counter, Gauge, Histogram, type Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds buckets for answers bounded by a deadline of a few seconds. */
const ANSWER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export type BreakerStateName = 'closed' | 'half-open' | 'open' | 'isolated';
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerStateName, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

export interface MedComMessageObservation {
  readonly direction: 'inbound' | 'outbound';
  readonly kind: 'care-communication' | 'acknowledgement';
  /** The acknowledgement code (ok, error, fatal-error, transient-error...), `none` before there is one. */
  readonly ackCode: string;
}

export interface BrokerMetrics {
  readonly registry: Registry;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  lookup(outcome: string, seconds: number): void;
  sourceOutcome(source: string, kind: string, status: string, seconds: number | null): void;
  auditBatch(size: number, seconds: number): void;
  jobRun(job: string, outcome: 'succeeded' | 'failed', seconds: number): void;
  medcomMessage(message: MedComMessageObservation): void;
  /** Read at each scrape: the state of each source's circuit breaker. */
  onBreakerStates(read: () => ReadonlyArray<readonly [string, BreakerStateName]>): void;
  /** Read at each scrape: jobs per queue and state, and the last success of each scheduled job. */
  onJobState(read: () => Promise<{ queues: ReadonlyArray<{ name: string; counts: Readonly<Record<string, number>> }>; lastSuccess: ReadonlyArray<{ name: string; at: Date | null }> }>): void;
}

/** HTTP methods as labels: anything else is one label, not whatever a client sent. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createMetrics(registry: Registry, options: { processMetrics?: boolean } = {}): BrokerMetrics {
  const registers = [registry];
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'broker_' });
  const requests = new Counter({ name: 'broker_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
  const requestSeconds = new Histogram({ name: 'broker_http_request_duration_seconds', help: 'Time from arrival to the answer, by method and route pattern', labelNames: ['method', 'route'], buckets: ANSWER_BUCKETS, registers });
  const lookupSeconds = new Histogram({ name: 'broker_lookup_duration_seconds', help: 'Lookup time from the request\'s arrival until its sources are done, by outcome', labelNames: ['outcome'], buckets: ANSWER_BUCKETS, registers });
  const sourceOutcomes = new Counter({ name: 'broker_lookup_source_outcomes_total', help: 'Per-source results of lookups, by source, kind and status', labelNames: ['source', 'kind', 'status'], registers });
  const sourceSeconds = new Histogram({ name: 'broker_lookup_source_duration_seconds', help: 'Time a consulted source took to answer (or be cut off), by source and kind', labelNames: ['source', 'kind'], buckets: ANSWER_BUCKETS, registers });
  const auditBatchSize = new Histogram({ name: 'broker_audit_batch_size', help: 'Audit records per group-committed batch', buckets: [1, 2, 5, 10, 20, 50, 100, 200], registers });
  const auditCommitSeconds = new Histogram({ name: 'broker_audit_commit_duration_seconds', help: 'Time to append and commit one audit batch', buckets: COMMIT_BUCKETS, registers });
  const jobRuns = new Counter({ name: 'broker_job_runs_total', help: 'Job runs, by job (queue) name and outcome', labelNames: ['job', 'outcome'], registers });
  const jobSeconds = new Histogram({ name: 'broker_job_run_duration_seconds', help: 'Time one job run took, by job name', labelNames: ['job'], buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800], registers });
  const medcom = new Counter({ name: 'broker_medcom_messages_total', help: 'MedCom messages, by direction, kind and acknowledgement code', labelNames: ['direction', 'kind', 'ack_code'], registers });

  let breakerStates: () => ReadonlyArray<readonly [string, BreakerStateName]> = () => [];
  new Gauge({
    name: 'broker_source_circuit_state',
    help: 'Circuit breaker of each source: 0 closed, 1 half-open, 2 open, 3 isolated',
    labelNames: ['source'],
    registers,
    collect() {
      this.reset();
      for (const [source, state] of breakerStates()) this.set({ source }, BREAKER_STATE_VALUES[state]);
    },
  });
  let jobState: Parameters<BrokerMetrics['onJobState']>[0] | null = null;
  const queueDepth = new Gauge({ name: 'broker_job_queue_depth', help: 'Jobs held by pg-boss, by queue and state (created, retry, active, failed)', labelNames: ['queue', 'state'], registers });
  const lastSuccess = new Gauge({ name: 'broker_job_last_success_timestamp_seconds', help: 'When each scheduled job last succeeded (Unix time; absent if never)', labelNames: ['job'], registers });
  // One database read serves both gauges at a scrape.
  new Gauge({
    name: 'broker_job_state_scrape_ok',
    help: '1 when the job state could be read from the database at this scrape, else 0',
    registers,
    async collect() {
      if (!jobState) return;
      try {
        const state = await jobState();
        queueDepth.reset();
        for (const q of state.queues) for (const s of ['created', 'retry', 'active', 'failed']) queueDepth.set({ queue: q.name, state: s }, q.counts[s] ?? 0);
        lastSuccess.reset();
        for (const j of state.lastSuccess) if (j.at) lastSuccess.set({ job: j.name }, j.at.getTime() / 1000);
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });

  return {
    registry,
    httpRequest(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : 'OTHER';
      requests.inc({ method: m, route, status: String(status) });
      requestSeconds.observe({ method: m, route }, seconds);
    },
    lookup(outcome, seconds) {
      lookupSeconds.observe({ outcome }, seconds);
    },
    sourceOutcome(source, kind, status, seconds) {
      sourceOutcomes.inc({ source, kind, status });
      if (seconds !== null) sourceSeconds.observe({ source, kind }, seconds);
    },
    auditBatch(size, seconds) {
      auditBatchSize.observe(size);
      auditCommitSeconds.observe(seconds);
    },
    jobRun(job, outcome, seconds) {
      jobRuns.inc({ job, outcome });
      jobSeconds.observe({ job }, seconds);
    },
    medcomMessage({ direction, kind, ackCode }) {
      medcom.inc({ direction, kind, ack_code: ackCode });
    },
    onBreakerStates(read) {
      breakerStates = read;
    },
    onJobState(read) {
      jobState = read;
    },
  };
}
