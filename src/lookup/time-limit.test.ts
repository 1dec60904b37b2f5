import { describe, expect, it } from 'vitest';
import { timeLimit } from './time-limit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timeLimit', () => {
  it('aborts when its own time is up, and says so', async () => {
    const limit = timeLimit(20);
    expect(limit.signal.aborted).toBe(false);
    await sleep(40);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.expired).toBe(true);
  });

  it("aborts with its parent, without counting as its own expiry", async () => {
    const parent = new AbortController();
    const limit = timeLimit(1000, parent.signal);
    parent.abort();
    expect(limit.signal.aborted).toBe(true);
    expect(limit.expired).toBe(false);
    limit.release();
  });

  it('never aborts once released, and lets go of its parent', async () => {
    const parent = new AbortController();
    const limit = timeLimit(20, parent.signal);
    limit.release();
    parent.abort();
    await sleep(40);
    expect(limit.signal.aborted).toBe(false);
  });

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    parent.abort();
    expect(timeLimit(1000, parent.signal).signal.aborted).toBe(true);
  });
});
