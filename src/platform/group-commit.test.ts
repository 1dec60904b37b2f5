import { describe, expect, it } from 'vitest';
import { GroupCommitOverloadedError, createGroupCommit, mayBeItemError } from './group-commit.js';

/** What PostgreSQL answers for a NUL in a text value (invalid byte sequence for encoding UTF8). */
const nulRefused = () => Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });

describe('group commit', () => {
  it('commits items that arrive during a commit together in the next batch, answering each caller', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit(async (items: readonly number[]) => {
      batches.push([...items]);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    // The first item starts a commit at once; the three that arrive meanwhile share the next one.
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const group = createGroupCommit(async (items: readonly number[]) => {
      sizes.push(items.length);
      await Promise.resolve();
      return items;
    }, { maxBatch: 3 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => group.submit(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('rejects every caller of a failed batch, and later batches still commit', async () => {
    let fail = true;
    const group = createGroupCommit(async (items: readonly string[]) => {
      await Promise.resolve();
      if (fail) {
        fail = false;
        throw new Error('database unavailable');
      }
      return items.map((s) => s.toUpperCase());
    });
    const first = group.submit('a');
    await expect(first).rejects.toThrow('database unavailable');
    await expect(group.submit('b')).resolves.toBe('B');
  });

  it('refuses a commit that answers the wrong number of items rather than mis-assigning results', async () => {
    const many = createGroupCommit(async () => [1, 2, 3]);
    await expect(many.submit('only')).rejects.toThrow('3 results for 1 items');
  });

  it('drain waits for every pending item', async () => {
    const done: number[] = [];
    const group = createGroupCommit(async (items: readonly number[]) => {
      await new Promise((r) => setTimeout(r, 5));
      done.push(...items);
      return items;
    });
    void group.submit(1);
    void group.submit(2);
    await group.drain();
    expect(done).toEqual([1, 2]);
  });

  it('isolates the one item the database refuses: every other caller of the batch gets its result', async () => {
    const commits: string[][] = [];
    const group = createGroupCommit(async (items: readonly string[]) => {
      commits.push([...items]);
      await new Promise((r) => setTimeout(r, 1));
      if (items.some((s) => s.includes('\u0000'))) throw nulRefused();
      return items.map((s) => s.toUpperCase());
    });
    const honest = Array.from({ length: 200 }, (_, i) => `reason ${i}`);
    const first = group.submit('warm-up'); // in flight, so the rest share the next batch
    const answers = honest.map((s) => group.submit(s));
    const bad = group.submit('reason \u0000 with a NUL');
    const more = honest.slice(0, 20).map((s) => group.submit(`${s} later`));
    await expect(first).resolves.toBe('WARM-UP');
    await expect(bad).rejects.toMatchObject({ code: '22021' });
    expect(await Promise.all(answers)).toEqual(honest.map((s) => s.toUpperCase()));
    expect(await Promise.all(more)).toHaveLength(20);
    // Bisection: a handful of extra commits, not one per item.
    expect(commits.length).toBeLessThan(25);
  });

  it('isolates several bad items in one batch', async () => {
    const group = createGroupCommit(async (items: readonly number[]) => {
      await Promise.resolve();
      if (items.some((n) => n % 7 === 3)) throw nulRefused();
      return items;
    });
    const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => group.submit(i)));
    settled.forEach((s, i) => expect(s.status).toBe(i % 7 === 3 ? 'rejected' : 'fulfilled'));
  });

  it('fails the whole batch at once, without bisecting, when no item can have caused the error', async () => {
    let commits = 0;
    const group = createGroupCommit(async (items: readonly number[]) => {
      commits += 1;
      await new Promise((r) => setTimeout(r, 1));
      if (items.length > 1) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return items;
    });
    const first = group.submit(1);
    const rest = Array.from({ length: 30 }, (_, i) => group.submit(i + 2));
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(commits).toBe(2); // the single first item, then the batch of 30 once
  });

  it('fails the items queued behind a batch the database did not answer, instead of each waiting out the timeout again', async () => {
    let commits = 0;
    let down = true;
    const group = createGroupCommit(async (items: readonly string[]) => {
      commits += 1;
      await new Promise((r) => setTimeout(r, 20));
      if (down) throw new Error('Query read timeout');
      return items;
    });
    const first = group.submit('a');
    const queued = [group.submit('b'), group.submit('c')];
    const settled = await Promise.allSettled([first, ...queued]);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'committed'))).toEqual(['Query read timeout', 'Query read timeout', 'Query read timeout']);
    expect(commits).toBe(1);
    down = false;
    await expect(group.submit('d')).resolves.toBe('d');
  });

  it('leaves the queued items to their own commit when a batch fails for a reason other than an unreachable database', async () => {
    let fail = true;
    const group = createGroupCommit(async (items: readonly string[]) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) {
        fail = false;
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      }
      return items;
    });
    const first = group.submit('a');
    const queued = [group.submit('b'), group.submit('c')];
    await expect(first).rejects.toThrow('could not serialize');
    expect(await Promise.all(queued)).toEqual(['b', 'c']);
  });

  it('bounds the queue: when it is full a new item is refused at once, and the queue recovers', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const group = createGroupCommit(async (items: readonly number[]) => {
      await gate;
      return items;
    }, { maxQueue: 3, retryAfterSeconds: 2 });
    const inFlight = group.submit(0);
    const queued = [1, 2, 3].map((n) => group.submit(n));
    const refused = group.submit(4);
    await expect(refused).rejects.toBeInstanceOf(GroupCommitOverloadedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 2 });
    release();
    expect(await Promise.all([inFlight, ...queued])).toEqual([0, 1, 2, 3]);
    await expect(group.submit(5)).resolves.toBe(5);
  });

  it.each([
    ['NUL in text (22021)', { code: '22021' }, true],
    ['bad JSON escape (22P05)', { code: '22P05' }, true],
    ['unique violation (23505)', { code: '23505' }, true],
    ['value too large (54000)', { code: '54000' }, true],
    ['connection refused', { code: 'ECONNREFUSED' }, false],
    ['admin shutdown (57P01)', { code: '57P01' }, false],
    ['serialization failure (40001)', { code: '40001' }, false],
    ['an error without a code', {}, false],
  ])('classifies %s as item-caused: %s', (_name, props, expected) => {
    expect(mayBeItemError(Object.assign(new Error('x'), props))).toBe(expected);
  });

  it('classifies a serialisation TypeError as item-caused', () => {
    expect(mayBeItemError(new TypeError('Do not know how to serialize a BigInt'))).toBe(true);
  });
});
