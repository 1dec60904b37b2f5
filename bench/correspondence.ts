/**
 * Correspondence benchmark. The broker runs as its own process (on the PostgreSQL server and on
 * embedded PGlite); this process is the MedCom gateway (a loopback sink counting envelopes) and
 * the load generator (a fresh signed token per request, as the broker refuses replays).
 *
 * - inbound: CareCommunications posted to /v1/medcom/inbound at a fixed concurrency, each
 *   validated, stored, audited and answered with its Acknowledgement in the response; also the
 *   time until every Acknowledgement was delivered back through the gateway (job queue).
 * - OIOXML inbound: in the same run and at the same concurrency, XDIS91 letters (MedCom's Flow1
 *   example with fresh envelope and letter ids) converted, validated, stored, audited and answered
 *   with their XCTL03 receipt in the response; printed beside the FHIR rate with their ratio.
 * - send: POST /v1/correspondence at a fixed concurrency (stored, audited, enqueued), and the
 *   steady-state delivery rate through the job queue to the gateway.
 *
 *   node bin/run-ts.mjs bench/correspondence.ts [--messages 2000] [--concurrency 32] [--only postgres|pglite]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { parseCareCommunication, type JsonObject } from '../adapters/medcom/index.js';
import { fixtureBundle, fixtureBytes } from '../test/helpers/medcom-samples.js';
import { createTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../test/helpers/issuers.js';
import { MC, ROOTS, createTestGatewayIssuer, gatewayEnv, seedCorrespondenceDirectory } from '../test/helpers/medcom-orgs.js';
import { fmt, printTable, summarise } from './lib/stats.js';
import { benchAuditSigningKey } from './lib/audit-key.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MESSAGES = Number(arg('messages') ?? 2000);
const CONCURRENCY = Number(arg('concurrency') ?? 32);
const ONLY = arg('only');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const work = mkdtempSync(path.join(tmpdir(), 'bench-correspondence-'));

function gatewaySink() {
  const counts = { messages: 0, acknowledgements: 0 };
  let onChange: () => void = () => undefined;
  const server = http.createServer((req, res) => {
    let name = '';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      name = /<Name>([^<]*)<\/Name>/.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '';
      if (name.startsWith('MCM:FCTL')) counts.acknowledgements += 1;
      else counts.messages += 1;
      res.statusCode = 202;
      res.end();
      onChange();
    });
  });
  return {
    counts,
    waitFor: (check: () => boolean) =>
      new Promise<void>((resolve) => {
        if (check()) return resolve();
        onChange = () => check() && resolve();
      }),
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}/vans`))),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts the broker quietly (warnings only) and waits for /readyz. */
async function startBroker(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(process.env.BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean), 'bin/broker.mjs', 'start'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const until = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`broker exited ${exited}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) return { url, child };
    if (Date.now() > until) throw new Error('broker did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU time (ms, user + system) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return Number.NaN;
  }
}

/** Runs `total` requests at `concurrency`; returns latencies (ms) and wall time (ms). */
async function load(total: number, concurrency: number, request: (i: number) => Promise<void>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await request(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

/** EG_Clinea's message to the pharmacy with fresh ids: a distinct message each time. */
function inboundMessages(n: number): string[] {
  const sample = fixtureBundle('EG_Clinea.json');
  const header = parseCareCommunication(sample).messageHeaderId as string;
  const text = JSON.stringify(sample);
  return Array.from({ length: n }, () => {
    const copy = JSON.parse(text.split(header).join(crypto.randomUUID())) as JsonObject;
    copy['id'] = crypto.randomUUID();
    return JSON.stringify(copy);
  });
}

/** MedCom's Flow1 XDIS91 letter with fresh envelope and letter identifiers: a distinct letter each time. */
function inboundLetters(n: number, run: string): string[] {
  const sample = fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml').toString('utf8');
  return Array.from({ length: n }, (_, i) => {
    const id = `${run}${i.toString(36).padStart(8, '0')}`.toUpperCase().slice(-12);
    return sample.replace('<Identifier>KuvNrerwerwe99</Identifier>', `<Identifier>K${id}</Identifier>`).replace('<Identifier>Brevt23400929</Identifier>', `<Identifier>B${id}</Identifier>`);
  });
}

async function tokens(issuer: TestIssuer, n: number, request: Parameters<TestIssuer['token']>[0]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await issuer.token(request));
  return out;
}

interface Row {
  database: string;
  inboundPerSecond: number;
  inboundP50: number;
  inboundP99: number;
  inboundBrokerCpuMs: number;
  ackDeliveredPerSecond: number;
  oioxmlPerSecond: number;
  oioxmlP50: number;
  oioxmlP99: number;
  oioxmlBrokerCpuMs: number;
  sendPerSecond: number;
  sendP99: number;
  sendBrokerCpuMs: number;
  deliveredPerSecond: number;
}

async function run(kind: 'postgres' | 'pglite', sts: TestIssuer, gatewayIssuer: TestIssuer): Promise<Row> {
  let databaseEnv: Record<string, string> = {};
  let drop: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(path.join(work, `${kind}-`));
  if (kind === 'postgres') {
    const name = `bench_corr_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: SERVER });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(SERVER);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ kind: 'server', url: url.toString() });
    await migrateToLatest(handle.db);
    await seedCorrespondenceDirectory(handle.db);
    await handle.close();
    databaseEnv = { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? '40' };
    drop = async () => {
      const c = new pg.Client({ connectionString: SERVER });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const handle = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
    await migrateToLatest(handle.db);
    await seedCorrespondenceDirectory(handle.db);
    await handle.close();
  }
  const sink = gatewaySink();
  const gatewayUrl = await sink.listen();
  const broker = await startBroker({
    ...process.env,
    ...databaseEnv,
    BROKER_DATA_DIR: dataDir,
    NODE_ENV: 'production',
    BROKER_AUDIT_SIGNING_KEY: await benchAuditSigningKey(),
    LOG_LEVEL: 'warn',
    BROKER_AUDIENCE: TEST_AUDIENCE,
    BROKER_TRUSTED_ISSUERS: JSON.stringify([sts.config, gatewayIssuer.config]),
    ...gatewayEnv(gatewayIssuer),
    MEDCOM_GATEWAY_URL: gatewayUrl,
    BROKER_JOBS_POLLING_SECONDS: '1',
  });
  try {
    // Warm-up: JIT, caches, pg-boss queues.
    const warm = inboundMessages(50);
    const warmTokens = await tokens(gatewayIssuer, 50, { organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    await load(50, 8, async (i) => {
      await (await fetch(`${broker.url}/v1/medcom/inbound`, { method: 'POST', headers: { Authorization: `Bearer ${warmTokens[i]}`, 'Content-Type': 'application/fhir+json' }, body: warm[i] })).arrayBuffer();
    });
    await sink.waitFor(() => sink.counts.acknowledgements >= 50);

    // Inbound with acknowledgements.
    const messages = inboundMessages(MESSAGES);
    const gatewayTokens = await tokens(gatewayIssuer, MESSAGES, { organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const acksBefore = sink.counts.acknowledgements;
    const cpuBeforeInbound = cpuMs(broker.child.pid);
    const inboundStart = performance.now();
    const inbound = await load(MESSAGES, CONCURRENCY, async (i) => {
      const res = await fetch(`${broker.url}/v1/medcom/inbound`, { method: 'POST', headers: { Authorization: `Bearer ${gatewayTokens[i]}`, 'Content-Type': 'application/fhir+json' }, body: messages[i] });
      await res.arrayBuffer();
      if (res.status !== 200 || res.headers.get('x-medcom-acknowledgement') !== 'ok') throw new Error(`inbound answered ${res.status}`);
    });
    await sink.waitFor(() => sink.counts.acknowledgements - acksBefore >= MESSAGES);
    const ackMs = performance.now() - inboundStart;
    const inboundCpu = cpuMs(broker.child.pid) - cpuBeforeInbound;

    // OIOXML inbound: XDIS91 letters answered with XCTL03 in the response.
    const letters = inboundLetters(MESSAGES, randomBytes(2).toString('hex'));
    const letterTokens = await tokens(gatewayIssuer, MESSAGES, { organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const cpuBeforeOioxml = cpuMs(broker.child.pid);
    const oioxml = await load(MESSAGES, CONCURRENCY, async (i) => {
      const res = await fetch(`${broker.url}/v1/medcom/inbound`, { method: 'POST', headers: { Authorization: `Bearer ${letterTokens[i]}`, 'Content-Type': 'application/xml' }, body: letters[i] });
      await res.arrayBuffer();
      if (res.status !== 200 || res.headers.get('x-medcom-outcome') !== 'stored') throw new Error(`XDIS91 inbound answered ${res.status} ${res.headers.get('x-medcom-outcome')}`);
    });
    const oioxmlCpu = cpuMs(broker.child.pid) - cpuBeforeOioxml;

    // Send: accepted (stored, audited, enqueued) and delivered through the queue.
    const clinicianTokens = await tokens(sts, MESSAGES, { organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
    const body = JSON.stringify({
      receiverSor: MC.teamAalborg,
      patient: { cpr: '0505201234', given: ['Ida'], family: 'Holm' },
      category: 'carecoordination',
      text: 'Hvem er kontaktperson for Ida?',
      author: { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '98123456' },
    });
    const deliveredBefore = sink.counts.messages;
    const cpuBeforeSend = cpuMs(broker.child.pid);
    const sendStart = performance.now();
    const send = await load(MESSAGES, CONCURRENCY, async (i) => {
      const res = await fetch(`${broker.url}/v1/correspondence`, { method: 'POST', headers: { Authorization: `Bearer ${clinicianTokens[i]}`, 'Content-Type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`send answered ${res.status}`);
    });
    await sink.waitFor(() => sink.counts.messages - deliveredBefore >= MESSAGES);
    const deliveredMs = performance.now() - sendStart;
    const sendCpu = cpuMs(broker.child.pid) - cpuBeforeSend;

    const inboundStats = summarise(inbound.latencies);
    const sendStats = summarise(send.latencies);
    const oioxmlStats = summarise(oioxml.latencies);
    return {
      database: kind === 'postgres' ? 'PostgreSQL server' : 'PGlite (embedded)',
      inboundPerSecond: (MESSAGES / inbound.wallMs) * 1000,
      inboundP50: inboundStats.p50,
      inboundP99: inboundStats.p99,
      inboundBrokerCpuMs: inboundCpu / MESSAGES,
      ackDeliveredPerSecond: (MESSAGES / ackMs) * 1000,
      oioxmlPerSecond: (MESSAGES / oioxml.wallMs) * 1000,
      oioxmlP50: oioxmlStats.p50,
      oioxmlP99: oioxmlStats.p99,
      oioxmlBrokerCpuMs: oioxmlCpu / MESSAGES,
      sendPerSecond: (MESSAGES / send.wallMs) * 1000,
      sendP99: sendStats.p99,
      sendBrokerCpuMs: sendCpu / MESSAGES,
      deliveredPerSecond: (MESSAGES / deliveredMs) * 1000,
    };
  } finally {
    const exited = new Promise((r) => broker.child.on('exit', r));
    broker.child.kill('SIGTERM');
    await exited;
    await sink.close();
    await drop?.();
  }
}

const sts = await createTestIssuer({ issuer: 'https://sts.bench.example', organisations: ROOTS });
const gatewayIssuer = await createTestGatewayIssuer('https://gateway.bench.example');
const rows: Row[] = [];
for (const kind of ['postgres', 'pglite'] as const) {
  if (ONLY && ONLY !== kind) continue;
  rows.push(await run(kind, sts, gatewayIssuer));
}
printTable(
  `MedCom correspondence, ${MESSAGES} messages, concurrency ${CONCURRENCY} (broker in its own process; durable audit; 2 cores shared with the load generator)`,
  ['database', 'inbound msg/s (ack in response)', 'inbound p50 ms', 'inbound p99 ms', 'inbound incl. ack delivered, msg/s', 'broker CPU ms/inbound msg', 'OIOXML XDIS91 inbound msg/s (XCTL03 in response)', 'OIOXML p50 ms', 'OIOXML p99 ms', 'OIOXML / FHIR inbound', 'broker CPU ms/XDIS91 msg', 'send accepted/s', 'send p99 ms', 'send delivered/s (steady state)', 'broker CPU ms/sent msg'],
  rows.map((r) => [r.database, fmt(r.inboundPerSecond), fmt(r.inboundP50), fmt(r.inboundP99), fmt(r.ackDeliveredPerSecond), fmt(r.inboundBrokerCpuMs, 2), fmt(r.oioxmlPerSecond), fmt(r.oioxmlP50), fmt(r.oioxmlP99), fmt(r.oioxmlPerSecond / r.inboundPerSecond, 2), fmt(r.oioxmlBrokerCpuMs, 2), fmt(r.sendPerSecond), fmt(r.sendP99), fmt(r.deliveredPerSecond), fmt(r.sendBrokerCpuMs, 2)]),
);
console.log(`load average during the run: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')} (on ${(await import('node:os')).cpus().length} cores)`);
