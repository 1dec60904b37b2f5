/**
 * Lookup benchmark. A simulated person register and four simulated sources (GP, child
 * psychiatry, PPR, family department) run on loopback in their own process, each answering after
 * 50 ms; the broker runs as its own process on PGlite and on the PostgreSQL server, and this
 * process is the load generator (fresh signed token per request, as the broker refuses replays).
 *
 * Prints: broker p50/p99 next to the critical path (person register + slowest source); a
 * sequential fan-out baseline with the same adapters and simulators; lookups/s at concurrency 50
 * and 200 with durable audit; every answer's time while one source hangs; and the broker's RSS
 * over a long run.
 *
 *   node bin/run-ts.mjs bench/lookup.ts [--memory-lookups 100000] [--only postgres|pglite]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { seedDemoAgreements } from '../src/agreements/index.js';
import { verifyAuditChain } from '../src/audit/audit-writer.js';
import { loadOrganisations } from '../src/directory/directory-cache.js';
import { createMemoryDirectoryView } from '../src/directory/memory-view.js';
import { importSorSnapshot } from '../src/directory/sor-import.js';
import { createSources, sourcesFileSchema, type SourcesConfig } from '../src/lookup/sources.js';
import { createTestIssuer, TEST_AUDIENCE, type TestIssuer } from '../test/helpers/issuers.js';
import { namedProcessesCpuMs, ownCpuMs, processCpuMs, processTreeCpuMs, processTreeRssMb } from './lib/cpu.js';
import { fmt, printTable, summarise } from './lib/stats.js';
import { benchAuditSigningKey } from './lib/audit-key.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MEMORY_LOOKUPS = Number(arg('memory-lookups') ?? 100_000);
const ONLY = arg('only');
// Only the throughput runs (for profiling and quick comparisons); skips latency, memory and hang runs.
const THROUGHPUT_ONLY = process.argv.includes('--throughput-only');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LATENCY_MS = 50;
const WARM_UP = 2000;

// The child (Noah, demo data): GP practice Kjærsgaard in Aalborg; every source has a case or an answer.
const CHILD_CPR = '0209144026';
const CALLER = '9520031000016003'; // Sundhedsplejen, Aalborg Kommune (health visitors)
const AALBORG = '9520011000016001';
const REGION = '9500011000016001';
const CHILD_PSYCHIATRY = '9500031000016003';
const PPR = '9520041000016004';
const FAMILY = '9520051000016005';

const work = mkdtempSync(path.join(tmpdir(), 'bench-lookup-'));

/**
 * The pilot agreements plus two giving the health visitors access to all four kinds of source:
 * one with the region (its psychiatry and, as the area's authority, the GP practices) and one
 * with Aalborg's own departments; one approving organisation per side, each with authority there.
 */
function agreementsFile(): string {
  const pilot = JSON.parse(readFileSync('fixtures/agreements/north-jutland.json', 'utf8')) as { approvedAt: string; agreements: Array<{ key: string; terms: Record<string, unknown> }> };
  const template = pilot.agreements.find((a) => a.key === 'gp-aalborg') ?? pilot.agreements[0];
  const common = {
    ...template?.terms,
    direction: 'mutual',
    roles: ['clinician', 'caseworker'],
    purposes: ['child-welfare-concern'],
    dataElements: ['case-existence', 'contact-details'],
  };
  pilot.agreements.push(
    {
      key: 'bench-health-visitors',
      terms: {
        ...common,
        title: 'Benchmark: Sundhedsplejen Aalborg and the region',
        sideA: { parties: [{ kind: 'unit', sor: CALLER }], approvingOrganisationSor: AALBORG },
        sideB: {
          parties: [{ kind: 'subtree', sor: REGION }, { kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } }],
          approvingOrganisationSor: REGION,
        },
      },
    },
    {
      key: 'bench-health-visitors-aalborg',
      terms: {
        ...common,
        title: "Benchmark: Sundhedsplejen Aalborg and Aalborg's departments",
        sideA: { parties: [{ kind: 'unit', sor: CALLER }], approvingOrganisationSor: CALLER },
        sideB: { parties: [{ kind: 'subtree', sor: AALBORG }], approvingOrganisationSor: AALBORG },
      },
    },
  );
  const file = path.join(work, 'agreements.json');
  writeFileSync(file, JSON.stringify(pilot));
  return file;
}

async function prepare(database: DatabaseHandle): Promise<void> {
  await migrateToLatest(database.db);
  await importSorSnapshot(database.db, { source: 'north-jutland.xml', stream: (await import('node:fs')).createReadStream('fixtures/sor/north-jutland.xml') }, { importedBy: 'bench' });
  await seedDemoAgreements(database.db, { file: agreementsFile(), directory: createMemoryDirectoryView(await loadOrganisations(database.db)) });
}

interface Sims { child: ChildProcess; urls: { personRegisterUrl: string; gpUrl: string; psychiatryUrl: string; caseIndexUrl: string } }

async function startSims(hang?: string): Promise<Sims> {
  // BENCH_SIMS_NODE_ARGS profiles the simulators the same way.
  const nodeArgs = process.env.BENCH_SIMS_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, 'bin/run-ts.mjs', 'bench/lookup-simulators.ts', '--latency', String(LATENCY_MS), ...(hang ? ['--hang', hang] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulators exited with ${code}`)));
  });
  return { child, urls: JSON.parse(line) as Sims['urls'] };
}

function sourcesConfig(urls: Sims['urls'], gpOwners: string[]): SourcesConfig {
  return sourcesFileSchema.parse({
    personRegister: { endpoint: urls.personRegisterUrl, timeoutMs: 2000 },
    sources: [
      { id: 'gp', kind: 'gp', protocol: 'fhir', endpoint: urls.gpUrl, ownerSor: gpOwners[0], serves: { practices: gpOwners }, timeoutMs: 2500 },
      { id: 'psychiatry', kind: 'child-psychiatry', protocol: 'fhir', endpoint: urls.psychiatryUrl, ownerSor: CHILD_PSYCHIATRY, serves: { municipalities: ['851'], regions: ['1081'] }, timeoutMs: 2500 },
      { id: 'ppr-851', kind: 'ppr', protocol: 'case-index', endpoint: urls.caseIndexUrl, ownerSor: PPR, serves: { municipalities: ['851'] }, kle: ['17.*'], municipalityCvr: '29189420', timeoutMs: 2500 },
      { id: 'family-851', kind: 'family', protocol: 'case-index', endpoint: urls.caseIndexUrl, ownerSor: FAMILY, serves: { municipalities: ['851'] }, kle: ['27.24'], municipalityCvr: '29189420', timeoutMs: 2500 },
    ],
  });
}

interface BrokerProcess { child: ChildProcess; url: string; rssMb(): number }

async function startBroker(env: Record<string, string>): Promise<BrokerProcess> {
  // BENCH_BROKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the broker.
  const nodeArgs = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Started as the Dockerfile and `npm start` start it.
  const child = spawn(process.execPath, ['--max-semi-space-size=64', ...nodeArgs, 'bin/broker.mjs', 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (l) => {
      const m = /"url":"(http:[^"]+)".*broker listening/.exec(l);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return {
    child,
    url,
    rssMb: () => processTreeRssMb(child.pid ?? 0),
  };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

interface LookupAnswer { ms: number; status: number; statuses: Record<string, string>; brokerMs: number }

function makeClient(base: string, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(`${base}/v1/lookups`);
  return (token: string, body: string): Promise<LookupAnswer> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        { agent, hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ms = performance.now() - started;
            const statuses: Record<string, string> = {};
            let brokerMs = Number.NaN;
            if (res.statusCode === 200) {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { durationMs: number; sources: Array<{ sourceId: string; status: string }> };
              for (const s of parsed.sources) statuses[s.sourceId] = s.status;
              brokerMs = parsed.durationMs;
            }
            resolve({ ms, status: res.statusCode ?? 0, statuses, brokerMs });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function tokens(issuer: TestIssuer, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += 1) out.push(await issuer.token({ organisationSor: CALLER, role: 'clinician', purposeOfUse: 'child-welfare-concern', lifetimeSeconds: 3000 }));
  return out;
}

async function run(client: ReturnType<typeof makeClient>, issuer: TestIssuer, total: number, concurrency: number, body: string, onProgress?: (done: number) => void) {
  const pool = await tokens(issuer, total);
  const answers: LookupAnswer[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next;
        next += 1;
        answers.push(await client(pool[i] as string, body));
        if (onProgress && answers.length % Math.max(1, Math.floor(total / 10)) === 0) onProgress(answers.length);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { answers, perSecond: total / seconds, latency: summarise(answers.map((a) => a.ms)), failed: answers.filter((a) => a.status !== 200).length };
}

/** CPU ms so far of the broker, the simulators, this process and the PostgreSQL server's processes. */
const cpuSnapshot = (broker: BrokerProcess, sims: Sims): number[] => [
  processTreeCpuMs(broker.child.pid ?? 0),
  processCpuMs(sims.child.pid ?? 0),
  ownCpuMs(),
  namedProcessesCpuMs('postgres'),
];

const lookupBody = (deadlineMs?: number) =>
  JSON.stringify({ cpr: CHILD_CPR, purposeOfUse: 'child-welfare-concern', reason: 'Benchmark: coordinated support for the child', ...(deadlineMs ? { deadlineMs } : {}) });

/**
 * The same adapters and simulators without the broker: consulted one after the other (the
 * sequential baseline), timing each call so the critical path (register + slowest source) is
 * measured rather than assumed.
 */
async function sequentialBaseline(config: SourcesConfig, n: number) {
  const { personRegister, sources } = createSources(config);
  const sequential: number[] = [];
  const critical: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    await personRegister?.find({ cpr: CHILD_CPR, requestId: `seq-${i}` }, AbortSignal.timeout(5000));
    const register = performance.now() - started;
    let slowest = 0;
    for (const s of sources) {
      const t0 = performance.now();
      await s.adapter.lookup({ cpr: CHILD_CPR, requestId: `seq-${i}` }, AbortSignal.timeout(5000));
      slowest = Math.max(slowest, performance.now() - t0);
    }
    sequential.push(performance.now() - started);
    critical.push(register + slowest);
  }
  return { sequential: summarise(sequential), critical: summarise(critical) };
}

async function serverReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: SERVER, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const results: Array<(string | number)[]> = [];
const throughput: Array<(string | number)[]> = [];
const hangRows: Array<(string | number)[]> = [];
const memoryRows: Array<(string | number)[]> = [];

async function benchKind(kind: 'pglite' | 'postgres') {
  const issuer = await createTestIssuer({ issuer: 'https://idp.bench.example', organisations: [AALBORG] });
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  // The server's database, read after the run; the embedded one is held by the running broker.
  let serverDb: DatabaseHandle | undefined;
  if (kind === 'pglite') {
    const dataDir = path.join(work, 'pglite');
    const db = await openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') });
    await prepare(db);
    await db.close();
    env = { BROKER_DATA_DIR: dataDir };
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const name = `bench_lookup_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: SERVER });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER);
    url.pathname = `/${name}`;
    const db = await openDatabase({ kind: 'server', url: url.toString() });
    serverDb = db;
    await prepare(db);
    env = { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '20' };
    cleanup = async () => {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  const gpOwners = ['9510011000016001', '9510111000016001', '9510211000016001'];
  const sims = await startSims();
  const sourcesFile = path.join(work, `sources-${kind}.json`);
  const config = sourcesConfig(sims.urls, gpOwners);
  writeFileSync(sourcesFile, JSON.stringify(config));
  const brokerEnv = {
    ...env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', BROKER_AUDIT_SIGNING_KEY: await benchAuditSigningKey(),
    BROKER_AUDIENCE: TEST_AUDIENCE, BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer.config]), BROKER_SOURCES_FILE: sourcesFile,
  };
  // On the PostgreSQL server the broker runs one worker process per core, and, side by side in the
  // same run, as a single process; the embedded database serves one process only.
  const workers = kind === 'postgres' ? Number(process.env.BENCH_BROKER_WORKERS ?? 2) : 1;
  const throughputRuns = async (b: BrokerProcess, brokerWorkers: number): Promise<number> => {
    let done = 0;
    for (const concurrency of (process.env.BENCH_CONCURRENCY ?? '50,200').split(',').map(Number)) {
      const total = concurrency === 50 ? 4000 : 8000;
      const client = makeClient(b.url, concurrency);
      const cpu = cpuSnapshot(b, sims);
      const r = await run(client, issuer, total, concurrency, lookupBody());
      const used = cpuSnapshot(b, sims).map((ms, i) => fmt((ms - (cpu[i] ?? 0)) / total, 2));
      done += total;
      const inBroker = summarise(r.answers.map((a) => a.brokerMs));
      throughput.push([kind, brokerWorkers, concurrency, total, fmt(r.perSecond, 0), fmt(r.latency.p50), fmt(r.latency.p99), fmt(inBroker.p50), r.failed, ...used]);
    }
    return done;
  };
  let broker = await startBroker({ ...brokerEnv, BROKER_WORKERS: String(workers) });
  let lookups = 0;
  try {
    const one = makeClient(broker.url, 1);
    const check = await run(one, issuer, 1, 1, lookupBody());
    const statuses = check.answers[0]?.statuses ?? {};
    if (Object.values(statuses).length !== 4 || Object.values(statuses).some((s) => s !== 'found' && s !== 'not-found')) {
      throw new Error(`the benchmark lookup does not consult four sources cleanly: ${JSON.stringify(statuses)}`);
    }
    // Warm-up: enough for every worker's JIT to settle before anything is measured.
    await run(makeClient(broker.url, 50), issuer, WARM_UP, 50, lookupBody());
    lookups += 1 + WARM_UP;
    if (!THROUGHPUT_ONLY) {
      const serial = await run(one, issuer, 300, 1, lookupBody());
      const baseline = await sequentialBaseline(config, 200);
      lookups += 300;
      const goal = 1.2 * baseline.critical.p99 + 10;
      results.push([kind, 'critical path: register + slowest source, measured', fmt(baseline.critical.p50), fmt(baseline.critical.p99), '-', '-']);
      results.push([kind, `broker (${workers} process${workers > 1 ? 'es' : ''}), parallel fan-out, c=1`, fmt(serial.latency.p50), fmt(serial.latency.p99), fmt(goal), serial.latency.p99 <= goal ? 'yes' : 'NO']);
      results.push([kind, 'sequential fan-out baseline', fmt(baseline.sequential.p50), fmt(baseline.sequential.p99), '-', '-']);
    }

    lookups += await throughputRuns(broker, workers);
    if (workers > 1) {
      await stop(broker.child);
      broker = await startBroker({ ...brokerEnv, BROKER_WORKERS: '1' });
      await run(makeClient(broker.url, 50), issuer, WARM_UP, 50, lookupBody());
      lookups += WARM_UP + (await throughputRuns(broker, 1));
      await stop(broker.child);
      broker = await startBroker({ ...brokerEnv, BROKER_WORKERS: String(workers) });
    }
    if (THROUGHPUT_ONLY) return;

    const memoryTotal = kind === 'postgres' ? MEMORY_LOOKUPS : Math.min(MEMORY_LOOKUPS, 20_000);
    const samples: string[] = [`start ${fmt(broker.rssMb(), 0)}`];
    const mem = await run(makeClient(broker.url, 100), issuer, memoryTotal, 100, lookupBody(), (done) => samples.push(`${done / 1000}k ${fmt(broker.rssMb(), 0)}`));
    lookups += memoryTotal;
    memoryRows.push([kind, workers, memoryTotal, fmt(mem.perSecond, 0), samples.join(', ')]);
    if (serverDb) {
      const audited = Number((await serverDb.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).where('kind', '=', 'lookup').executeTakeFirstOrThrow()).n);
      results.push([kind, 'audit records written / lookups answered', audited, lookups, '-', audited === lookups ? 'yes' : 'NO']);
      // Written by several processes at once: the chain must still verify from the first record.
      const chain = await verifyAuditChain(serverDb.db, 10_000);
      results.push([kind, 'audit chain verified: records checked / first break', chain.checked, chain.brokenAt ?? 'none', '-', chain.ok ? 'yes' : 'NO']);
    }
  } finally {
    await stop(broker.child);
    await stop(sims.child);
    if (THROUGHPUT_ONLY) await cleanup();
  }
  if (THROUGHPUT_ONLY) return;

  // One source hangs: every answer must come within the deadline + 50 ms.
  const hanging = await startSims('psychiatry');
  writeFileSync(sourcesFile, JSON.stringify(sourcesConfig(hanging.urls, gpOwners)));
  broker = await startBroker({ ...brokerEnv, BROKER_WORKERS: String(workers) });
  try {
    const deadline = 1000;
    const r = await run(makeClient(broker.url, 10), issuer, 600, 10, lookupBody(deadline));
    const brokerMax = Math.max(...r.answers.map((a) => a.brokerMs));
    const psychiatry = new Map<string, number>();
    for (const a of r.answers) psychiatry.set(a.statuses.psychiatry ?? 'none', (psychiatry.get(a.statuses.psychiatry ?? 'none') ?? 0) + 1);
    hangRows.push([kind, workers, deadline, fmt(r.latency.p50), fmt(r.latency.p99), fmt(r.latency.max), fmt(brokerMax, 0), r.latency.max <= deadline + 50 ? 'yes' : 'NO', [...psychiatry].map(([s, n]) => `${s} ${n}`).join(', ')]);
  } finally {
    await stop(broker.child);
    await stop(hanging.child);
    await cleanup();
  }
}

const kinds: Array<'pglite' | 'postgres'> = [];
if (ONLY !== 'postgres') kinds.push('pglite');
if (ONLY !== 'pglite' && (await serverReachable())) kinds.push('postgres');
for (const kind of kinds) {
  console.error(`bench lookup: ${kind}...`);
  await benchKind(kind);
}
printTable(`Lookup latency: person register, then 4 sources, each simulated at ${LATENCY_MS} ms`, ['database', 'measure', 'p50 ms', 'p99 ms', 'goal p99 <= 1.2 x critical + 10', 'goal met'], results);
printTable(
  'Throughput with durable audit (fresh token per lookup, load from a separate process on the same 2 cores); CPU ms per lookup by process',
  ['database', 'broker processes', 'concurrency', 'lookups', 'lookups/s', 'p50 ms', 'p99 ms', 'p50 durationMs in broker', 'non-200', 'CPU broker', 'CPU simulators', 'CPU load generator', 'CPU postgres'],
  throughput,
);
printTable('One source hangs (deadline 1000 ms, c=10, 600 lookups)', ['database', 'broker processes', 'deadline ms', 'p50 ms', 'p99 ms', 'max ms', 'max durationMs in broker', 'max <= deadline + 50', 'psychiatry statuses'], hangRows);
printTable('Broker RSS (MB) over a long run at c=100', ['database', 'broker processes', 'lookups', 'lookups/s', 'RSS at start, then every 10%'], memoryRows);
rmSync(work, { recursive: true, force: true });
