/**
 * The audit writer: every record durable before `write` resolves, chained so tampering shows.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import type { Database } from '../db/schema/index.js';
import { ProblemError } from '../src/http/problem.js';
import type { LookupRecord } from '../src/audit/audit-record.js';
import { lookupDetails, lookupSource } from './helpers/audit-records.js';
import { createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { type AuditSearch, searchAudit } from '../src/audit/search.js';
import { importSorSnapshot } from '../src/directory/sor-import.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';
import { NORTH_JUTLAND_XML, sorInput } from './helpers/sor-files.js';

const run = promisify(execFile);

const event = (i: number): LookupRecord => ({
  kind: 'lookup',
  outcome: i % 5 === 0 ? 'denied' : 'success',
  occurredAt: new Date(Date.UTC(2026, 10, 23, 10, 0, i % 60)),
  requestId: `req-${i}`,
  actor: { issuer: 'https://idp', subject: `user-${i % 7}`, displayName: null, role: 'clinician', organisationSor: '9500041000016004', assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: `reason ${i}`,
  patientCpr: '0707614285',
  details: lookupDetails({ sources: [lookupSource('gp', '9510031000016003')], durationMs: i }),
});

describe.each(databaseKinds())('audit writer on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => database?.close());

  it('writes concurrent records in one unbroken chain, each durable when write resolves', async () => {
    const writer = createAuditWriter(database.db, { maxBatch: 25 });
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.write(event(i))));
    expect(new Set(ids).size).toBe(300);
    const count = await database.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(300);
    // A second writer (another broker instance) continues the same chain.
    const other = createAuditWriter(database.db);
    await Promise.all([other.write(event(1000)), writer.write(event(1001))]);
    expect(await verifyAuditChain(database.db, 64)).toEqual({ ok: true, checked: 302, tombstones: 0, brokenAt: null });
  });

  it('keeps one chain when three instances append at the same time, each losing races to the others', async () => {
    const writers = [createAuditWriter(database.db, { maxBatch: 7 }), createAuditWriter(database.db, { maxBatch: 11 }), createAuditWriter(database.db, { maxBatch: 5 })];
    const before = Number((await database.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const written = await Promise.all(Array.from({ length: 450 }, (_, i) => (writers[i % 3] as (typeof writers)[number]).write({ ...event(2000 + i), reason: `Bekymring – “${i}” ø` })));
    const rows = await database.db.selectFrom('audit_event').select(['id', 'reason', 'details', 'occurred_at']).where('id', 'in', written).execute();
    expect(rows).toHaveLength(450);
    const one = rows.find((r) => r.reason === 'Bekymring – “7” ø');
    expect(one?.details).toEqual(event(2007).details);
    expect(one?.occurred_at.toISOString()).toBe(event(2007).occurredAt.toISOString());
    expect(await verifyAuditChain(database.db, 100)).toEqual({ ok: true, checked: before + 450, tombstones: 0, brokenAt: null });
  });

  it('detects an edited record and a deleted record (by an insider who may switch the append-only triggers off)', async () => {
    await asSchemaOwner(database.db, [sql`update audit_event set reason = 'nothing to see' where seq = 17`]);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false, brokenAt: '17' });
    await asSchemaOwner(database.db, [sql`update audit_event set reason = 'reason 16' where seq = 17`]);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
    await asSchemaOwner(database.db, [sql`delete from audit_event where seq = 200`]);
    // The first broken position is the missing record itself.
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false, brokenAt: '200' });
  });

  it('rejects the write when the database refuses it, so callers fail closed', async () => {
    const broken = await createTestDatabase(kind);
    const writer = createAuditWriter(broken.db);
    await sql`drop table audit_event`.execute(broken.db);
    await expect(writer.write(event(1))).rejects.toThrow();
    await broken.close();
  });

  it('fails only the caller whose record the database refuses: 200 concurrent honest records and one with a NUL (past any edge check) in one batch', async () => {
    const own = await createTestDatabase(kind);
    try {
      const writer = createAuditWriter(own.db);
      const warm = writer.write(event(0)); // in flight: the rest share the next batch
      const honest = Array.from({ length: 200 }, (_, i) => writer.write(event(i + 1)));
      const nul = writer.write({ ...event(999), reason: 'Bekymring \u0000 fra skolen' });
      const surrogate = writer.write({ ...event(998), details: lookupDetails({ unservedOrganisations: ['x\ud800'] }) });
      await expect(nul).rejects.toMatchObject({ code: '22P05' });
      await expect(surrogate).rejects.toMatchObject({ code: '22P02' });
      const ids = await Promise.all([warm, ...honest]);
      expect(new Set(ids).size).toBe(201);
      expect(await verifyAuditChain(own.db)).toEqual({ ok: true, checked: 201, tombstones: 0, brokenAt: null });
    } finally {
      await own.close();
    }
  });

  it('commits changes with their records, many in one transaction: a change that throws is undone alone, a record the database refuses fails only its own change', async () => {
    const own = await createTestDatabase(kind);
    try {
      const writer = createAuditWriter(own.db);
      const expiresAt = new Date(Date.now() + 3_600_000);
      const use = (jti: string) => async (trx: Kysely<Database>) => {
        await trx.insertInto('token_use').values({ issuer: 'https://idp', jti, expires_at: expiresAt }).execute();
        return jti;
      };
      const refused = new ProblemError(409, 'precondition-failed', 'Changed meanwhile');
      const warm = writer.writeWith('the change', use('warm'), event(0)); // in flight: the rest share the next transaction
      const honest = Array.from({ length: 30 }, (_, i) => writer.writeWith('the change', use(`honest-${i}`), event(i + 1)));
      const throwing = writer.writeWith('the change', async (trx) => {
        await use('thrown')(trx);
        throw refused;
      }, event(100));
      const nul = writer.writeWith('the change', use('nul'), { ...event(101), reason: 'Bekymring \u0000 fra skolen' });
      await expect(throwing).rejects.toBe(refused);
      await expect(nul).rejects.toMatchObject({ status: 503, slug: 'audit-unavailable' });
      expect(await Promise.all([warm, ...honest])).toEqual(['warm', ...Array.from({ length: 30 }, (_, i) => `honest-${i}`)]);
      // A change that throws alone in its transaction: its own error, nothing of it stored.
      const lone = writer.writeWith('the change', async (trx) => {
        await use('lone')(trx);
        throw refused;
      }, event(102));
      await expect(lone).rejects.toBe(refused);
      const stored = (await own.db.selectFrom('token_use').select('jti').execute()).map((r) => r.jti).sort();
      expect(stored).toEqual(['warm', ...Array.from({ length: 30 }, (_, i) => `honest-${i}`)].sort());
      const audited = await own.db.selectFrom('audit_event').select('request_id').execute();
      expect(audited.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 31 }, (_, i) => `req-${i}`).sort());
      expect(await verifyAuditChain(own.db)).toEqual({ ok: true, checked: 31, tombstones: 0, brokenAt: null });

      // No audit, no change: with the audit table gone every change is refused and none stored.
      await sql`alter table audit_event rename to audit_event_away`.execute(own.db);
      const refusedAll = await Promise.allSettled([1, 2, 3].map((i) => writer.writeWith('the change', use(`lost-${i}`), event(200 + i))));
      expect(refusedAll.map((r) => (r.status === 'rejected' ? (r.reason as ProblemError).slug : 'stored'))).toEqual(['audit-unavailable', 'audit-unavailable', 'audit-unavailable']);
      await sql`alter table audit_event_away rename to audit_event`.execute(own.db);
      expect(await own.db.selectFrom('token_use').select('jti').where('jti', 'like', 'lost-%').execute()).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('hashes every column: editing any one of them, one at a time, breaks the chain at that record', async () => {
    const own = await createTestDatabase(kind);
    try {
      const writer = createAuditWriter(own.db);
      // Every column filled, so that no edit is from null to null.
      for (let i = 1; i <= 8; i += 1) {
        await writer.write({
          ...event(i),
          actor: { issuer: 'https://idp', subject: `user-${i}`, displayName: 'Mette', role: 'clinician', organisationSor: '9500041000016004', assurance: 'substantial', callingSystem: 'ehr' },
        });
      }
      const columns = (await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns where table_name = 'audit_event' and table_schema = current_schema()`.execute(own.db)).rows;
      // The chain itself: prev_hash and hash are what is checked, not what is hashed.
      const unhashed: string[] = [];
      const edit = (column: string, type: string) => {
        const c = sql.ref(column);
        if (column === 'kind') return sql`${c} = 'audit-search'`;
        if (column === 'outcome') return sql`${c} = case when ${c} = 'denied' then 'success' else 'denied' end`;
        if (column === 'patient_cpr') return sql`${c} = '0209144026'`;
        if (type === 'bigint') return sql`${c} = ${c} + 1000`;
        if (type === 'smallint') return sql`${c} = ${c} + 1`;
        if (type === 'uuid') return sql`${c} = '00000000-0000-4000-8000-000000000000'`;
        if (type.startsWith('timestamp')) return sql`${c} = ${c} + interval '1 second'`;
        if (type === 'jsonb') return sql`${c} = ${c} || '{"n": 0}'::jsonb`;
        // The search columns are not hashed but must follow from the hashed details.
        if (type === 'ARRAY') return sql`${c} = array_append(${c}, '9999999999999')`;
        return sql`${c} = coalesce(${c}, '') || 'x'`;
      };
      const tampered: string[] = [];
      for (const { column_name: column, data_type: type } of columns) {
        if (unhashed.includes(column)) continue;
        // Each edit in a transaction that is rolled back, so the next edit starts from the intact chain.
        class Rollback extends Error {
          constructor(readonly verification: Awaited<ReturnType<typeof verifyAuditChain>>) {
            super('rollback');
          }
        }
        const result = await own.db.transaction().execute(async (trx) => {
          // As the schema owner would: the append-only trigger off for this transaction only.
          await sql`alter table audit_event disable trigger user`.execute(trx);
          const changed = await sql`update audit_event set ${edit(column, type)} where seq = 5`.execute(trx);
          expect(Number(changed.numAffectedRows)).toBe(1);
          throw new Rollback(await verifyAuditChain(trx));
        }).catch((error: unknown) => {
          if (error instanceof Rollback) return error.verification;
          throw new Error(`editing ${column}: ${String(error)}`);
        });
        // Moving a record's seq leaves a gap at its position: the record is missing where it was.
        expect({ column, ok: result.ok, brokenAt: result.brokenAt }).toEqual({ column, ok: false, brokenAt: '5' });
        tampered.push(column);
      }
      expect(tampered.sort()).toEqual(columns.map((c) => c.column_name).filter((c) => !unhashed.includes(c)).sort());
      expect((await verifyAuditChain(own.db)).ok).toBe(true);

      // The operator's command says so too (it needs a database another process can open).
      if (kind === 'postgres') {
        const env = { ...process.env, DATABASE_URL: own.url, NODE_ENV: 'development' };
        const bin = path.resolve('bin/broker.mjs');
        expect((await run(process.execPath, [bin, 'audit-verify'], { env })).stdout).toMatch(/audit chain intact: 8 records/);
        await asSchemaOwner(own.db, [sql`update audit_event set patient_cpr = '0209144026' where seq = 3`]);
        const broken = await run(process.execPath, [bin, 'audit-verify'], { env }).catch((error: { code: number; stdout: string }) => error);
        expect(broken).toMatchObject({ code: 1 });
        expect('stdout' in broken && broken.stdout).toMatch(/audit chain BROKEN at record 3/);
      }
    } finally {
      await own.close();
    }
  }, 60_000);
});

const PPR_AALBORG = '9520041000016004';
const GP_PRACTICE = '9510031000016003';
const CHILD_PSYCHIATRY = '9500031000016003';

describe.each(databaseKinds())("the auditors' search on %s", (kind) => {
  let database: DatabaseHandle;
  const expected = { denied: [] as string[], success: [] as string[] };
  let needle = '';
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
    const writer = createAuditWriter(database.db);
    const lookupBy = (org: string, i: number, pprStatus: string, outcome: LookupRecord['outcome']): LookupRecord => ({
      ...event(i),
      outcome,
      actor: { ...event(i).actor, organisationSor: org },
      details: lookupDetails({ sources: [lookupSource('bup', CHILD_PSYCHIATRY, 'found', 'child-psychiatry'), lookupSource('ppr-851', PPR_AALBORG, pprStatus, 'ppr')] }),
    });
    // Written one by one, so the chain order is the order here.
    for (let i = 0; i < 60; i += 1) {
      const id = await writer.write(lookupBy(GP_PRACTICE, i, i % 3 === 0 ? 'found' : 'denied', 'success'));
      (i % 3 === 0 ? expected.success : expected.denied).push(id);
    }
    for (let i = 0; i < 10; i += 1) expected.denied.push(await writer.write(lookupBy(PPR_AALBORG, 100 + i, 'denied', 'denied')));
    // One record PPR Aalborg's auditor may find with 'partial', under many it may not.
    needle = await writer.write(lookupBy(GP_PRACTICE, 500, 'timeout', 'partial'));
    for (let i = 0; i < 120; i += 1) await writer.write(lookupBy(GP_PRACTICE, 600 + i, 'found', 'partial'));
  });
  afterAll(async () => database?.close());

  /** Every record a search finds, following its cursors to the end. */
  async function all(q: Omit<AuditSearch, 'beforeSeq'>): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await searchAudit(database.db, { ...q, ...(cursor ? { beforeSeq: cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(q.limit);
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 200);
    return { ids, pages };
  }

  it("filters others' lookups on the auditor's own outcome, paging through without gaps or repeats", async () => {
    const denied = await all({ scopeSor: PPR_AALBORG, outcomes: ['denied'], limit: 7 });
    expect(denied.ids).toEqual([...expected.denied].reverse());
    const success = await all({ scopeSor: PPR_AALBORG, outcomes: ['success'], limit: 7 });
    expect(success.ids.filter((id) => expected.success.includes(id))).toEqual([...expected.success].reverse());
    expect(success.ids).not.toContain(needle);
  });

  it('answers short pages with a cursor while matching records lie further back, and finds them', async () => {
    const partial = await all({ scopeSor: PPR_AALBORG, outcomes: ['failed'], limit: 1 });
    expect(partial.ids).toEqual([needle]);
    expect(partial.pages).toBeGreaterThan(1);
    // Psychiatry found a case in every one of these lookups: 'partial' overall, a success for it.
    expect((await searchAudit(database.db, { scopeSor: CHILD_PSYCHIATRY, outcomes: ['partial'], limit: 500 })).items).toEqual([]);
    const bup = await searchAudit(database.db, { scopeSor: CHILD_PSYCHIATRY, outcomes: ['success'], limit: 500 });
    expect(bup.items.length).toBeGreaterThan(100);
    expect(bup.items.every((i) => i.visibility === 'concerned-party' && i.outcome === 'success')).toBe(true);
  });
});
