/**
 * Directory benchmark: the SOR import of the national-scale file (fixtures/generated/sor-national.xml,
 * made by bench/sor-generate.ts when missing) and directory search latency, on embedded PGlite and
 * on the PostgreSQL server.
 *
 * Each import runs as `broker sor import` in a child process, measured from outside (wall time,
 * peak RSS from /usr/bin/time -v, else VmHWM polled from /proc): a fresh import, the same file
 * again (identical: fast path), and a changed file (renamed, removed and added units). The floor
 * of the command (`broker --help`) and of opening the database (`broker migrate` on the migrated
 * database) are measured too, so the import's own share can be told apart: PGlite runs the whole
 * database inside the importing process.
 *
 * Searches then run against the imported database, N times each after a warm-up, both through
 * searchOrganisations and over HTTP against a broker started on the database (a fresh one-time
 * token per request, as callers send them).
 *
 * The fresh import is also measured from a compiled build (tsconfig.build.json, as the image runs
 * it, without the TypeScript loader; --no-compiled leaves that out) and with V8's old space
 * capped (--max-old-space-size=128): V8 grows its heap lazily, the more so on a busy machine, so
 * the uncapped peak varies by tens of MB between runs while the capped one shows what the
 * import needs to hold.
 *
 *   node bin/run-ts.mjs bench/directory.ts [--n 300] [--only pglite|postgres] [--no-compiled]
 *   TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the bench
 *   creates and drops a database of its own there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import { loadConfig } from '../src/config/config.js';
import { type OrganisationFilters, searchOrganisations } from '../src/directory/queries.js';
import { createLogger } from '../src/logging/logger.js';
import { createBroker, listen } from '../src/main.js';
import { TEST_AUDIENCE, createTestIssuer } from '../test/helpers/issuers.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Number(arg('n') ?? 300);
const WARM_UP = 30;
const ONLY = arg('only');
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = path.resolve(import.meta.dirname, '..');
const NATIONAL = path.join(ROOT, 'fixtures/generated/sor-national.xml');
const BROKER = path.join(ROOT, 'bin/broker.mjs');
const TIME = '/usr/bin/time';
const COMPILED = !process.argv.includes('--no-compiled');
const HEAP_CAP = '--max-old-space-size=128';

/** Compiles the broker as the image does (tsconfig.build.json) into `work`; returns its CLI. */
function buildCompiled(work: string): string {
  process.stderr.write('compiling the broker (tsconfig.build.json)...\n');
  const outDir = path.join(work, 'dist');
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
  // Packages resolve upwards from the compiled files.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  return path.join(outDir, 'src/cli.js');
}

interface Run {
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly output: string;
}

/**
 * Runs `broker <args>` in a child process and measures it from outside: from the source checkout
 * (bin/broker.mjs, TypeScript through tsx) or, given `cli`, a compiled build (what the image runs).
 */
async function measure(args: readonly string[], env: NodeJS.ProcessEnv, cli = BROKER): Promise<Run> {
  const viaTime = existsSync(TIME);
  const command = viaTime ? TIME : process.execPath;
  const argv = viaTime ? ['-v', process.execPath, cli, ...args] : [cli, ...args];
  const started = performance.now();
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let polledKb = 0;
  const poll = viaTime
    ? null
    : setInterval(() => {
        try {
          const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
          polledKb = Math.max(polledKb, kb);
        } catch {
          // exited between polls
        }
      }, 20);
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`broker ${args.join(' ')} exited with ${code}:\n${stderr}`);
  const kb = viaTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) : polledKb;
  return { wallMs, peakRssMb: kb / 1024, output: stdout.trim() };
}

/** A later snapshot: three units renamed, two removed, two added (copies under new SOR codes). */
function writeChangedSnapshot(dir: string): string {
  let xml = readFileSync(NATIONAL, 'utf8');
  const open = '<OrganizationalUnitEntity>';
  const close = '</OrganizationalUnitEntity>';
  const leaves: Array<{ start: number; end: number }> = [];
  for (let at = xml.indexOf(open); at >= 0 && leaves.length < 60_000; ) {
    const next = xml.indexOf(open, at + 1);
    const end = xml.indexOf(close, at) + close.length;
    if (next < 0 || next > end) leaves.push({ start: at, end });
    at = next;
  }
  const pick = (i: number) => leaves[Math.floor((leaves.length * i) / 8)] as { start: number; end: number };
  // Edit from the back so earlier offsets stay valid.
  const edits = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ i, leaf: pick(i) })).sort((a, b) => b.leaf.start - a.leaf.start);
  for (const { i, leaf } of edits) {
    const block = xml.slice(leaf.start, leaf.end);
    let replacement: string;
    if (i <= 3) replacement = block.replace(/<EntityName>([^<]*)<\/EntityName>/, '<EntityName>$1 (omdøbt)</EntityName>');
    else if (i <= 5) replacement = '';
    else {
      const sor = `99${String(i).padStart(6, '0')}1000016000`;
      const copy = block.replace(/<SorIdentifier>\d+<\/SorIdentifier>/, `<SorIdentifier>${sor}</SorIdentifier>`).replace(/<EntityName>([^<]*)<\/EntityName>/, '<EntityName>$1, ny enhed</EntityName>');
      replacement = block + copy;
    }
    xml = xml.slice(0, leaf.start) + replacement + xml.slice(leaf.end);
  }
  xml = xml.replace(/<SnapshotDate>(\d{4}-\d{2}-\d{2})<\/SnapshotDate>/, (_m, d: string) => {
    const next = new Date(`${d}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return `<SnapshotDate>${next.toISOString().slice(0, 10)}</SnapshotDate>`;
  });
  const file = path.join(dir, 'sor-national-changed.xml');
  writeFileSync(file, xml);
  return file;
}

interface QueryKind {
  readonly name: string;
  readonly filters: (i: number) => OrganisationFilters;
}

async function queryKinds(db: DatabaseHandle['db']): Promise<QueryKind[]> {
  const regions = (await db.selectFrom('organisation').select('sor').where('level', '=', 'institution-owner').where('name', 'like', 'Region %').orderBy('sor').execute()).map((r) => r.sor);
  const hospitals = (await db.selectFrom('organisation').select('sor').where('level', '=', 'health-institution').where('name', 'like', '%Hospital%').orderBy('sor').limit(20).execute()).map((r) => r.sor);
  if (regions.length === 0 || hospitals.length === 0) throw new Error('the imported file has no regions or hospitals');
  const names = ['psykiatri', 'jensen', 'hospital 3', 'tandlæge', 'team 2', 'kommune 85', 'børne- og unge', 'nielsen & co'];
  const at = <T>(list: readonly T[], i: number) => list[i % list.length] as T;
  const today = new Date().toISOString().slice(0, 10);
  return [
    { name: 'name (q=)', filters: (i) => ({ q: at(names, i) }) },
    { name: 'subtree: region', filters: (i) => ({ subtree: at(regions, i) }) },
    { name: 'subtree: hospital', filters: (i) => ({ subtree: at(hospitals, i) }) },
    { name: 'combined (region + q + activeAt)', filters: (i) => ({ subtree: at(regions, i), q: at(['psykiatri', 'team 1', 'pædiatri', 'afsnit'], i), activeAt: today }) },
  ];
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

interface Latency {
  readonly via: string;
  readonly kind: string;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly meanItems: number;
}

async function time(via: string, kind: QueryKind, run: (f: OrganisationFilters) => Promise<number>): Promise<Latency> {
  for (let i = 0; i < WARM_UP; i += 1) await run(kind.filters(i));
  const samples: number[] = [];
  let items = 0;
  for (let i = 0; i < N; i += 1) {
    const filters = kind.filters(i);
    const started = performance.now();
    items += await run(filters);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { via, kind: kind.name, p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99), meanItems: items / N };
}

async function searchLatencies(database: DatabaseHandle): Promise<Latency[]> {
  const kinds = await queryKinds(database.db);
  const page = { limit: 50, sort: 'name', order: 'asc' } as const;
  const results: Latency[] = [];
  for (const kind of kinds) {
    results.push(await time('function', kind, async (f) => (await searchOrganisations(database.db, f, page)).items.length));
  }

  const region = (await database.db.selectFrom('organisation').select('sor').where('level', '=', 'institution-owner').where('name', 'like', 'Region %').orderBy('sor').executeTakeFirstOrThrow()).sor;
  const issuer = await createTestIssuer({ issuer: 'https://sts.bench.example', organisations: [region] });
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', BROKER_AUDIENCE: TEST_AUDIENCE,
    BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer.config]), LOG_LEVEL: 'silent',
  });
  const broker = await listen(await createBroker(config, { logger: createLogger({ level: 'silent' }), database }), config);
  try {
    for (const kind of kinds) {
      // One-time tokens, signed ahead so signing is not timed; verifying them is, as callers see it.
      const tokens = await Promise.all(Array.from({ length: N + WARM_UP }, () => issuer.token({ organisationSor: region })));
      let next = 0;
      results.push(
        await time('HTTP', kind, async (f) => {
          const query = new URLSearchParams(Object.entries(f).filter((e): e is [string, string] => typeof e[1] === 'string'));
          const response = await fetch(`${broker.url}/v1/organisations?${query}`, { headers: { Authorization: `Bearer ${tokens[next++]}` } });
          if (!response.ok) throw new Error(`GET /v1/organisations?${query}: ${response.status} ${await response.text()}`);
          return ((await response.json()) as { items: unknown[] }).items.length;
        }),
      );
    }
  } finally {
    // The broker was given the database: closing it leaves the database open.
    await broker.close();
  }
  return results;
}

interface ImportRow {
  readonly database: string;
  readonly step: string;
  readonly run: Run;
}

interface Target {
  readonly env: NodeJS.ProcessEnv;
  readonly open: () => Promise<DatabaseHandle>;
  /** The same kind of database, empty, for the compiled build's import. */
  readonly fresh: () => Promise<{ env: NodeJS.ProcessEnv; drop: () => Promise<void> }>;
}

async function benchDatabase(label: string, target: Target, changed: string, compiledCli: string | null): Promise<{ imports: ImportRow[]; latencies: Latency[] }> {
  const imports: ImportRow[] = [];
  const step = async (name: string, args: string[], env = target.env, cli = BROKER) => {
    process.stderr.write(`${label}: ${name}...\n`);
    imports.push({ database: label, step: name, run: await measure(args, env, cli) });
  };
  if (compiledCli) {
    const fresh = await target.fresh();
    try {
      await measure(['migrate'], fresh.env, compiledCli);
      await step('compiled build: open + migrate (no-op)', ['migrate'], fresh.env, compiledCli);
      await step('compiled build: import national file', ['sor', 'import', NATIONAL], fresh.env, compiledCli);
    } finally {
      await fresh.drop();
    }
  }
  {
    // V8 grows its heap lazily, more so when the machine is busy: a cap shows what the import
    // itself needs to hold.
    const fresh = await target.fresh();
    try {
      const env = { ...fresh.env, NODE_OPTIONS: `${fresh.env.NODE_OPTIONS ?? ''} ${HEAP_CAP}`.trim() };
      await measure(['migrate'], env);
      await step(`import national file, ${HEAP_CAP}`, ['sor', 'import', NATIONAL], env);
    } finally {
      await fresh.drop();
    }
  }
  await step('create + migrate', ['migrate']);
  await step('open + migrate (no-op)', ['migrate']);
  await step('import national file', ['sor', 'import', NATIONAL]);
  await step('re-import, identical file', ['sor', 'import', NATIONAL]);
  await step('import changed file', ['sor', 'import', changed]);
  process.stderr.write(`${label}: searches...\n`);
  const database = await target.open();
  try {
    return { imports, latencies: await searchLatencies(database) };
  } finally {
    await database.close();
  }
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 || i === 1 || i === 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  if (!existsSync(NATIONAL)) {
    process.stderr.write('generating the national file...\n');
    const made = spawnSync(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'bench/sor-generate.ts')], { cwd: ROOT, stdio: 'inherit' });
    if (made.status !== 0) throw new Error('bench/sor-generate.ts failed');
  }
  const work = mkdtempSync(path.join(tmpdir(), 'directory-bench-'));
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', NODE_ENV: 'development' };
  delete baseEnv.DATABASE_URL;
  const imports: ImportRow[] = [];
  const latencies: Array<Latency & { database: string }> = [];
  try {
    const changed = writeChangedSnapshot(work);
    imports.push({ database: '-', step: 'command floor (broker --help)', run: await measure(['--help'], baseEnv) });
    const compiledCli = COMPILED ? buildCompiled(work) : null;
    if (compiledCli) imports.push({ database: '-', step: 'compiled build: command floor', run: await measure(['--help'], baseEnv, compiledCli) });

    if (ONLY !== 'postgres') {
      const dataDir = path.join(work, 'pglite');
      const fresh = async () => {
        const other = mkdtempSync(path.join(work, 'pglite-fresh-'));
        return { env: { ...baseEnv, BROKER_DATA_DIR: other }, drop: async () => rmSync(other, { recursive: true, force: true }) };
      };
      const result = await benchDatabase('PGlite', { env: { ...baseEnv, BROKER_DATA_DIR: dataDir }, open: () => openDatabase({ kind: 'embedded', dataDir: path.join(dataDir, 'pg') }), fresh }, changed, compiledCli);
      imports.push(...result.imports);
      latencies.push(...result.latencies.map((l) => ({ ...l, database: 'PGlite' })));
    }
    if (ONLY !== 'pglite') {
      const admin = new pg.Client({ connectionString: SERVER_URL });
      await admin.connect();
      const created: string[] = [];
      const create = async () => {
        const name = `directory_bench_${randomBytes(4).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${name}`);
        created.push(name);
        const url = new URL(SERVER_URL);
        url.pathname = `/${name}`;
        return { name, url: url.toString() };
      };
      const drop = (name: string) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const { url } = await create();
      const fresh = async () => {
        const other = await create();
        return { env: { ...baseEnv, DATABASE_URL: other.url }, drop: async () => void (await drop(other.name)) };
      };
      try {
        const result = await benchDatabase('PostgreSQL', { env: { ...baseEnv, DATABASE_URL: url }, open: () => openDatabase({ kind: 'server', url, poolSize: 10 }), fresh }, changed, compiledCli);
        imports.push(...result.imports);
        latencies.push(...result.latencies.map((l) => ({ ...l, database: 'PostgreSQL' })));
      } finally {
        for (const name of created) await drop(name);
        await admin.end();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const entities = imports.find((r) => r.step === 'import national file')?.run.output.match(/imported (\d+) entities/)?.[1] ?? '?';
  console.log(`\nSOR import: ${path.relative(ROOT, NATIONAL)} (${(existsSync(NATIONAL) ? readFileSync(NATIONAL).length / 1_048_576 : 0).toFixed(0)} MB, ${entities} entities); child process, wall time incl. start-up`);
  console.log(
    table(
      ['database', 'step', 'result', 'wall s', 'peak RSS MB'],
      imports.map((r) => [r.database, r.step, r.run.output.split('\n').pop()?.replace(/^imported /, '').slice(0, 70) ?? '', (r.run.wallMs / 1000).toFixed(1), r.run.peakRssMb.toFixed(0)]),
    ),
  );
  console.log(`\nDirectory search, first page of 50 sorted by name; N=${N} after ${WARM_UP} warm-up; ms`);
  console.log(
    table(
      ['database', 'via', 'query', 'p50', 'p95', 'p99', 'items'],
      latencies.map((l) => [l.database, l.via, l.kind, l.p50.toFixed(2), l.p95.toFixed(2), l.p99.toFixed(2), l.meanItems.toFixed(0)]),
    ),
  );
  const slow = latencies.filter((l) => l.p95 >= 20);
  console.log(slow.length === 0 ? '\nGoal met: every p95 under 20 ms.' : `\nGoal missed: p95 >= 20 ms for ${slow.map((l) => `${l.database} ${l.via} ${l.kind}`).join(', ')}`);
  process.exit(0);
}

await main();
