/**
 * The audit writer: every record durable before `write` resolves, chained so tampering shows.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import type { AuditEventInput } from '../src/audit/audit-event.js';
import { createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { type AuditSearch, searchAudit } from '../src/audit/search.js';
import { importSorSnapshot } from '../src/directory/sor-import.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';
import { NORTH_JUTLAND_XML, sorInput } from './helpers/sor-files.js';

const event = (i: number): AuditEventInput => ({
  kind: 'lookup',
  outcome: i % 5 === 0 ? 'denied' : 'success',
  occurredAt: new Date(Date.UTC(2026, 10, 23, 10, 0, i % 60)),
  requestId: `req-${i}`,
  actor: { issuer: 'https://idp', subject: `user-${i % 7}`, displayName: null, role: 'clinician', organisationSor: '9500041000016004', assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: `reason ${i}`,
  patientCpr: '0707614285',
  details: { sources: [{ id: 'gp', status: 'found' }], n: i },
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
    expect(await verifyAuditChain(database.db, 64)).toEqual({ ok: true, checked: 302, brokenAt: null });
  });

  it('keeps one chain when three instances append at the same time, each losing races to the others', async () => {
    const writers = [createAuditWriter(database.db, { maxBatch: 7 }), createAuditWriter(database.db, { maxBatch: 11 }), createAuditWriter(database.db, { maxBatch: 5 })];
    const before = Number((await database.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const written = await Promise.all(Array.from({ length: 450 }, (_, i) => (writers[i % 3] as (typeof writers)[number]).write({ ...event(2000 + i), reason: `Bekymring – “${i}” ø` })));
    const rows = await database.db.selectFrom('audit_event').select(['id', 'reason', 'details', 'occurred_at']).where('id', 'in', written).execute();
    expect(rows).toHaveLength(450);
    const one = rows.find((r) => r.reason === 'Bekymring – “7” ø');
    expect(one?.details).toEqual({ sources: [{ id: 'gp', status: 'found' }], n: 2007 });
    expect(one?.occurred_at.toISOString()).toBe(event(2007).occurredAt.toISOString());
    expect(await verifyAuditChain(database.db, 100)).toEqual({ ok: true, checked: before + 450, brokenAt: null });
  });

  it('detects an edited record and a deleted record (by an insider who may switch the append-only triggers off)', async () => {
    await asSchemaOwner(database.db, [sql`update audit_event set reason = 'nothing to see' where seq = 17`]);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false, brokenAt: '17' });
    await asSchemaOwner(database.db, [sql`update audit_event set reason = 'reason 16' where seq = 17`]);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
    await asSchemaOwner(database.db, [sql`delete from audit_event where seq = 200`]);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: false, brokenAt: '201' });
  });

  it('rejects the write when the database refuses it, so callers fail closed', async () => {
    const broken = await createTestDatabase(kind);
    const writer = createAuditWriter(broken.db);
    await sql`drop table audit_event`.execute(broken.db);
    await expect(writer.write(event(1))).rejects.toThrow();
    await broken.close();
  });
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
    const lookupBy = (org: string, i: number, pprStatus: string, outcome: AuditEventInput['outcome']): AuditEventInput => ({
      ...event(i),
      outcome,
      actor: { ...event(i).actor, organisationSor: org },
      details: { personRegister: { status: 'found' }, namedOrganisations: [], sources: [{ sourceId: 'bup', organisation: CHILD_PSYCHIATRY, status: 'found' }, { sourceId: 'ppr-851', organisation: PPR_AALBORG, status: pprStatus }] },
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
