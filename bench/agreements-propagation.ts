/**
 * Agreement propagation benchmark: how long after an approval through broker instance A does
 * instance B's access decision reflect it? Two brokers (createBroker twice) share one PostgreSQL
 * database (a fresh one on TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
 * Each change: create, submit and approve side A (untimed), then approve side B through A's HTTP
 * API (timed) and spin on B.decide() until the new agreement permits. Median over the changes.
 *
 * PGlite is an embedded, single-session database inside one process: a second instance cannot
 * share it, so for PGlite only the same-instance figure is measured.
 *
 *   npx tsx bench/agreements-propagation.ts [--changes 20]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import type { DecisionRequest } from '../src/agreements/decision.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { type Broker, createBroker } from '../src/main.js';
import { insertOrganisations, northJutlandOrganisations } from '../test/helpers/directory.js';
import { TEST_AUDIENCE, type TestIssuer, createTestIssuer } from '../test/helpers/issuers.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const CHANGES = arg('changes', 20);
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const REGION = '9500011000016001';
const CHILD_PSYCHIATRY = '9500031000016003';
const TEAM_AALBORG = '9500041000016004';
const AALBORG = '9520011000016001';
const AALBORG_PPR = '9520041000016004';

const logger = createLogger({ level: 'warn' });

async function startBroker(database: DatabaseHandle, issuer: TestIssuer): Promise<Broker> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    BROKER_AUDIENCE: TEST_AUDIENCE,
    BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer.config]),
    LOG_LEVEL: 'warn',
  });
  return createBroker(config, { logger, database });
}

function admin(broker: Broker, issuer: TestIssuer) {
  return async (method: string, path: string, org: string, body?: unknown): Promise<{ id: string }> => {
    const token = await issuer.token({ organisationSor: org, role: 'agreement-admin', subject: `bench-${org}` });
    const response = await broker.app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
}

const terms = (i: number) => ({
  title: `Bench change ${i}`,
  sideA: { parties: [{ kind: 'subtree', sor: CHILD_PSYCHIATRY }], approvingOrganisationSor: REGION },
  sideB: { parties: [{ kind: 'unit', sor: AALBORG_PPR }], approvingOrganisationSor: AALBORG },
  dataElements: ['case-existence'],
  direction: 'mutual',
  purposes: ['coordinated-care'],
  roles: ['clinician'],
  minimumAssurance: 'substantial',
  legalBasis: { code: 'barnets-lov-early-preventive-exchange', reference: 'bench' },
  period: { validFrom: '2025-01-01', validTo: null },
});

const request = (): DecisionRequest => ({
  caller: { organisationSor: TEAM_AALBORG, role: 'clinician', assurance: 'substantial', purpose: 'coordinated-care' },
  action: 'case-existence',
  targetSor: AALBORG_PPR,
  at: new Date(),
});

/** Waits (spinning on the event loop) until `observer` permits under agreement `id`. */
async function until(observer: Broker, id: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const d = observer.agreements.decide(request());
    if (d.effect === 'permit' && d.agreements.some((a) => a.id === id)) return;
    if (performance.now() > deadline) throw new Error(`agreement ${id} not visible after ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

interface Sample {
  /** From sending the final approval until the observer permits. */
  readonly endToEnd: number;
  /** From the approval's HTTP response until the observer permits. */
  readonly afterCommit: number;
}

async function measure(writer: Broker, observer: Broker, issuer: TestIssuer, changes: number): Promise<Sample[]> {
  const call = admin(writer, issuer);
  const samples: Sample[] = [];
  for (let i = 0; i < changes + 1; i++) {
    const { id } = await call('POST', '/v1/agreements', REGION, terms(i));
    await call('POST', `/v1/agreements/${id}/submit`, REGION);
    await call('POST', `/v1/agreements/${id}/approve`, REGION, { version: 1 });
    // Let the half-approved state settle everywhere, so only the final approval is timed.
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await call('POST', `/v1/agreements/${id}/approve`, AALBORG, { version: 1 });
    const t1 = performance.now();
    await until(observer, id);
    const t2 = performance.now();
    if (i > 0) samples.push({ endToEnd: t2 - t0, afterCommit: t2 - t1 }); // first one warms up
  }
  return samples;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] as number;
const ms = (v: number) => `${v.toFixed(1)} ms`;

async function seed(database: DatabaseHandle): Promise<void> {
  const { migrateToLatest } = await import('../db/migrate.js');
  await migrateToLatest(database.db);
  await insertOrganisations(database.db, await northJutlandOrganisations());
}

type Row = [string, string, string, string, string];
const rows: Row[] = [];
const row = (db: string, path: string, s: Sample[] | string) => {
  if (typeof s === 'string') rows.push([db, path, s, '', '']);
  else rows.push([db, path, ms(median(s.map((x) => x.endToEnd))), ms(median(s.map((x) => x.afterCommit))), ms(p95(s.map((x) => x.endToEnd)))]);
};

const issuer = await createTestIssuer({ issuer: 'https://sts.bench.example', organisations: [REGION, AALBORG] });

// PostgreSQL server: two instances.
const name = `bench_agreements_${randomBytes(5).toString('hex')}`;
const admin0 = new pg.Client({ connectionString: SERVER_URL });
let serverOk = true;
try {
  await admin0.connect();
  await admin0.query(`CREATE DATABASE ${name}`);
} catch (error) {
  serverOk = false;
  console.error(`PostgreSQL server not reachable at ${SERVER_URL}: ${(error as Error).message}`);
} finally {
  await admin0.end().catch(() => undefined);
}
if (serverOk) {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const dbA = await openDatabase({ kind: 'server', url: url.toString(), poolSize: 5 });
  const dbB = await openDatabase({ kind: 'server', url: url.toString(), poolSize: 5 });
  try {
    await seed(dbA);
    const a = await startBroker(dbA, issuer);
    const b = await startBroker(dbB, issuer);
    try {
      row('PostgreSQL server', 'instance A -> instance B', await measure(a, b, issuer, CHANGES));
      row('PostgreSQL server', 'instance A -> instance A', await measure(a, a, issuer, CHANGES));
    } finally {
      await b.stop();
      await a.stop();
    }
  } finally {
    await dbB.close();
    await dbA.close();
    const dropper = new pg.Client({ connectionString: SERVER_URL });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  }
}

// PGlite: one instance only.
{
  const db = await openDatabase({ kind: 'embedded', dataDir: null });
  try {
    await seed(db);
    const a = await startBroker(db, issuer);
    try {
      row('PGlite (embedded)', 'instance A -> instance B', 'not possible: single-process database');
      row('PGlite (embedded)', 'instance A -> instance A', await measure(a, a, issuer, CHANGES));
    } finally {
      await a.stop();
    }
  } finally {
    await db.close();
  }
}

const header: Row = ['database', 'approval through -> decision in', 'median (request sent)', 'median (after response)', 'p95 (request sent)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
const line = (r: Row) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(`\nAgreement change propagation: ${CHANGES} approvals each (node ${process.version})\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
