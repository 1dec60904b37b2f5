/**
 * `broker start` with BROKER_WORKERS=2 on the PostgreSQL server: two worker processes share the
 * port and both answer; a worker that dies is replaced while the other keeps serving; SIGTERM
 * stops them all. Only where the server is available (TEST_DATABASE_URL): the embedded database
 * cannot be shared by processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { createTestDatabase } from './helpers/database.js';
import { createTestIssuer, TEST_AUDIENCE } from './helpers/issuers.js';

const BIN = path.resolve('bin/broker.mjs');

const childPids = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** A request on a fresh connection, so that the primary hands it to the next worker. */
const getOnNewConnection = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('no answer within 5 s'));
      })
      .on('error', reject);
  });

async function until(check: () => boolean, what: string, output: () => string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; the broker wrote:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(process.env.TEST_DATABASE_URL)('broker start with two worker processes', () => {
  let database: DatabaseHandle | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await database?.close();
  });

  it('serves from both workers, replaces a worker that dies, and stops them all on SIGTERM', async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    const issuer = await createTestIssuer({ issuer: 'https://idp.workers.example', organisations: ['9520011000016001'] });
    child = spawn(process.execPath, [BIN, 'start'], {
      env: {
        ...process.env, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '3', BROKER_WORKERS: '2',
        BROKER_AUDIENCE: TEST_AUDIENCE, BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer.config]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const output = () => out;
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await until(() => /"msg":"broker listening"/.test(out), 'broker listening', output);
    const url = /"url":"(http:\/\/[^"]+)","workers":2,"msg":"broker listening"/.exec(out)?.[1] as string;
    expect(url).toBeDefined();
    const primary = child.pid as number;
    const workers = childPids(primary);
    expect(workers).toHaveLength(2);

    // Fresh connections go round the workers: the access log shows both answering.
    const statuses = await Promise.all(Array.from({ length: 10 }, () => getOnNewConnection(`${url}/readyz`)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await until(() => (out.match(/"msg":"request"/g) ?? []).length >= 10, 'access log lines', output);
    const answering = new Set([...out.matchAll(/"worker":(\d+).*"route":"\/readyz".*"msg":"request"/g)].map((m) => Number(m[1])));
    expect([...answering].sort()).toEqual([...workers].sort());

    // A worker killed outright is replaced; meanwhile the other keeps answering. (A connection
    // handed to the worker in the instant it dies is lost with it, as with any crashed instance:
    // the request is made once the primary knows.)
    process.kill(workers[0] as number, 'SIGKILL');
    await until(() => /worker exited unexpectedly; starting a new one/.test(out), 'the restart', output);
    expect(await getOnNewConnection(`${url}/readyz`)).toBe(200);
    await until(() => (out.match(/"msg":"worker listening"/g) ?? []).length >= 3, 'the new worker', output);
    const replaced = childPids(primary);
    expect(replaced).toHaveLength(2);
    expect(replaced).not.toContain(workers[0]);
    expect(await getOnNewConnection(`${url}/readyz`)).toBe(200);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of replaced) expect(() => process.kill(pid, 0)).toThrow();
  }, 90_000);
});
