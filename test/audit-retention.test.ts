/**
 * Audit retention: a class's month expires by dropping its partition, audited and signed, and what
 * remains still verifies, across the tombstones of a shorter-kept class expired from the middle of
 * the chain; a deletion of a record still within retention is caught and named.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { type AuditKind, type ChainedFields, HASH_SCHEME, chainHash, systemActor } from '../src/audit/audit-event.js';
import { createAuditWriter } from '../src/audit/audit-writer.js';
import { type CheckpointKeyMaterial, checkpointKeysFromJwk, writeCheckpoint } from '../src/audit/checkpoints.js';
import { checkAuditIntegrity } from '../src/audit/integrity.js';
import { auditRetentionJob } from '../src/audit/jobs/audit-retention.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../src/audit/retention.js';
import { createAuditPartitions, listClassPartitions } from '../src/audit/retention-store.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';
import { untypedRecord } from './helpers/audit-records.js';

const POLICY: RetentionPolicy = { ...DEFAULT_RETENTION, directory: 12 };

/** Appends a chained record recorded at a past instant, as the broker did then. */
async function appendAt(database: DatabaseHandle, kind: AuditKind, recordedAt: Date): Promise<string> {
  const head = await database.db.selectFrom('audit_chain_head').select([sql<string>`seq::text`.as('seq'), 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  const seq = (BigInt(head.seq) + 1n).toString();
  const fields: ChainedFields = {
    seq, id: randomUUID(), occurredAt: recordedAt.toISOString(), recordedAt: recordedAt.toISOString(), kind, outcome: 'success', requestId: null,
    actor: systemActor('test'), purpose: null, reason: null, patientCpr: kind === 'lookup' ? '1503124013' : null, details: { kind },
  };
  const hash = chainHash(head.hash, fields);
  await sql`insert into audit_event (seq, id, occurred_at, recorded_at, kind, outcome, request_id, calling_system, patient_cpr, details, prev_hash, hash, hash_scheme)
    values (${seq}::bigint, ${fields.id}::uuid, ${fields.occurredAt}::timestamptz, ${fields.recordedAt}::timestamptz, ${kind}, 'success', null, 'test', ${fields.patientCpr},
      ${JSON.stringify(fields.details)}::jsonb, ${head.hash}, ${hash}, ${HASH_SCHEME})`.execute(database.db);
  await sql`update audit_chain_head set seq = ${seq}::bigint, hash = ${hash} where id = 1`.execute(database.db);
  return hash;
}

describe.each(databaseKinds())('audit retention on %s', (kind) => {
  let database: DatabaseHandle;
  let keys: CheckpointKeyMaterial;
  const jan = new Date('2020-01-10T12:00:00Z');
  const feb = new Date('2020-02-10T12:00:00Z');
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    keys = await checkpointKeysFromJwk({ ...(await exportJWK(privateKey)), kid: 'retention-test' });
    await createAuditPartitions(database.db, jan, 1);
    // 1 lookup and 2 directory change in January 2020; 3, 5, 7 lookups and 4, 6 directory changes in February.
    await appendAt(database, 'lookup', jan);
    await appendAt(database, 'directory-change', jan);
    for (const k of ['lookup', 'directory-change', 'lookup', 'directory-change', 'lookup'] as const) await appendAt(database, k, feb);
    await writeCheckpoint(database.db, keys.signer, { at: feb });
    const writer = createAuditWriter(database.db);
    for (let i = 0; i < 3; i += 1) await writer.write(untypedRecord({ kind: 'lookup', outcome: 'success', occurredAt: new Date(), requestId: null, actor: systemActor('test'), purpose: null, reason: null, patientCpr: null, details: { i } }));
  });
  afterAll(async () => database?.close());

  it('creates the coming months by the daily job, each class partition append-only', async () => {
    const job = auditRetentionJob({ owner: async () => ({ db: database.db, close: async () => undefined }), policy: POLICY, monthsAhead: 5, signer: null, at: '02:30' });
    expect(job.schedule).toEqual({ cron: '30 2 * * *', timeZone: 'Europe/Copenhagen' });
    const summary = await job.handle({}, { id: 'run-1' });
    // The migration made this month and three ahead; five ahead adds two. Without a key nothing expires.
    expect(summary).toMatchObject({ created: 2, expired: 0, skipped: 'no audit signing key' });
    const now = new Date();
    const fifth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 5, 1));
    const name = `audit_event_${fifth.getUTCFullYear()}_${String(fifth.getUTCMonth() + 1).padStart(2, '0')}`;
    const classes = (await listClassPartitions(database.db)).filter((p) => p.table.startsWith(name)).map((p) => p.cls).sort();
    expect(classes).toEqual(['access', 'administration', 'correspondence', 'directory', 'integrity', 'oversight', 'unclassified']);
    await expect(sql`truncate ${sql.table(`${name}_access`)}`.execute(database.db)).rejects.toThrow(/append-only/);
    expect((await job.handle({}, { id: 'run-2' })).created).toBe(0);
  });

  it('expires a month by dropping it, audits and signs the expiry, and the rest still verifies across the tombstones', async () => {
    const before = await checkAuditIntegrity(database.db, { keys: keys.keys });
    expect(before).toMatchObject({ ok: true, retention: null });
    const job = auditRetentionJob({
      owner: async () => ({ db: database.db, close: async () => undefined }), policy: POLICY, monthsAhead: 1, signer: keys.signer, at: '02:30',
      // January 2020's access records (60 months) and both months of directory changes (12) are due; February's access records not yet.
      now: () => new Date('2025-02-15T03:00:00Z'),
    });
    expect(await job.handle({}, { id: 'run-3' })).toMatchObject({ expired: 6, records: 4, retainedFrom: '3' });
    const left = (await database.db.selectFrom('audit_event').select(sql<string>`seq::text`.as('seq')).where(sql<boolean>`seq <= 7`).orderBy('seq').execute()).map((r) => r.seq);
    expect(left).toEqual(['3', '5', '7']);
    const tables = (await listClassPartitions(database.db)).map((p) => p.table);
    expect(tables).not.toContain('audit_event_2020_01_access');
    expect(tables).not.toContain('audit_event_2020_02_directory');
    expect(tables).toContain('audit_event_2020_02_access');

    const record = await database.db.selectFrom('audit_event').select(['details', 'outcome']).where('kind', '=', 'audit-retention').executeTakeFirstOrThrow();
    expect(record.details).toMatchObject({
      retainedFrom: '3',
      partitions: expect.arrayContaining([
        expect.objectContaining({ table: 'audit_event_2020_01_access', recordClass: 'access', records: 1, tombstones: 0 }),
        expect.objectContaining({ table: 'audit_event_2020_02_directory', recordClass: 'directory', records: 2, tombstones: 2, fromSeq: '4', toSeq: '6' }),
      ]),
    });

    const after = await checkAuditIntegrity(database.db, { keys: keys.keys });
    expect(after).toMatchObject({
      ok: true,
      firstBrokenRecord: null,
      retention: { startsAfter: '2', signature: 'ok', keyId: 'retention-test' },
      chain: { fromSeq: '3', tombstones: 2, brokenAt: null },
      checkpoints: { findings: [] },
    });
    // A period from January 2020: it starts where retained history does.
    expect(await checkAuditIntegrity(database.db, { keys: keys.keys, from: jan })).toMatchObject({ ok: true, chain: { fromSeq: '3' } });
    expect(await job.handle({}, { id: 'run-4' })).toMatchObject({ expired: 0 });
  });

  it('still catches and names a deleted record that was within retention, and a tombstone forged to hide it', async () => {
    await asSchemaOwner(database.db, [sql`delete from audit_event where seq = 5`]);
    expect(await checkAuditIntegrity(database.db, { keys: keys.keys })).toMatchObject({ ok: false, firstBrokenRecord: '5', chain: { brokenAt: '5' } });
    // The insider adds a tombstone under the expiry's id: the expiry no longer adds up, so none of its tombstones count.
    const expiryId = (await sql<{ id: string }>`select expiry_id::text as id from audit_tombstone limit 1`.execute(database.db)).rows[0]?.id as string;
    const hash5 = (await database.db.selectFrom('audit_event').select('prev_hash').where(sql<boolean>`seq = 6`).executeTakeFirst())?.prev_hash;
    const stone6 = (await sql<{ hash: string }>`select hash from audit_tombstone where seq = 6`.execute(database.db)).rows[0]?.hash;
    expect(stone6).toBeDefined();
    const prevOf7 = (await database.db.selectFrom('audit_event').select('prev_hash').where(sql<boolean>`seq = 7`).executeTakeFirstOrThrow()).prev_hash;
    expect(prevOf7).toBe(stone6);
    await sql`insert into audit_tombstone (seq, hash, expiry_id) values (5, ${hash5 ?? 'x'}, ${expiryId}::uuid)`.execute(database.db);
    expect(await checkAuditIntegrity(database.db, { keys: keys.keys })).toMatchObject({ ok: false, firstBrokenRecord: '4' });
  });

  it.runIf(kind === 'postgres')("refuses the runtime role UPDATE, DELETE and TRUNCATE on every partition, also the ones made later, and lets it append", async () => {
    const role = `broker_service_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL as string });
    await admin.connect();
    await admin.query(`create role ${role} login in role broker_runtime`);
    const url = new URL(database.url);
    url.username = role;
    const runtime = new pg.Client({ connectionString: url.toString() });
    try {
      await runtime.connect();
      const now = new Date();
      const later = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 5, 1));
      const latest = `audit_event_${later.getUTCFullYear()}_${String(later.getUTCMonth() + 1).padStart(2, '0')}`;
      for (const table of ['audit_event_2020_02_access', `${latest}_access`, `${latest}_unclassified`, latest]) {
        for (const statement of [`update ${table} set reason = null`, `delete from ${table}`, `truncate ${table}`, `drop table ${table}`, `alter table ${table} disable trigger user`]) {
          await expect(runtime.query(statement), statement).rejects.toThrow(/permission denied|must be owner|append-only/);
        }
      }
      for (const statement of ['delete from audit_tombstone', 'insert into audit_tombstone values (99, \'x\', gen_random_uuid())', 'delete from audit_retention_start', `select audit_create_month('2031-01-01', '{}')`]) {
        await expect(runtime.query(statement), statement).rejects.toThrow(/permission denied|must be owner|append-only/);
      }
      const writer = await createTestWriter(url.toString());
      await writer.write();
      await writer.close();
    } finally {
      await runtime.end().catch(() => undefined);
      await admin.query(`drop role ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});

/** The broker's own writer over the runtime role's connection. */
async function createTestWriter(url: string): Promise<{ write(): Promise<void>; close(): Promise<void> }> {
  const { openDatabase } = await import('../db/connection.js');
  const handle = await openDatabase({ kind: 'server', url, poolSize: 1 });
  const writer = createAuditWriter(handle.db);
  return {
    write: async () => {
      await writer.write(untypedRecord({ kind: 'lookup', outcome: 'success', occurredAt: new Date(), requestId: null, actor: systemActor('runtime'), purpose: null, reason: null, patientCpr: null, details: {} }));
    },
    close: () => handle.close(),
  };
}
