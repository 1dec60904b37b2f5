/**
 * Group commit: callers submit one item each and await its result; items arriving while a batch
 * is being committed join the next batch, so one database round trip (and one transaction
 * commit) serves every concurrent caller. Under no load a batch holds a single item and nothing
 * waits for a timer. If a batch fails, every caller in it gets the error.
 */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Waits until every submitted item has been committed or has failed. */
  drain(): Promise<void>;
}

interface Pending<I, O> {
  readonly item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

/** `commit` gets a batch and must return one result per item, in the same order. */
export function createGroupCommit<I, O>(commit: (items: readonly I[]) => Promise<readonly O[]>, options: { maxBatch?: number } = {}): GroupCommit<I, O> {
  const maxBatch = options.maxBatch ?? 200;
  let queue: Array<Pending<I, O>> = [];
  let flushing: Promise<void> | null = null;

  async function flushLoop(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = await commit(batch.map((p) => p.item));
        if (results.length !== batch.length) throw new Error(`group commit returned ${results.length} results for ${batch.length} items`);
        batch.forEach((p, i) => p.resolve(results[i] as O));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
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
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (flushing) await flushing;
    },
  };
}
