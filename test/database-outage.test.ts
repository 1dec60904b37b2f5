/**
 * The database going away under a running broker, for real: a TCP proxy between the broker and
 * the PostgreSQL server stops forwarding (paused) or cuts every connection. Requests that need the
 * database fail fast with 503 database-unavailable and Retry-After instead of hanging, /readyz says
 * not ready within the readiness timeout, and when the database returns everything recovers by
 * itself: the pool opens fresh connections and the change feed's LISTEN connection reconnects.
 * The embedded database is in-process and cannot be cut off, so this runs on the server only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import { NJ, client, expectProblem, nationalIssuer, seedNorthJutland, terms } from './helpers/agreements.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase } from './helpers/database.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const TIMEOUTS = { connectMs: 1000, statementMs: 1500, idleInTransactionMs: 10_000 };
// The slowest a request may take to fail: waiting for a connection, or a statement, plus slack for a loaded machine.
const FAIL_FAST_MS = TIMEOUTS.statementMs + 1000 + 1500;

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('a broker whose PostgreSQL server goes away', () => {
  let database: DatabaseHandle;
  let proxied: DatabaseHandle;
  let proxy: TcpProxy;
  let broker: TestBroker;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const orgs = await seedNorthJutland(database);
    const url = new URL(database.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    proxied = await openDatabase({ kind: 'server', url: proxy.via(database.url), poolSize: 4, timeouts: TIMEOUTS });
    const issuer = await nationalIssuer(orgs);
    broker = await startTestBroker({ database: proxied, issuers: [issuer], env: { BROKER_JOBS_WORK: 'false' } });
    api = client(broker, issuer);
    await api.create(NJ.region, terms());
  });
  afterAll(async () => {
    proxy?.resume();
    await broker?.close();
    await proxied?.close();
    await proxy?.close();
    await database?.close();
  });

  const list = () => api.call('GET', '/v1/agreements', { org: NJ.region, role: 'auditor' });
  const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    const value = await work();
    return { value, ms: Math.round(performance.now() - started) };
  };

  async function expectUnavailable(): Promise<number> {
    const { value: res, ms } = await timed(list);
    const body = await expectProblem(res, 503, 'database-unavailable');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.stringify(body)).not.toMatch(/postgres|127\.0\.0\.1|ECONN/i);
    expect(ms).toBeLessThan(FAIL_FAST_MS);
    return ms;
  }

  async function expectNotReady(): Promise<number> {
    const { value: res, ms } = await timed(() => broker.request('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not-ready', database: 'unreachable' });
    expect(ms).toBeLessThan(2500);
    return ms;
  }

  it('fails fast while the server does not answer (paused), and recovers without a restart', async () => {
    expect((await broker.request('/readyz')).status).toBe(200);
    expect((await list()).status).toBe(200);

    proxy.pause();
    const readyMs = await expectNotReady();
    // Several in a row: each fails within the bound, none hangs behind the first.
    const failMs = await Promise.all([expectUnavailable(), expectUnavailable(), expectUnavailable()]);

    proxy.resume();
    const recoveredMs = await until(async () => (await list()).status === 200 && (await broker.request('/readyz')).status === 200, 15_000);
    console.log(`paused: /readyz not ready in ${readyMs} ms, requests 503 in ${failMs.join(', ')} ms; recovered ${recoveredMs} ms after resume`);
  }, 40_000);

  it('fails fast while every connection is cut and refused, and recovers, LISTEN included, when the server returns', async () => {
    expect(broker.broker.changes.listening).toBe(true);
    proxy.cut({ refuseNew: true });
    const readyMs = await expectNotReady();
    const failMs = await expectUnavailable();
    await until(async () => !broker.broker.changes.listening, 5000);
    // Down long enough for several reconnection attempts of the change listener to fail.
    await new Promise((r) => setTimeout(r, 3000));
    expect(broker.broker.changes.listening).toBe(false);

    proxy.resume();
    const recoveredMs = await until(async () => (await list()).status === 200 && (await broker.request('/readyz')).status === 200, 15_000);
    const listeningMs = await until(async () => broker.broker.changes.listening, 20_000);
    console.log(`cut: /readyz not ready in ${readyMs} ms, requests 503 in ${failMs} ms; requests recovered ${recoveredMs} ms, LISTEN ${listeningMs} ms after the server returned`);

    // And the feed works again: a change made through another connection reaches this instance.
    const created = await api.create(NJ.region, terms({ title: 'Efter afbrydelsen' }));
    expect(created.status).toBe('draft');
  }, 60_000);

  it('cancels a statement stuck behind a lock (statement_timeout) and answers 503, not a hang', async () => {
    const created = await api.create(NJ.region, terms({ title: 'Låst' }));
    const locker = await database.pool.connect();
    try {
      await locker.query('begin');
      await locker.query('select * from agreement where id = $1 for update', [created.id]);
      const { value: res, ms } = await timed(() => api.call('POST', `/v1/agreements/${created.id}/submit`, { org: NJ.region }));
      await expectProblem(res, 503, 'database-unavailable');
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(ms).toBeLessThan(FAIL_FAST_MS);
    } finally {
      await locker.query('rollback');
      locker.release();
    }
    expect((await api.call('POST', `/v1/agreements/${created.id}/submit`, { org: NJ.region })).status).toBe(200);
  }, 30_000);
});
