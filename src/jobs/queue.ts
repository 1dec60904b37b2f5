/**
 * The durable job queue: pg-boss in the broker's own database. pg-boss reaches PostgreSQL only
 * through our pool (its `db` option), so it works on embedded PGlite, which allows one
 * connection, and a job sent with `{ trx }` is inserted by the business transaction itself:
 * the job exists if and only if the business write committed.
 *
 * Periodic work runs here too, on pg-boss's own scheduler: a cron schedule in a time zone, kept
 * in the database, turned into one job per due time however many instances run (pg-boss lets one
 * instance at a time look at the schedules, and dedupes a due time for a minute), worked by one
 * instance, retried by the job's policy. Each scheduled run's outcome is kept in `job_run`.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import { recordRunFinished, recordRunStarted } from './job-runs.js';
import { assertSchedule, type JobSchedule } from './schedule.js';

/** A job kind: its queue name, retry policy and handler, declared in one file per job. */
export interface JobDefinition<T extends object> {
  readonly name: string;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  /** How long a job may stay active before pg-boss treats its worker as dead and retries it. */
  readonly expireInSeconds: number;
  /** Queue that receives the job's data once its retries are exhausted (or its last try expired). */
  readonly deadLetter?: string;
  /** Handles one job; throwing schedules a retry. Must re-check state first: a job may run twice. */
  readonly handle: (data: T, job: { readonly id: string }) => Promise<void>;
}

/** What one run of a scheduled job did, for operators: small, and never about a person. */
export type JobRunSummary = Readonly<Record<string, string | number | boolean | null>>;

/**
 * A periodic job, declared in one file per job: typed data, when it runs, its retry policy, and
 * a handler that re-checks the state before acting (a run may be retried, or overlap a manual
 * one) and throws to be retried.
 */
export interface ScheduledJob<T extends object> {
  readonly name: string;
  readonly schedule: JobSchedule;
  readonly data: T;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  readonly expireInSeconds: number;
  readonly handle: (data: T, job: { readonly id: string }) => Promise<JobRunSummary>;
}

/** One job run as the metrics see it. */
export interface JobRunObservation {
  readonly name: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly seconds: number;
}

export interface SendJobOptions {
  /** The transaction the job joins (recommended: enqueue with the business write). */
  readonly trx?: Kysely<Database>;
  readonly startAfterSeconds?: number;
  /** At most one queued job with this key (pg-boss singletonKey). */
  readonly singletonKey?: string;
}

export interface JobQueue {
  readonly boss: PgBoss;
  register<T extends object>(definition: JobDefinition<T>): void;
  /** Runs the job on its schedule (from the next start on); replaces an earlier schedule of that name. */
  schedule<T extends object>(job: ScheduledJob<T>): void;
  /** Removes a schedule kept in the database (a job no longer configured), at the next start. */
  unschedule(name: string): void;
  /** The scheduled jobs of this instance, by name. */
  scheduled(): ReadonlyArray<Pick<ScheduledJob<object>, 'name' | 'schedule'>>;
  send<T extends object>(definition: JobDefinition<T>, data: T, options?: SendJobOptions): Promise<string | null>;
  /**
   * Wakes this process's worker for the queue instead of letting it sleep until its next poll.
   * Call after the transaction that enqueued the job has committed.
   */
  wake(definition: Pick<JobDefinition<object>, 'name'>): void;
  /** Creates the queues and starts polling. */
  start(): Promise<void>;
  /** Stops polling and waits for running jobs (up to the timeout). */
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  readonly pool: pg.Pool;
  /** Where scheduled runs are recorded (job_run). */
  readonly db: Kysely<Database>;
  /** Told of every job run (metrics). */
  readonly observe?: (run: JobRunObservation) => void;
  /** How often one instance checks the schedules for due jobs (pg-boss: 1 to 45 s). */
  readonly cronMonitorIntervalSeconds?: number;
  /** How often due scheduled jobs are turned into jobs (pg-boss: 1 to 45 s). */
  readonly cronWorkerIntervalSeconds?: number;
  readonly logger: Logger;
  readonly pollingIntervalSeconds?: number;
  /** How often pg-boss expires stuck jobs and archives old ones. */
  readonly maintenanceIntervalSeconds?: number;
  /** Jobs fetched and handled concurrently per queue. */
  readonly batchSize?: number;
  /** Whether this process works jobs (false: it only enqueues). */
  readonly work?: boolean;
  /**
   * Serialise start-up with other instances through a PostgreSQL advisory lock. Instances started
   * at the same moment otherwise deadlock in pg-boss's queue creation. Needs a pool of more than
   * one connection (the lock holds one), so not on the embedded database, which has one process.
   */
  readonly startLock?: boolean;
}

// Arbitrary, fixed: the advisory lock every broker instance takes while creating its queues.
const START_LOCK_KEY = 0x62726b71; // "brkq"

/** pg-boss's `db` over a Kysely transaction, so `send` joins it. */
export function transactionDb(trx: Kysely<Database>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as unknown[] as object[] } as { rows: never[] };
    },
  };
}

export function createJobQueue(options: JobQueueOptions): JobQueue {
  let pendingSql = 0;
  const wake = (name: string): void => {
    const id = workers.get(name);
    if (id) boss.notifyWorker(id);
  };
  const { pool, logger } = options;
  const poolDb: PgBoss.Db = {
    async executeSql(text: string, values: unknown[]) {
      // After stop the pool may be gone; a completion lost here only means the job expires and,
      // being idempotent, runs again after the next start.
      if (closed) return { rows: [] };
      // Without values pg uses the simple protocol, which pg-boss needs for its BEGIN; ...; COMMIT blocks.
      pendingSql += 1;
      try {
        const result = values === undefined ? await pool.query(text) : await pool.query(text, values);
        return { rows: result.rows as never[] };
      } finally {
        pendingSql -= 1;
      }
    },
  };
  const boss = new PgBoss({
    db: poolDb,
    schedule: true,
    cronMonitorIntervalSeconds: options.cronMonitorIntervalSeconds ?? 30,
    cronWorkerIntervalSeconds: options.cronWorkerIntervalSeconds ?? 5,
    supervise: true,
    migrate: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
  });
  boss.on('error', (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'job queue error'));
  const definitions = new Map<string, JobDefinition<object>>();
  const schedules = new Map<string, ScheduledJob<object>>();
  const unscheduled = new Set<string>();
  const workers = new Map<string, string>();
  const batchSize = options.batchSize ?? 20;
  let started = false;
  let stopping = false;
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  /** Runs a batch concurrently; a failed job is failed on its own (pg-boss retries it by the
   * queue's policy) and the rest complete when the handler returns. */
  async function runBatch(definition: JobDefinition<object>, jobs: PgBoss.Job<object>[]): Promise<void> {
    await Promise.all(
      jobs.map(async (job) => {
        const started = performance.now();
        const observe = (outcome: JobRunObservation['outcome']) => options.observe?.({ name: definition.name, outcome, seconds: (performance.now() - started) / 1000 });
        try {
          await definition.handle(job.data, { id: job.id });
          observe('succeeded');
        } catch (error) {
          observe('failed');
          const message = error instanceof Error ? error.message : String(error);
          logger.warn({ job: definition.name, jobId: job.id, err: message }, 'job failed; will retry');
          // While stopping, leave the job active: it expires and is retried after a restart.
          if (stopping) return;
          await boss.fail(definition.name, job.id, { message }).catch((failError: unknown) => {
            logger.warn({ job: definition.name, jobId: job.id, err: failError instanceof Error ? failError.message : String(failError) }, 'could not mark job failed');
          });
        }
      }),
    );
  }


  return {
    boss,
    register(definition) {
      definitions.set(definition.name, definition as unknown as JobDefinition<object>);
    },
    schedule(job) {
      assertSchedule(job.schedule);
      const scheduledJob = job as unknown as ScheduledJob<object>;
      schedules.set(job.name, scheduledJob);
      unscheduled.delete(job.name);
      definitions.set(job.name, {
        name: job.name,
        retryLimit: job.retryLimit,
        retryDelaySeconds: job.retryDelaySeconds,
        retryBackoff: job.retryBackoff,
        expireInSeconds: job.expireInSeconds,
        // Each run is recorded for operators; a record that cannot be written does not fail the run.
        async handle(data, meta) {
          await recordRunStarted(options.db, job.name, meta.id).catch((error: unknown) => logger.warn({ job: job.name, err: String(error) }, 'could not record the job run'));
          try {
            const summary = await scheduledJob.handle(data, meta);
            await recordRunFinished(options.db, job.name, meta.id, { status: 'succeeded', summary }).catch((error: unknown) => logger.warn({ job: job.name, err: String(error) }, 'could not record the job run'));
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            await recordRunFinished(options.db, job.name, meta.id, { status: 'failed', error: message }).catch(() => undefined);
            throw error;
          }
        },
      });
    },
    unschedule(name) {
      if (!schedules.has(name)) unscheduled.add(name);
    },
    scheduled: () => [...schedules.values()].map(({ name, schedule }) => ({ name, schedule })),
    async send(definition, data, sendOptions = {}) {
      const jobOptions: PgBoss.SendOptions = {
        retryLimit: definition.retryLimit,
        retryDelay: definition.retryDelaySeconds,
        retryBackoff: definition.retryBackoff,
        expireInSeconds: definition.expireInSeconds,
        ...(definition.deadLetter ? { deadLetter: definition.deadLetter } : {}),
        ...(sendOptions.startAfterSeconds !== undefined ? { startAfter: sendOptions.startAfterSeconds } : {}),
        ...(sendOptions.singletonKey ? { singletonKey: sendOptions.singletonKey } : {}),
        ...(sendOptions.trx ? { db: transactionDb(sendOptions.trx) } : {}),
      };
      const id = await boss.send(definition.name, data, jobOptions);
      if (!sendOptions.trx && sendOptions.startAfterSeconds === undefined) wake(definition.name);
      return id;
    },
    wake(definition) {
      wake(definition.name);
    },
    async start() {
      const lock = options.startLock ? await pool.connect() : null;
      try {
        await lock?.query('select pg_advisory_lock($1)', [START_LOCK_KEY]);
        await boss.start();
        // Dead-letter queues first: a queue may only name one that exists.
        const ordered = [...definitions.values()].sort((a, b) => Number(a.deadLetter !== undefined) - Number(b.deadLetter !== undefined));
        for (const definition of ordered) {
          await boss.createQueue(definition.name, {
            name: definition.name,
            // A periodic job: at most one waiting and one running; a due time while one waits is dropped.
            ...(schedules.has(definition.name) ? { policy: 'stately' as const } : {}),
            retryLimit: definition.retryLimit,
            retryDelay: definition.retryDelaySeconds,
            retryBackoff: definition.retryBackoff,
            expireInSeconds: definition.expireInSeconds,
            ...(definition.deadLetter ? { deadLetter: definition.deadLetter } : {}),
          });
        }
        for (const job of schedules.values()) {
          await boss.schedule(job.name, job.schedule.cron, job.data, {
            tz: job.schedule.timeZone,
            retryLimit: job.retryLimit,
            retryDelay: job.retryDelaySeconds,
            retryBackoff: job.retryBackoff,
            expireInSeconds: job.expireInSeconds,
          });
        }
        for (const name of unscheduled) await boss.unschedule(name);
      } finally {
        if (lock) {
          await lock.query('select pg_advisory_unlock($1)', [START_LOCK_KEY]).catch(() => undefined);
          lock.release();
        }
      }
      started = true;
      if (options.work === false) return;
      for (const definition of definitions.values()) {
        const workerId = await boss.work<object>(
          definition.name,
          { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1, batchSize },
          async (jobs) => {
            const batch = runBatch(definition, jobs);
            inFlight.add(batch);
            try {
              await batch;
            } finally {
              inFlight.delete(batch);
            }
            // A full batch means more are waiting: fetch again at once rather than after the interval.
            if (jobs.length >= batchSize) wake(definition.name);
          },
        );
        workers.set(definition.name, workerId);
      }
    },
    async stop() {
      if (!started) return;
      started = false;
      stopping = true;
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      await Promise.allSettled([...inFlight]);
      // pg-boss completes a batch just after its handler returns: let those statements finish
      // before the caller closes the pool.
      for (let i = 0; i < 40 && (pendingSql > 0 || i < 2); i++) await new Promise((r) => setTimeout(r, 25));
      closed = true;
    },
  };
}
