/**
 * The audit writer: every record durable before `write` resolves, chained so tampering shows.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import type { AuditEventInput } from '../src/audit/audit-event.js';
import { createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';

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
