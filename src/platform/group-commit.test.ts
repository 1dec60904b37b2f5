import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.js';

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
});
