/**
 * Citizen access-log benchmark: one person with 10,000 audit records (over the last two years)
 * in an audit store of millions, on the PostgreSQL server. The store is filled with SQL
 * generate_series (mixed kinds, ~2 million other persons, three years), then the person reads
 * their own log over real HTTP with real citizen tokens: the first page, a page deep in the log
 * (cursor after 5,000 records), and the store query alone. Each size is measured after the
 * store has grown to it; sizes are cumulative.
 *
 *   npx tsx bench/citizen.ts [--sizes 1000000,5000000] [--requests 200] [--keep]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default)
 *
 * The goal is a p95 below 100 ms at 20 million records: `--sizes 1000000,5000000,20000000`.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { readAccessLog, decodeCursor } from '../src/citizen/access-log-store.js';
import { startTestBroker } from '../test/helpers/broker.js';
import { createTestCitizenIssuer } from '../test/helpers/citizen.js';
import { SECONDARY_AUDIT_INDEXES_SQL, auditIndexes } from './lib/audit-indexes.js';
import { fmt, printTable, summarise } from './lib/stats.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '1000000,5000000').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const REQUESTS = Number(arg('requests') ?? 200);
const KEEP = process.argv.includes('--keep');
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PERSON = '2811104038'; // Freja, 16: reads her own log, no custody register needed
const PERSON_RECORDS = 10_000;

const name = `broker_bench_citizen_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: SERVER });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(SERVER);
url.pathname = `/${name}`;
const filler = new pg.Client({ connectionString: url.toString() });

const results: Array<Array<string | number>> = [];
try {
  const handle = await openDatabase({ kind: 'server', url: url.toString(), poolSize: 10 });
  await migrateToLatest(handle.db);
  await filler.connect();
  const mitid = await createTestCitizenIssuer();
  let filled = 0;
  for (const size of SIZES) {
    const started = performance.now();
    // The broker's own records (the citizen reads of the last size) sit after the generated ones.
    filled = Number((await filler.query<{ seq: string }>('select seq from audit_chain_head where id = 1')).rows[0]?.seq ?? filled);
    // The secondary indexes are dropped while the store grows and rebuilt after (as a restore
    // would): kept in place, they made 20 million records a fill of hours on two cores.
    const indexes = auditIndexes((await filler.query<{ indexname: string; indexdef: string }>(SECONDARY_AUDIT_INDEXES_SQL)).rows);
    for (const i of indexes) await filler.query(`drop index if exists "${i.name}"`);
    const CHUNK = 1_000_000;
    for (let from = filled + 1; from <= size; from += CHUNK) {
      const to = Math.min(size, from + CHUNK - 1);
      // Every 100th row of the first million is the person's (10,000 in all), within the last two years.
      await filler.query(
        `insert into audit_event (seq, id, occurred_at, recorded_at, kind, outcome, request_id, actor_issuer, actor_subject, actor_name, actor_role,
           actor_organisation, actor_assurance, purpose, reason, patient_cpr, details, prev_hash, hash, hash_scheme)
         select s, gen_random_uuid(),
           case when s <= $3 * 100 and s % 100 = 0 then now() - random() * interval '720 days' else now() - random() * interval '1095 days' end,
           now(), (array['lookup','lookup','lookup','correspondence-sent','correspondence-read','audit-search'])[1 + s % 6], 'success', 'req-' || s,
           'https://idp.example', 'user-' || s % 5000, 'Medarbejder ' || s % 5000, 'caseworker',
           (array['9520051000016005','9510031000016003','9500031000016003','9520041000016004'])[1 + s % 4], 'substantial', 'child-welfare-concern', 'Bekymring',
           case when s <= $3 * 100 and s % 100 = 0 then $4 else lpad(((s * 7919) % 2000000)::text, 10, '0') end,
           '{"sources":[]}'::jsonb, repeat('0', 64), repeat('0', 64), 2
         from generate_series($1::bigint, $2::bigint) s`,
        [from, to, PERSON_RECORDS, PERSON],
      );
      console.error(`  ${to.toLocaleString('en')} records, ${fmt((performance.now() - started) / 1000, 0)} s`);
    }
    await filler.query(`set maintenance_work_mem = '512MB'`);
    for (const i of indexes) {
      await filler.query(i.create);
      console.error(`  index ${i.name}, ${fmt((performance.now() - started) / 1000, 0)} s`);
    }
    filled = size;
    // The broker appends after the chain head: move it past the generated rows.
    await filler.query(`update audit_chain_head set seq = greatest(seq, $1) where id = 1`, [filled]);
    await filler.query('analyze audit_event');
    const fillSeconds = (performance.now() - started) / 1000;
    console.error(`filled to ${size.toLocaleString('en')} records in ${fmt(fillSeconds, 0)} s`);

    const broker = await startTestBroker({ database: handle, issuers: [mitid] });
    try {
      const read = async (body: Record<string, unknown>): Promise<{ ms: number; next: string | null; n: number }> => {
        const token = await mitid.citizenToken({ cpr: PERSON });
        const t = performance.now();
        const res = await broker.request('/v1/citizen/access-log', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ cpr: PERSON, ...body }) });
        const json = (await res.json()) as { items?: unknown[]; nextCursor?: string | null };
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`access log answered ${res.status}`);
        return { ms, next: json.nextCursor ?? null, n: json.items?.length ?? 0 };
      };
      // The cursor after 5,000 records (100 pages of 50), found once.
      let deep: string | null = null;
      {
        let cursor: string | null = null;
        for (let page = 0; page < 25; page++) {
          const r = await read({ limit: 200, ...(cursor ? { cursor } : {}) });
          cursor = r.next;
        }
        deep = cursor;
      }
      for (let i = 0; i < 20; i++) await read({});
      const first: number[] = [];
      const deeper: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        first.push((await read({})).ms);
        deeper.push((await read({ cursor: deep })).ms);
      }
      const query: number[] = [];
      const after = deep ? decodeCursor(deep) : null;
      for (let i = 0; i < REQUESTS; i++) {
        const t = performance.now();
        const at = new Date();
        const since = new Date(at);
        since.setUTCMonth(since.getUTCMonth() - 24);
        await readAccessLog(handle.db, { patientCpr: PERSON, since, now: at, limit: 50, ...(i % 2 && after ? { after } : {}) });
        query.push(performance.now() - t);
      }
      const row = (label: string, v: number[]) => {
        const s = summarise(v);
        results.push([size.toLocaleString('en'), label, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)]);
      };
      row('HTTP, first page (50)', first);
      row('HTTP, page after 5,000', deeper);
      row('store query only', query);
      console.error(results.slice(-3).map((r) => r.join(' | ')).join('\n'));
    } finally {
      await broker.close();
    }
  }
  await handle.close();
} finally {
  await filler.end().catch(() => undefined);
  if (!KEEP) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  else console.error(`kept database ${name}`);
  await admin.end();
}
printTable(`Citizen access log: one person with ${PERSON_RECORDS.toLocaleString('en')} records, ${REQUESTS} requests each (ms)`, ['audit records', 'measure', 'n', 'p50', 'p95', 'p99', 'max'], results);
