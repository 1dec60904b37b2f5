/**
 * Several broker processes on one machine (node:cluster), sharing one listening port.
 *
 * Why: one Node process runs JavaScript on one core, and a lookup costs the broker about a
 * millisecond of CPU (token check, five HTTP exchanges with sources, parsing, audit). Each worker
 * is a complete broker instance, exactly like a second instance behind a load balancer: the audit
 * chain, the replay guard and agreement changes are already kept consistent between instances
 * through the database (row lock on the chain head, unique token ids, LISTEN/NOTIFY), and each
 * worker has its own circuit breakers, as separate instances do. Needs the PostgreSQL server: the
 * embedded database belongs to one process.
 *
 * The primary only supervises: it starts the workers, says "broker listening" once all of them
 * listen, starts a new worker when one dies (giving up if they keep dying), and passes SIGTERM /
 * SIGINT on, waiting for the workers to finish what they are doing.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** What a worker tells the primary once it listens. */
export interface WorkerListening {
  readonly type: 'broker-worker-listening';
  readonly url: string;
}

export const isWorkerListening = (m: unknown): m is WorkerListening =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'broker-worker-listening' && typeof (m as { url?: unknown }).url === 'string';

export interface SupervisorOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Called once, when every worker listens. */
  onListening?(url: string): void;
  /** More unexpected worker exits than this within `restartWindowMs` stops the broker. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /** How long workers get to finish on shutdown before they are killed. */
  readonly stopTimeoutMs?: number;
}

/** Runs in the primary; resolves with the process exit code once every worker has gone. */
export function superviseWorkers(options: SupervisorOptions): Promise<number> {
  const { logger } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const listening = new Set<number>();
  const restarts: number[] = [];
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  return new Promise<number>((resolve) => {
    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (!isWorkerListening(message)) return;
        listening.add(worker.id);
        logger.info({ worker: worker.process.pid, url: message.url }, 'worker listening');
        if (!announced && listening.size >= options.workers) {
          announced = true;
          logger.info({ url: message.url, workers: options.workers }, 'broker listening');
          options.onListening?.(message.url);
        }
      });
    };

    const stop = (signal: NodeJS.Signals | 'too-many-restarts') => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping workers');
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      if (workers.length === 0) resolve(exitCode);
      for (const w of workers) w.process.kill('SIGTERM');
      setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) {
          if (w) {
            logger.error({ worker: w.process.pid }, 'worker did not stop in time; killing it');
            w.process.kill('SIGKILL');
          }
        }
      }, stopTimeoutMs).unref();
    };

    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
        return;
      }
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] as number) < now - restartWindowMs) restarts.shift();
      restarts.push(now);
      if (restarts.length > maxRestarts) {
        logger.fatal({ worker: worker.process.pid, code, signal, restarts: restarts.length, windowMs: restartWindowMs }, 'workers keep exiting; stopping the broker');
        exitCode = 1;
        stop('too-many-restarts');
        return;
      }
      logger.error({ worker: worker.process.pid, code, signal }, 'worker exited unexpectedly; starting a new one');
      fork();
    });
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let i = 0; i < options.workers; i += 1) fork();
  });
}
