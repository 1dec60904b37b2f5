import { describe, expect, it } from 'vitest';
import { createAnswerReserve, remainingBudget, timeLimit } from './time-limit.js';

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

  it('starts aborted, as its own expiry, with no time at all', () => {
    const limit = timeLimit(0);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.expired).toBe(true);
    limit.release();
  });

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    parent.abort();
    expect(timeLimit(1000, parent.signal).signal.aborted).toBe(true);
  });
});

describe('answer reserve and remaining budget', () => {
  it('keeps the floor until something slower is seen, then the recent high plus slack', () => {
    const reserve = createAnswerReserve({ minMs: 30, slackMs: 10, window: 3 });
    expect(reserve.forDeadline(1000)).toBe(30);
    reserve.observe(5);
    expect(reserve.forDeadline(1000)).toBe(30);
    reserve.observe(150);
    expect(reserve.forDeadline(1000)).toBe(160);
    // Never more than half the deadline: the sources always get some of it.
    expect(reserve.forDeadline(200)).toBe(100);
    // A slow moment is forgotten once the window has moved past it.
    reserve.observe(5);
    reserve.observe(5);
    reserve.observe(5);
    expect(reserve.forDeadline(1000)).toBe(30);
    reserve.observe(Number.NaN);
    reserve.observe(-1);
    expect(reserve.forDeadline(1000)).toBe(30);
  });

  it.each([
    // receivedAt, deadline, reserve, now, remaining
    [0, 1000, 50, 0, 950],
    [0, 1000, 50, 400, 550],
    [100, 1000, 50, 1049, 1],
    [0, 1000, 50, 960, 0],
    [0, 1000, 50, 5000, 0],
  ])('from %d with deadline %d and reserve %d, at %d leaves %d', (receivedAt, deadline, reserve, now, expected) => {
    expect(remainingBudget(receivedAt, deadline, reserve, now)).toBe(expected);
  });
});
