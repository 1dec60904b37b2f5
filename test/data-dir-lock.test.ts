/**
 * The embedded database's lock with real processes: a live holder is refused, a holder killed
 * with SIGKILL frees it at once (no waiting for a stale timeout), of several processes racing for
 * a free lock exactly one wins, and a holder the pid cannot be asked about (another container)
 * holds it while it keeps its file fresh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseInUseError, lockDataDir } from '../db/data-dir-lock.js';

const RUN_TS = path.resolve('bin/run-ts.mjs');
const HOLDER = path.resolve('test/helpers/hold-lock.ts');

function holder(dataDir: string): { child: ChildProcess; answer: Promise<string> } {
  const child = spawn(process.execPath, [RUN_TS, HOLDER, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const answer = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code} before answering`)));
  });
  return { child, answer };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('data directory lock', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('refuses while another process holds it, and is free at once after that process is killed -9', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'broker-lock-')), 'pg');
    const first = holder(dataDir);
    children.push(first.child);
    expect(await first.answer).toBe('locked');

    await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DatabaseInUseError);
    await expect(lockDataDir(dataDir)).rejects.toThrow(/embedded database in .* is in use by another broker process/);

    await killed(first.child);
    const started = performance.now();
    const lock = await lockDataDir(dataDir);
    const tookMs = performance.now() - started;
    expect(tookMs).toBeLessThan(1000);

    // Held by this process now: a second process is refused, and after release it may take it.
    const second = holder(dataDir);
    children.push(second.child);
    await expect(second.answer).resolves.toBe('in-use');
    await lock.release();
    const third = holder(dataDir);
    children.push(third.child);
    expect(await third.answer).toBe('locked');
    await killed(third.child);
  }, 30_000);

  it('lets exactly one of several processes racing for a lock whose holder died take it', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'broker-lock-')), 'pg');
    const dead = holder(dataDir);
    children.push(dead.child);
    expect(await dead.answer).toBe('locked');
    await killed(dead.child);

    const racers = Array.from({ length: 5 }, () => holder(dataDir));
    children.push(...racers.map((r) => r.child));
    const answers = await Promise.all(racers.map((r) => r.answer.catch(() => 'in-use')));
    expect(answers.filter((a) => a === 'locked')).toHaveLength(1);
    expect(answers.filter((a) => a === 'in-use')).toHaveLength(4);
    // Only the winner's file is left.
    expect(readdirSync(path.dirname(dataDir)).filter((n) => n.startsWith('pg.lock.'))).toHaveLength(1);
  }, 30_000);

  it('treats a holder it cannot ask (another pid namespace) as alive while its file is fresh, gone once stale', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'broker-lock-')), 'pg');
    const file = `${dataDir}.lock.000000000001`;
    writeFileSync(file, JSON.stringify({ pid: 1, start: '1', scope: 'linux:another-container:pid:[1]' }));
    await expect(lockDataDir(dataDir, { staleMs: 2000 })).rejects.toBeInstanceOf(DatabaseInUseError);
    const past = new Date(Date.now() - 5000);
    utimesSync(file, past, past);
    const lock = await lockDataDir(dataDir, { staleMs: 2000 });
    await lock.release();
  });
});
