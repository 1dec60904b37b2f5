/**
 * The README's promise: `broker start --demo` with nothing installed serves /readyz, and
 * `broker token` gives a token the running broker accepts, `broker jobs` shows the periodic jobs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCareCommunication } from '../adapters/medcom/index.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/broker.mjs');

describe('broker command', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'broker-cli-'));
  const env = { ...process.env, BROKER_DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info', BROKER_SHUTDOWN_GRACE_SECONDS: '2' };
  let child: ChildProcess | undefined;
  afterAll(() => void child?.kill('SIGKILL'));

  it('starts in demo mode on embedded PostgreSQL, serves /readyz, accepts a demo token, stops on SIGTERM', async () => {
    const started = Date.now();
    child = spawn(process.execPath, [BIN, 'start', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${out}`)), 30_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)".*"msg":"broker listening"/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child?.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);

    const { stdout: token } = await run(process.execPath, [BIN, 'token', '--role', 'auditor', '--org', '100000000000001'], { env });
    const me = await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${token.trim()}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ role: 'auditor', organisation: '100000000000001' });

    // The demo plays the MedCom gateway too: its gateway token is let in at the inbound door,
    // and a message from child psychiatry reaches the GP's inbox; a staff token is not let in.
    const message = buildCareCommunication({
      kind: 'new',
      sender: { sor: '9500041000016004', gln: '5790009100034', name: 'Team Aalborg' },
      receiver: { sor: '9510031000016003', gln: '5790009110002', name: 'Lægepraksis Anne Kjærsgaard' },
      author: { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '97640000' },
      patient: { cpr: '0209144026', given: ['Noah'], family: 'Demo' },
      category: 'carecoordination',
      text: 'Noah er startet i udredning.',
      ids: () => crypto.randomUUID(),
      clock: () => new Date(),
    });
    const inbound = async (args: string[]) => {
      const { stdout } = await run(process.execPath, [BIN, 'token', ...args], { env });
      return fetch(`${url}/v1/medcom/inbound`, { method: 'POST', headers: { Authorization: `Bearer ${stdout.trim()}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(message) });
    };
    const delivered = await inbound(['--role', 'medcom-gateway', '--org', '9500011000016001', '--assurance', 'high']);
    expect(delivered.status).toBe(200);
    expect(delivered.headers.get('x-medcom-acknowledgement')).toBe('ok');
    expect((await inbound(['--role', 'medcom-gateway', '--org', '9500011000016001', '--subject', 'someone-else'])).status).toBe(403);

    // A second process may not open the embedded database the running broker holds.
    const second = await run(process.execPath, [BIN, 'sor', 'import', 'fixtures/sor/north-jutland.xml'], { env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect('code' in second && second.code).toBe(2);
    expect('stderr' in second && second.stderr).toMatch(/embedded database in .* is in use by another broker process/);

    // A request in flight that never completes (an upload that stalls) must not hold the stop:
    // it gets the grace period, then its connection is closed and the broker exits.
    const { stdout: auditorToken } = await run(process.execPath, [BIN, 'token', '--role', 'auditor', '--org', '100000000000001'], { env });
    const { hostname, port } = new URL(url);
    const stalled = connect(Number(port), hostname);
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.on('error', () => undefined);
    stalled.write(`POST /v1/audit/search HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${auditorToken.trim()}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"reason":`);
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    const stopAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(12_000);
    stalled.destroy();

    const { stdout: verified } = await run(process.execPath, [BIN, 'audit-verify'], { env });
    expect(verified).toMatch(/^audit chain intact: \d+ records/);

    // Every periodic job is on pg-boss's schedule, in Copenhagen time, and shown with its last run.
    const { stdout: jobs } = await run(process.execPath, [BIN, 'jobs'], { env });
    expect(jobs).toMatch(/^Scheduled jobs\n/);
    expect(jobs).toMatch(/\nagreements-expire +\* \* \* \* \* \(Europe\/Copenhagen\) /);
    expect(jobs).toMatch(/\nidentity-purge-token-uses +\*\/5 \* \* \* \* \(Europe\/Copenhagen\) /);
    expect(jobs).toMatch(/\nQueues \(jobs held by pg-boss\)\n/);
  }, 60_000);

  it('refuses demo mode when NODE_ENV=production, with a clear message', async () => {
    const result = await run(process.execPath, [BIN, 'start', '--demo'], { env: { ...env, NODE_ENV: 'production' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect('code' in result && result.code).toBe(2);
    expect('stderr' in result && result.stderr).toMatch(/demo mode .* refused when NODE_ENV=production/);
  });
});
