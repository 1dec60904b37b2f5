/**
 * Audit benchmark, on the PostgreSQL server (TEST_DATABASE_URL): the audit log at national volume.
 *
 * A fresh database gets a synthetic SOR tree (5 regions, 100 municipalities, 3,000 units) and is
 * filled with SQL (generate_series, not through the writer: millions of records in minutes) to
 * each size in turn: lookups by 50,000 users of those units about 1,000,000 children over five
 * years, 1 in 20 records a sent message. The secondary indexes are dropped while a step fills and
 * rebuilt after it (as a restore would), then the table is analysed. At each size it prints:
 * - search p95 by child, by user and by organisation concerned (searchAudit, as the route calls
 *   it, for a region's auditor; random children, users and units that have records);
 * - the export rate and memory for a period of EXPORT_RECORDS records (NDJSON and FHIR BALP);
 * and once, on the filled table, the durable write rate of the group-commit writer (one and two
 * instances) with 200 concurrent writers.
 *
 *   node bin/run-ts.mjs bench/audit.ts [--sizes 1,5,20] [--queries 200] [--write-seconds 10]
 *
 * Sizes are in millions. The filled chain's hashes are not real (the bench measures search, not
 * verification); the database is dropped at the end unless --keep.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import type { Database } from '../db/schema/index.js';
import { migrateToLatest } from '../db/migrate.js';
import type { LookupRecord } from '../src/audit/audit-record.js';
import { createAuditWriter } from '../src/audit/audit-writer.js';
import { exportAudit } from '../src/audit/export/export.js';
import { kindsByClass } from '../src/audit/retention.js';
import { searchAudit } from '../src/audit/search.js';
import { type AuditIndex, SECONDARY_AUDIT_INDEXES_SQL, auditIndexes } from './lib/audit-indexes.js';
import { fmt, printTable, summarise } from './lib/stats.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '1,5').split(',').map((s) => Math.round(Number(s) * 1_000_000));
const QUERIES = Number(arg('queries') ?? 200);
const WRITE_SECONDS = Number(arg('write-seconds') ?? 10);
const EXPORT_RECORDS = Number(arg('export-records') ?? 200_000);
const KEEP = process.argv.includes('--keep');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const CHILDREN = 1_000_000;
const USERS = 50_000;
const REGIONS = 5;
const MUNICIPALITIES_PER_REGION = 20;
const UNITS_PER_MUNICIPALITY = 20;
const UNITS_PER_REGION = 200;
const FIVE_YEARS_MS = 5 * 365 * 86_400_000;
const START = Date.parse('2021-12-01T00:00:00Z');
const FILL_CHUNK = 500_000;

const code = (prefix: string, n: number) => `${prefix}${String(n).padStart(14, '0')}`;
const regionSor = (r: number) => code('91', r);
const municipalitySor = (r: number, m: number) => code('92', r * 100 + m);
const unitSor = (i: number) => code('93', i);
const cpr = (c: number) => String(c).padStart(10, '0');

async function createDatabase(): Promise<{ handle: DatabaseHandle; bulk: Kysely<Database>; drop: () => Promise<void> }> {
  const name = `bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ kind: 'server', url: url.toString(), poolSize: 20 });
  // Filling and indexing take minutes: a connection without the broker's timeouts.
  const bulk = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }) });
  return {
    handle,
    bulk,
    drop: async () => {
      await bulk.destroy();
      await handle.close();
      if (KEEP) return void console.log(`kept database ${name}`);
      const dropper = new pg.Client({ connectionString: SERVER });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/** The SOR tree: regions > municipalities > units, plus units right under each region. */
async function seedOrganisations(db: DatabaseHandle['db']): Promise<{ units: string[]; regionOf: (unit: string) => string }> {
  const rows: { sor: string; parent: string | null; level: string; path: string }[] = [];
  const units: string[] = [];
  const region = new Map<string, string>();
  let unit = 0;
  for (let r = 1; r <= REGIONS; r += 1) {
    const rs = regionSor(r);
    rows.push({ sor: rs, parent: null, level: 'institution-owner', path: `/${rs}/` });
    for (let m = 1; m <= MUNICIPALITIES_PER_REGION; m += 1) {
      const ms = municipalitySor(r, m);
      rows.push({ sor: ms, parent: rs, level: 'institution-owner', path: `/${rs}/${ms}/` });
      for (let u = 0; u < UNITS_PER_MUNICIPALITY; u += 1) {
        const us = unitSor((unit += 1));
        rows.push({ sor: us, parent: ms, level: 'organisational-unit', path: `/${rs}/${ms}/${us}/` });
        units.push(us);
        region.set(us, rs);
      }
    }
    for (let u = 0; u < UNITS_PER_REGION; u += 1) {
      const us = unitSor((unit += 1));
      rows.push({ sor: us, parent: rs, level: 'organisational-unit', path: `/${rs}/${us}/` });
      units.push(us);
      region.set(us, rs);
    }
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await db
      .insertInto('organisation')
      .values(
        rows.slice(i, i + 1000).map((o) => ({
          sor: o.sor, parent_sor: o.parent, level: o.level, name: `Enhed ${o.sor}`, unit_type: null, owner_type: null, region_code: null,
          municipality_code: null, ydernummer: null, shak_code: null, own_eans: [], valid_from: '2020-01-01', valid_to: null, local: false,
          path: o.path, details: '{}', content_hash: o.sor, recorded_at: new Date(),
        })),
      )
      .execute();
  }
  return { units, regionOf: (u) => region.get(u) as string };
}

/** The audit partitions of every month the fill spans (the writer makes only the current and next). */
async function monthPartitionsFromStart(db: DatabaseHandle['db']): Promise<void> {
  const classes = JSON.stringify(kindsByClass());
  for (let m = new Date(START); m.getTime() <= Date.now() + 31 * 86_400_000; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) {
    await sql`select audit_ensure_month(${m.toISOString().slice(0, 10)}::date, ${classes}::jsonb)`.execute(db);
  }
}

/**
 * Rows seq `from`..`to`, spread evenly over five years for the final size. Users, children and
 * organisations are picked by multiplicative hashing of seq, so every size has the same mix.
 */
async function fill(db: DatabaseHandle['db'], from: number, to: number, total: number): Promise<void> {
  const stepMs = FIVE_YEARS_MS / total;
  await sql`
    with u as (select array_agg(sor order by sor) a, count(*)::int n from organisation where level = 'organisational-unit'),
    g as (
      select s, (s::bigint * 2654435761) % ${USERS} as usr, (s::bigint * 40503 + 17) % ${CHILDREN} as child,
        (s::bigint * 97) % 3000 as o1, (s::bigint * 131 + 7) % 3000 as o2,
        to_timestamp((${START}::float8 + (s::float8 - 1) * ${stepMs}::float8) / 1000) as t
      from generate_series(${from}::bigint, ${to}::bigint) s
    ),
    r as (
      select g.*, u.a[1 + (g.usr % u.n)] as actor_org, u.a[1 + g.o1] as org1, u.a[1 + g.o2] as org2, (g.s % 20 = 0) as message
      from g, u
    )
    insert into audit_event (seq, id, occurred_at, recorded_at, kind, outcome, request_id, actor_issuer, actor_subject, actor_name, actor_role,
      actor_organisation, actor_assurance, calling_system, purpose, reason, patient_cpr, details, prev_hash, hash, hash_scheme,
      concerned_organisations, source_ids, counterpart_sor)
    select s, gen_random_uuid(), t, t,
      case when message then 'correspondence-sent' else 'lookup' end,
      case when s % 10 = 3 then 'denied' when s % 10 = 7 then 'partial' else 'success' end,
      'req-' || s, 'https://idp.example', 'user-' || usr, null, 'caseworker', actor_org, 'substantial', null, 'child-welfare-concern',
      'Bekymring for barnet', lpad(child::text, 10, '0'),
      case when message then jsonb_build_object('messageId', gen_random_uuid(), 'counterpartSor', org1, 'counterpartEan', null, 'bundleId', 'b-' || s,
          'messageHeaderId', 'h-' || s, 'kind', 'new', 'category', 'other', 'agreements', '[]'::jsonb)
        else jsonb_build_object('personRegister', jsonb_build_object('status', 'found'), 'namedOrganisations', '[]'::jsonb, 'unservedOrganisations', '[]'::jsonb,
          'kinds', null, 'deadlineMs', 3000, 'durationMs', 120,
          'sources', jsonb_build_array(
            jsonb_build_object('sourceId', 'src-' || o1, 'kind', 'ppr', 'organisation', org1, 'via', 'person-register', 'status', case when s % 10 = 3 then 'denied' else 'found' end,
              'reason', null, 'deniedBecause', null, 'agreements', '[]'::jsonb, 'dataElementsReturned', '[]'::jsonb, 'cases', 1, 'durationMs', 40),
            jsonb_build_object('sourceId', 'src-' || o2, 'kind', 'gp', 'organisation', org2, 'via', 'person-register', 'status', case when s % 10 = 7 then 'timeout' else 'found' end,
              'reason', null, 'deniedBecause', null, 'agreements', '[]'::jsonb, 'dataElementsReturned', '[]'::jsonb, 'cases', 0, 'durationMs', 60)))
      end,
      md5(s::text) || md5(s::text), md5((s + 1)::text) || md5((s + 1)::text), 2,
      case when message then array[org1] else (select array_agg(distinct x order by x) from unnest(array[org1, org2]) x) end,
      case when message then '{}'::text[] else (select array_agg(distinct x order by x) from unnest(array['src-' || o1, 'src-' || o2]) x) end,
      case when message then org1 end
    from r`.execute(db);
}

async function secondaryIndexes(db: DatabaseHandle['db']): Promise<AuditIndex[]> {
  return auditIndexes((await sql<{ indexname: string; indexdef: string }>`${sql.raw(SECONDARY_AUDIT_INDEXES_SQL)}`.execute(db)).rows);
}

async function growTo(pool: DatabaseHandle['db'], indexes: readonly AuditIndex[], from: number, size: number, finalSize: number): Promise<number> {
  return pool.connection().execute(async (db) => {
  await sql`set statement_timeout = 0`.execute(db);
  const started = performance.now();
  for (const i of indexes) await sql`drop index if exists ${sql.ref(i.name)}`.execute(db);
  for (let a = from + 1; a <= size; a += FILL_CHUNK) {
    const b = Math.min(size, a + FILL_CHUNK - 1);
    await fill(db, a, b, finalSize);
    process.stderr.write(`  filled ${b.toLocaleString('en')} records, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  await sql`set maintenance_work_mem = '512MB'`.execute(db);
  for (const i of indexes) {
    await sql.raw(i.create).execute(db);
    process.stderr.write(`  index ${i.name}, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  await sql`vacuum analyze audit_event`.execute(db);
  // The chain head at the last record, so that the writer appends after the filled rows.
  const last = await sql<{ hash: string }>`select hash from audit_event where seq = ${size}::bigint`.execute(db);
  await sql`update audit_chain_head set seq = ${size}::bigint, hash = ${last.rows[0]?.hash} where id = 1`.execute(db);
  return (performance.now() - started) / 1000;
  });
}

async function timeQueries(n: number, run: (i: number) => Promise<number>): Promise<{ p50: number; p95: number; hits: number }> {
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < 5; i += 1) await run(i + 1_000_000); // warm the pool and the plans
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    hits += await run(i);
    times.push(performance.now() - t0);
  }
  const s = summarise(times);
  return { p50: s.p50, p95: s.p95, hits: hits / n };
}

async function searches(db: DatabaseHandle['db'], units: readonly string[], regionOf: (u: string) => string, size: number) {
  // Children, users and units that have records at this size: taken from rows at random positions.
  const sample = (await sql<{ patient_cpr: string; actor_subject: string; actor_organisation: string; concerned_organisations: string[] }>`
    select patient_cpr, actor_subject, actor_organisation, concerned_organisations from audit_event
    where seq in (select (1 + (s::bigint * 7919) % ${size})::bigint from generate_series(1, ${QUERIES + 10}) s)`.execute(db)).rows;
  const pick = (i: number) => sample[i % sample.length] as (typeof sample)[number];
  const limit = 100;
  const byChild = await timeQueries(QUERIES, async (i) => {
    const r = pick(i);
    return (await searchAudit(db, { scopeSor: regionOf(r.actor_organisation), patientCpr: r.patient_cpr, limit })).items.length;
  });
  const byUser = await timeQueries(QUERIES, async (i) => {
    const r = pick(i);
    return (await searchAudit(db, { scopeSor: regionOf(r.actor_organisation), actorSubject: r.actor_subject, limit })).items.length;
  });
  const byOrganisation = await timeQueries(QUERIES, async (i) => {
    const org = pick(i).concerned_organisations[0] ?? (units[i % units.length] as string);
    return (await searchAudit(db, { scopeSor: regionOf(org), organisation: org, limit })).items.length;
  });
  // A period of one month with the organisation: what an auditor's sample check asks.
  const byOrganisationMonth = await timeQueries(QUERIES, async (i) => {
    const org = pick(i).concerned_organisations[0] ?? (units[i % units.length] as string);
    const from = new Date(START + (i % 59) * 30 * 86_400_000);
    return (await searchAudit(db, { scopeSor: regionOf(org), organisation: org, from, to: new Date(from.getTime() + 30 * 86_400_000), limit })).items.length;
  });
  return { byChild, byUser, byOrganisation, byOrganisationMonth };
}

async function exportRun(db: DatabaseHandle['db'], size: number, format: 'ndjson' | 'fhir') {
  // The newest EXPORT_RECORDS records' period.
  const bounds = await sql<{ from: Date; to: Date }>`
    select (select recorded_at from audit_event where seq = ${Math.max(1, size - EXPORT_RECORDS + 1)}::bigint) as "from",
           (select recorded_at from audit_event where seq = ${size}::bigint) + interval '1 ms' as "to"`.execute(db);
  const { from, to } = bounds.rows[0] as { from: Date; to: Date };
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peakRss = rss0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  const t0 = performance.now();
  const result = await exportAudit(db, { format, out: sink, from, to });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { records: result.records, perSecond: result.records / seconds, mbPerSecond: bytes / 1e6 / seconds, peakRssMb: peakRss / 1e6, rssGrowthMb: (peakRss - rss0) / 1e6, peakHeapMb: peakHeap / 1e6 };
}

/** Concurrent callers, each awaiting its durable record before writing the next, for `seconds`. */
async function writeRate(db: DatabaseHandle['db'], instances: number, concurrency: number, seconds: number): Promise<{ perSecond: number; p95Ms: number }> {
  const writers = Array.from({ length: instances }, () => createAuditWriter(db, { maxQueue: 100_000 }));
  const latencies: number[] = [];
  let written = 0;
  const until = performance.now() + seconds * 1000;
  const record = (i: number): LookupRecord => ({
    kind: 'lookup', outcome: 'success', occurredAt: new Date(), requestId: `bench-${i}`,
    actor: { issuer: 'https://idp.example', subject: `user-${i % USERS}`, displayName: null, role: 'caseworker', organisationSor: unitSor(1 + (i % 3000)), assurance: 'substantial', callingSystem: null },
    purpose: 'child-welfare-concern', reason: 'Bekymring for barnet', patientCpr: cpr(i % CHILDREN),
    details: {
      personRegister: { status: 'found' }, namedOrganisations: [], unservedOrganisations: [], kinds: null, deadlineMs: 3000, durationMs: 120,
      sources: [1, 2].map((k) => ({
        sourceId: `src-${(i * k) % 3000}`, kind: 'ppr', organisation: unitSor(1 + ((i * k) % 3000)), via: 'person-register', status: 'found',
        reason: null, deniedBecause: null, agreements: [{ id: 'ag-1', version: 1 }], dataElementsReturned: ['case-existence'], cases: 1, durationMs: 40,
      })),
    },
  });
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      const writer = writers[c % instances] as (typeof writers)[number];
      while (performance.now() < until) {
        const t0 = performance.now();
        await writer.write(record((n += 1)));
        latencies.push(performance.now() - t0);
        written += 1;
      }
    }),
  );
  return { perSecond: written / seconds, p95Ms: summarise(latencies).p95 };
}

async function main(): Promise<void> {
  const { handle, bulk, drop } = await createDatabase();
  const { db } = handle;
  try {
    await migrateToLatest(db);
    await monthPartitionsFromStart(db);
    const { units, regionOf } = await seedOrganisations(db);
    const indexes = await secondaryIndexes(db);
    const finalSize = Math.max(...SIZES);
    const searchRows: (string | number)[][] = [];
    const exportRows: (string | number)[][] = [];
    const fillRows: (string | number)[][] = [];
    const writeRows: (string | number)[][] = [];
    let writeSize = 0;
    let filled = 0;
    for (const size of SIZES) {
      process.stderr.write(`filling to ${size.toLocaleString('en')} records...\n`);
      const seconds = await growTo(bulk, indexes, filled, size, finalSize);
      filled = size;
      const bytes = (await sql<{ b: string }>`select pg_total_relation_size('audit_event')::text as b`.execute(db)).rows[0]?.b ?? '0';
      fillRows.push([`${size / 1e6} M`, fmt(seconds, 0), fmt(Number(bytes) / 1e9, 2)]);
      process.stderr.write(`searching at ${size.toLocaleString('en')}...\n`);
      const s = await searches(db, units, regionOf, size);
      const label = `${size / 1e6} M`;
      searchRows.push([label, 'child', fmt(s.byChild.p50), fmt(s.byChild.p95), fmt(s.byChild.hits, 1)]);
      searchRows.push([label, 'user', fmt(s.byUser.p50), fmt(s.byUser.p95), fmt(s.byUser.hits, 1)]);
      searchRows.push([label, 'organisation concerned', fmt(s.byOrganisation.p50), fmt(s.byOrganisation.p95), fmt(s.byOrganisation.hits, 1)]);
      searchRows.push([label, 'organisation concerned, one month', fmt(s.byOrganisationMonth.p50), fmt(s.byOrganisationMonth.p95), fmt(s.byOrganisationMonth.hits, 1)]);
      printTable(`Search at ${label} (ms)`, ['records', 'filter', 'p50', 'p95', 'records/page'], searchRows.slice(-4));
      process.stderr.write(`exporting at ${size.toLocaleString('en')}...\n`);
      for (const format of ['ndjson', 'fhir'] as const) {
        const e = await exportRun(db, size, format);
        exportRows.push([label, format, e.records, fmt(e.perSecond, 0), fmt(e.mbPerSecond, 1), fmt(e.peakHeapMb, 0), fmt(e.rssGrowthMb, 0)]);
      }
      // So far, in case a larger size does not finish on a busy machine.
      if (writeRows.length === 0) {
        // Once, on the first size's table (every index in place): a broker's steady state.
        process.stderr.write('writing...\n');
        for (const instances of [1, 2]) {
          const w = await writeRate(db, instances, 200, WRITE_SECONDS);
          writeRows.push([instances, 200, fmt(w.perSecond, 0), fmt(w.p95Ms)]);
        }
        writeSize = size;
        printTable(`Durable writes at ${label}`, ['instances', 'concurrent writers', 'records/s', 'p95 ms'], writeRows);
        // The filled seqs of the next size start after what the writer appended.
        filled = Number((await sql<{ s: string }>`select max(seq)::text as s from audit_event`.execute(db)).rows[0]?.s ?? size);
      }
      printTable(`Export at ${label}`, ['records in table', 'format', 'records', 'records/s', 'MB/s', 'peak heap MB', 'RSS growth MB'], exportRows.slice(-2));
    }
    printTable('Fill (SQL generate_series, indexes rebuilt after)', ['records', 'fill + index s', 'table + indexes GB'], fillRows);
    printTable(`Search, ${QUERIES} queries each, limit 100, a region's auditor (ms)`, ['records', 'filter', 'p50', 'p95', 'records/page'], searchRows);
    printTable(`Export of the newest ${EXPORT_RECORDS.toLocaleString('en')} records' period`, ['records in table', 'format', 'records', 'records/s', 'MB/s', 'peak heap MB', 'RSS growth MB'], exportRows);
    printTable(`Durable writes (group commit), ${WRITE_SECONDS} s, on the ${(writeSize / 1e6).toString()} M table`, ['instances', 'concurrent writers', 'records/s', 'p95 ms'], writeRows);
  } finally {
    await drop();
  }
}

await main();
