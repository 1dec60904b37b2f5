/**
 * The README's citizen lines against `broker start --demo`: a demo citizen token for Louise
 * Jensen, custody-holder of Noah in the simulated person register, shows the GP's lookup of Noah;
 * his father (no custody) is refused; a staff token is not let in.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/broker.mjs');

describe('the citizen side in demo mode', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'broker-citizen-demo-'));
  const env = { ...process.env, BROKER_DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info', BROKER_SHUTDOWN_GRACE_SECONDS: '2' };
  let child: ChildProcess | undefined;
  afterAll(() => void child?.kill('SIGKILL'));

  it('broker token --role citizen --cpr gives a token the access log accepts, for a child in the demo custody', async () => {
    child = spawn(process.execPath, [BIN, 'start', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${out}`)), 60_000);
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
    const token = async (...args: string[]) => (await run(process.execPath, [BIN, 'token', ...args], { env })).stdout.trim();
    const post = async (path: string, bearer: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const lookup = await post('/v1/lookups', await token('--role', 'clinician', '--org', '9510031000016003'), { cpr: '0209144026', purposeOfUse: 'child-welfare-concern', reason: 'Bekymring fra skolen' });
    expect(lookup.status).toBe(200);
    const { lookupId } = (await lookup.json()) as { lookupId: string };

    const log = await post('/v1/citizen/access-log', await token('--role', 'citizen', '--cpr', '1108854012'), { cpr: '0209144026' });
    expect(log.status).toBe(200);
    const body = (await log.json()) as { scope: string; items: Array<{ id: string; organisation: { authority: string } }> };
    expect(body.scope).toBe('custody');
    expect(body.items.map((i) => i.id)).toContain(lookupId);

    const father = await post('/v1/citizen/access-log', await token('--role', 'citizen', '--cpr', '2304824015'), { cpr: '0209144026' });
    expect(father.status).toBe(403);
    const staff = await post('/v1/citizen/access-log', await token('--role', 'caseworker', '--org', '9520051000016005'), { cpr: '0209144026' });
    expect(staff.status).toBe(403);

    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
  }, 120_000);
});
