/**
 * A month without audit partitions (the retention job stalled for longer than the months it makes
 * ahead, or the clock reached a month early) must not stop audit writes, and so the broker: the
 * writer makes the month's partitions itself, through the group commit and within a transaction.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { systemActor } from '../src/audit/audit-event.js';
import { appendAuditInTransaction, createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';

const directoryChange = (change: string) => ({
  kind: 'directory-change' as const, outcome: 'success' as const, occurredAt: new Date(), requestId: null,
  actor: systemActor('test'), purpose: null, reason: null, patientCpr: null, details: { change },
});

const monthTables = async (database: DatabaseHandle): Promise<string[]> =>
  (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit_event'::regclass`.execute(database.db)).rows.map((r) => r.name);

describe.each(databaseKinds())('audit writes in a month without partitions on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  }, 60_000);
  afterEach(() => void vi.useRealTimers());
  afterAll(async () => database?.close());

  it('makes the month (and the next) and writes, through the group commit and within a caller\'s transaction', async () => {
    // Years past the months the migration made ahead.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(new Date('2031-05-20T10:00:00Z'));
    expect(await monthTables(database)).not.toContain('audit_event_2031_05');

    const writer = createAuditWriter(database.db);
    await writer.write(directoryChange('group commit'));
    await database.db.transaction().execute((trx) => appendAuditInTransaction(trx, directoryChange('in a transaction')));
    expect(await monthTables(database)).toEqual(expect.arrayContaining(['audit_event_2031_05', 'audit_event_2031_06']));

    vi.setSystemTime(new Date('2032-01-03T10:00:00Z'));
    await database.db.transaction().execute((trx) => appendAuditInTransaction(trx, directoryChange('a later month, in a transaction')));
    const rows = await database.db.selectFrom('audit_event').select(['details', 'recorded_at']).orderBy('seq').execute();
    expect(rows.map((r) => (r.details as { change: string }).change)).toEqual(['group commit', 'in a transaction', 'a later month, in a transaction']);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });
});
