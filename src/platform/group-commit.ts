/**
 * Group commit: callers submit one item each and await its result; items arriving while a batch
 * is being committed join the next batch, so one database round trip (and one transaction
 * commit) serves every concurrent caller. Under no load a batch holds a single item and nothing
 * waits for a timer.
 *
 * One caller's bad item must never fail another caller: when a batch fails with an error an item
 * can cause (a value the database refuses, a constraint), the batch is split in halves and each
 * half committed again, down to the single failing item, whose caller alone gets the error. An
 * error no item can cause (the database is down) fails the batch at once: bisecting would only
 * multiply the attempts. When that error says the database did not answer at all, the items that
 * queued behind the failed batch fail with it: each would otherwise wait out the same timeout
 * again, one batch after another, and a request would hang for a multiple of it. The queue of
 * waiting items is bounded: when it is full, a new item is refused at once
 * (GroupCommitOverloadedError, answered 503 with Retry-After) instead of growing memory and
 * latency without limit.
 */
import { isDatabaseUnavailable } from './database-unavailable.js';

export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Waits until every submitted item has been committed or has failed. */
  drain(): Promise<void>;
}

export interface GroupCommitOptions {
  /** Items per commit (default 200). */
  readonly maxBatch?: number;
  /** Items waiting for a commit (not counting the batch in flight) before new ones are refused (default 10,000). */
  readonly maxQueue?: number;
  /** What an overloaded caller is told to wait, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Whether `error` may have been caused by one of the items, so that splitting the batch can isolate it. */
  readonly isolate?: (error: unknown) => boolean;
  /** Whether `error` means the database cannot answer now, so that the items waiting behind the batch fail at once too (default: isDatabaseUnavailable). */
  readonly failsWaiting?: (error: unknown) => boolean;
}

/** The queue is full: the caller should try again after `retryAfterSeconds`. */
export class GroupCommitOverloadedError extends Error {
  override readonly name = 'GroupCommitOverloadedError';
  constructor(readonly retryAfterSeconds: number) {
    super('group commit queue is full');
  }
}

class ResultCountError extends Error {
  override readonly name = 'ResultCountError';
}

/**
 * PostgreSQL errors that a row's content causes: class 22 (data exception: NUL in text,
 * an invalid JSON escape, a value out of range), 23 (integrity constraint), 54 (program limit:
 * a value too large). And TypeError/RangeError without a SQLSTATE: thrown while the batch is
 * prepared (a value JSON cannot serialise), before anything reaches the database.
 */
export function mayBeItemError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(22|23|54)/.test(code);
  return code === undefined && (error instanceof TypeError || error instanceof RangeError);
}

interface Pending<I, O> {
  readonly item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

/** `commit` gets a batch and must return one result per item, in the same order; a failed commit must have written nothing. */
export function createGroupCommit<I, O>(commit: (items: readonly I[]) => Promise<readonly O[]>, options: GroupCommitOptions = {}): GroupCommit<I, O> {
  const maxBatch = options.maxBatch ?? 200;
  const maxQueue = options.maxQueue ?? 10_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const isolate = options.isolate ?? mayBeItemError;
  const failsWaiting = options.failsWaiting ?? isDatabaseUnavailable;
  let queue: Array<Pending<I, O>> = [];
  let flushing: Promise<void> | null = null;

  async function commitBatch(batch: ReadonlyArray<Pending<I, O>>): Promise<void> {
    try {
      const results = await commit(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new ResultCountError(`group commit returned ${results.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(results[i] as O));
    } catch (error) {
      if (batch.length === 1 || error instanceof ResultCountError || !isolate(error)) {
        for (const p of batch) p.reject(error);
        if (failsWaiting(error)) {
          const waiting = queue;
          queue = [];
          for (const p of waiting) p.reject(error);
        }
        return;
      }
      // Some item may be at fault: commit each half on its own, so only the failing item's caller fails.
      const half = Math.ceil(batch.length / 2);
      await commitBatch(batch.slice(0, half));
      await commitBatch(batch.slice(half));
    }
  }

  async function flushLoop(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await commitBatch(batch);
    }
  }

  function kick() {
    if (flushing) return;
    flushing = flushLoop().finally(() => {
      flushing = null;
      if (queue.length > 0) kick();
    });
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        // A commit in flight when nothing waits leaves room for one batch behind it.
        if (queue.length >= maxQueue) {
          reject(new GroupCommitOverloadedError(retryAfterSeconds));
          return;
        }
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (flushing) await flushing;
    },
  };
}
