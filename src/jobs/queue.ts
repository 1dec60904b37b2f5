/**
 * The durable job queue: pg-boss in the broker's own database. pg-boss reaches PostgreSQL only
 * through our pool (its `db` option), so it works on embedded PGlite, which allows one
 * connection, and a job sent with `{ trx }` is inserted by the business transaction itself:
 * the job exists if and only if the business write committed.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';

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
    schedule: false,
    supervise: true,
    migrate: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
  });
  boss.on('error', (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'job queue error'));
  const definitions = new Map<string, JobDefinition<object>>();
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
        try {
          await definition.handle(job.data, { id: job.id });
        } catch (error) {
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
            retryLimit: definition.retryLimit,
            retryDelay: definition.retryDelaySeconds,
            retryBackoff: definition.retryBackoff,
            expireInSeconds: definition.expireInSeconds,
            ...(definition.deadLetter ? { deadLetter: definition.deadLetter } : {}),
          });
        }
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
