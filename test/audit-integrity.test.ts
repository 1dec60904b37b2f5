/**
 * The audit log cannot be altered through the database by the broker, and an insider who can
 * (the schema owner) is caught by the signed checkpoints: a rewritten chain that verifies on its
 * own no longer matches a checkpoint, and a truncated one ends before an exported checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, exportJWK } from 'jose';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { type ChainedFields, chainHash } from '../src/audit/audit-event.js';
import type { LookupRecord } from '../src/audit/audit-record.js';
import { lookupDetails } from './helpers/audit-records.js';
import { createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { type Checkpoint, type CheckpointKeyMaterial, checkpointKeysFromJwk, readExportedCheckpoints, writeCheckpoint } from '../src/audit/checkpoints.js';
import { checkAuditIntegrity } from '../src/audit/integrity.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { auditCheckpointJob } from '../src/audit/jobs/audit-checkpoint.js';
import { PROBLEM_BASE } from '../src/http/problem.js';

const event = (i: number): LookupRecord => ({
  kind: 'lookup',
  outcome: 'success',
  occurredAt: new Date(Date.UTC(2026, 11, 1, 9, 0, i % 60)),
  requestId: `req-${i}`,
  actor: { issuer: 'https://idp.laesoe.example', subject: `user-${i % 3}`, displayName: null, role: 'caseworker', organisationSor: '100000000000010', assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: `reason ${i}`,
  patientCpr: '1503124013',
  details: lookupDetails({ durationMs: i }),
});

async function newKeys(): Promise<CheckpointKeyMaterial> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return checkpointKeysFromJwk({ ...(await exportJWK(privateKey)), kid: `audit-${randomBytes(3).toString('hex')}` });
}

/** What an insider does to hide a change: edit a record and rehash the chain from there on. */
async function rewriteFrom(database: DatabaseHandle, seq: number, reason: string): Promise<void> {
  const rows = await database.db.selectFrom('audit_event').selectAll().where(sql<boolean>`seq >= ${seq}`).orderBy('seq').execute();
  let prev = rows[0]?.prev_hash as string;
  const updates = rows.map((r) => {
    const fields: ChainedFields = {
      seq: r.seq, id: r.id, occurredAt: r.occurred_at.toISOString(), recordedAt: r.recorded_at.toISOString(), kind: 'lookup', outcome: 'success',
      requestId: r.request_id, purpose: r.purpose, reason: Number(r.seq) === seq ? reason : r.reason, patientCpr: r.patient_cpr, details: r.details,
      actor: { issuer: r.actor_issuer, subject: r.actor_subject, displayName: r.actor_name, role: r.actor_role, organisationSor: r.actor_organisation, assurance: r.actor_assurance, callingSystem: r.calling_system },
    };
    const hash = chainHash(prev, fields, r.hash_scheme);
    const statement = sql`update audit_event set reason = ${fields.reason}, prev_hash = ${prev}, hash = ${hash} where seq = ${r.seq}::bigint`;
    prev = hash;
    return statement;
  });
  await asSchemaOwner(database.db, [...updates, sql`update audit_chain_head set hash = ${prev} where id = 1`]);
}

describe.each(databaseKinds())('audit integrity on %s', (kind) => {
  let database: DatabaseHandle;
  let keys: CheckpointKeyMaterial;
  const exportFile = path.join(mkdtempSync(path.join(tmpdir(), 'broker-checkpoints-')), 'checkpoints.jsonl');
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    keys = await newKeys();
    const writer = createAuditWriter(database.db);
    await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write(event(i))));
    await writeCheckpoint(database.db, keys.signer, { exportFile });
    await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write(event(40 + i))));
    await writeCheckpoint(database.db, keys.signer, { exportFile });
  });
  afterAll(async () => database?.close());

  it('refuses to update, delete or truncate audit records and checkpoints, and to move the chain head back', async () => {
    for (const statement of [
      sql`update audit_event set reason = 'nothing to see' where seq = 3`,
      sql`delete from audit_event where seq = 80`,
      sql`truncate audit_event`,
      sql`update audit_checkpoint set hash = 'x'`,
      sql`delete from audit_checkpoint`,
      sql`truncate audit_chain_head`,
      sql`delete from audit_chain_head`,
      sql`update audit_chain_head set seq = seq - 5`,
    ]) {
      await expect(statement.execute(database.db)).rejects.toThrow(/append-only|only moves forward/);
    }
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 80, tombstones: 0, brokenAt: null });
  });

  it('puts recorded_at in the hash: backdating a record breaks the chain', async () => {
    const probe = await createTestDatabase(kind);
    try {
      await createAuditWriter(probe.db).write(event(1));
      await asSchemaOwner(probe.db, [sql`update audit_event set recorded_at = recorded_at - interval '1 day' where seq = 1`]);
      expect(await verifyAuditChain(probe.db)).toMatchObject({ ok: false, brokenAt: '1' });
    } finally {
      await probe.close();
    }
  });

  it('reports the log whole, with every checkpoint verified, and checks a period from the checkpoint before it', async () => {
    const whole = await checkAuditIntegrity(database.db, { keys: keys.keys, exported: (await readExportedCheckpoints(exportFile)).checkpoints });
    expect(whole).toMatchObject({ ok: true, firstBrokenRecord: null, chain: { checked: 80, brokenAt: null }, checkpoints: { configured: true, checked: 4, findings: [], last: { seq: '80' } } });
    const late = await database.db.selectFrom('audit_event').select('recorded_at').where('seq', '=', '41').executeTakeFirstOrThrow();
    const period = await checkAuditIntegrity(database.db, { keys: keys.keys, from: late.recorded_at });
    expect(period.ok).toBe(true);
    expect(period.chain.anchoredAt).toBe('40');
    expect(period.chain.checked).toBe(40);
  });

  it('catches an insider who rewrites the chain consistently: the checkpoint no longer matches', async () => {
    const victim = await createTestDatabase(kind);
    try {
      const writer = createAuditWriter(victim.db);
      for (let i = 0; i < 30; i += 1) await writer.write(event(i));
      await writeCheckpoint(victim.db, keys.signer);
      for (let i = 30; i < 50; i += 1) await writer.write(event(i));
      await writeCheckpoint(victim.db, keys.signer);
      await rewriteFrom(victim, 35, 'routine');
      // The chain alone is fooled...
      expect((await verifyAuditChain(victim.db)).ok).toBe(true);
      // ...the checkpoint is not: untrusted from just after the last checkpoint that still matches.
      const report = await checkAuditIntegrity(victim.db, { keys: keys.keys });
      expect(report.ok).toBe(false);
      expect(report.checkpoints.findings).toEqual([{ seq: '50', source: 'database', problem: 'hash-mismatch' }]);
      expect(report.firstBrokenRecord).toBe('31');
    } finally {
      await victim.close();
    }
  });

  it('catches an insider who deletes the newest records, their checkpoint and moves the head back: the exported checkpoint lies beyond the chain', async () => {
    const victim = await createTestDatabase(kind);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'broker-checkpoints-')), 'checkpoints.jsonl');
    try {
      const writer = createAuditWriter(victim.db);
      for (let i = 0; i < 20; i += 1) await writer.write(event(i));
      await writeCheckpoint(victim.db, keys.signer, { exportFile: file });
      for (let i = 20; i < 25; i += 1) await writer.write(event(i));
      await writeCheckpoint(victim.db, keys.signer, { exportFile: file });
      const at20 = await victim.db.selectFrom('audit_event').select('hash').where('seq', '=', '20').executeTakeFirstOrThrow();
      await asSchemaOwner(victim.db, [
        sql`delete from audit_event where seq > 20`,
        sql`delete from audit_checkpoint where seq > 20`,
        sql`update audit_chain_head set seq = 20, hash = ${at20.hash} where id = 1`,
      ]);
      expect((await verifyAuditChain(victim.db)).ok).toBe(true);
      const report = await checkAuditIntegrity(victim.db, { keys: keys.keys, exported: (await readExportedCheckpoints(file)).checkpoints });
      expect(report.ok).toBe(false);
      expect(report.checkpoints.findings).toEqual([
        { seq: '25', source: 'export', problem: 'records-missing' },
        { seq: '25', source: 'export', problem: 'not-in-database' },
      ]);
      expect(report.firstBrokenRecord).toBe('21');
    } finally {
      await victim.close();
    }
  });

  it('refuses a forged checkpoint and one signed by a key it does not hold; keeps verifying a retired key', async () => {
    const other = await newKeys();
    const forged: Checkpoint = { ...((await readExportedCheckpoints(exportFile)).checkpoints[1] as Checkpoint), hash: 'f'.repeat(64) };
    const stranger: Checkpoint = { seq: '80', hash: 'x', signedAt: new Date().toISOString(), keyId: other.signer.keyId, jws: await other.signer.sign(new TextEncoder().encode('{}')) };
    const report = await checkAuditIntegrity(database.db, { keys: keys.keys, exported: [forged, stranger] });
    expect(report.checkpoints.findings.map((f) => f.problem)).toEqual(expect.arrayContaining(['bad-signature', 'unknown-key']));
    // Rotation: the new key signs from now on; the old public key still verifies what it signed.
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const oldJwk = keys.keys;
    const rotated = await checkpointKeysFromJwk({ ...(await exportJWK(privateKey)), kid: 'audit-next' }, []);
    const both = new Map([...oldJwk, ...rotated.keys]);
    expect((await checkAuditIntegrity(database.db, { keys: both })).ok).toBe(true);
    expect((await checkAuditIntegrity(database.db, { keys: rotated.keys })).checkpoints.findings[0]?.problem).toBe('unknown-key');
  });

  it.runIf(kind === 'postgres')('gives the runtime role INSERT but not UPDATE, DELETE, TRUNCATE or switching the triggers off', async () => {
    const role = `broker_rt_${randomBytes(4).toString('hex')}`;
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create role ${role} login in role broker_runtime`);
    const url = new URL(database.url);
    url.username = role;
    const runtime = new pg.Client({ connectionString: url.toString() });
    try {
      await runtime.connect();
      await runtime.query(`insert into token_use (issuer, jti, expires_at) values ('https://idp.example', '${role}', now() + interval '1 hour')`).catch((e: Error) => {
        throw new Error(`runtime role cannot write its ordinary tables: ${e.message}`);
      });
      for (const statement of ['update audit_event set reason = null', 'delete from audit_event', 'truncate audit_event', 'alter table audit_event disable trigger user', 'drop trigger audit_event_no_update_delete on audit_event']) {
        await expect(runtime.query(statement), statement).rejects.toThrow(/permission denied|must be owner|append-only/);
      }
    } finally {
      await runtime.end().catch(() => undefined);
      await admin.query(`drop role ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});

describe.each(databaseKinds())('audit integrity over HTTP on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let idp: TestIssuer;
  let keysOfBroker: CheckpointKeyMaterial;
  const exportFile = path.join(mkdtempSync(path.join(tmpdir(), 'broker-checkpoints-')), 'checkpoints.jsonl');
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    idp = await createTestIssuer({ issuer: 'https://idp.audit.example', organisations: ['100000000000010'] });
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'audit-http' };
    keysOfBroker = await checkpointKeysFromJwk(jwk);
    // The auditor's organisation needs no directory here: the integrity check reads no record's content.
    broker = await startTestBroker({ database, issuers: [idp], organisations: { isWithin: (sor, root) => sor === root }, env: { BROKER_AUDIT_SIGNING_KEY: JSON.stringify(jwk), BROKER_AUDIT_CHECKPOINT_FILE: exportFile } });
    for (let i = 0; i < 12; i += 1) await broker.broker.audit.write(event(i));
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });
  const as = async (role: 'auditor' | 'clinician') => ({ Authorization: `Bearer ${await idp.token({ organisationSor: '100000000000010', role })}` });

  it('signs on demand and by the scheduled job, reports the log whole, and names the first untrusted record once records are removed from the end', async () => {
    const signed = await broker.request('/v1/audit/checkpoints', { method: 'POST', headers: await as('auditor') });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({ checkpoint: { seq: '12', keyId: 'audit-http' } });
    // The scheduled job signs what came after, and nothing twice.
    await broker.broker.audit.write(event(12));
    const job = auditCheckpointJob({ db: database.db, signer: keysOfBroker.signer, exportFile, everyMinutes: 5 });
    expect(job.schedule.cron).toBe('*/5 * * * *');
    expect(await job.handle({}, { id: 'run-1' })).toEqual({ signedSeq: '13', keyId: 'audit-http' });
    expect(await job.handle({}, { id: 'run-2' })).toEqual({ signedSeq: null, keyId: null });
    const whole = await broker.request('/v1/audit/integrity', { headers: await as('auditor') });
    expect(await whole.json()).toMatchObject({ ok: true, firstBrokenRecord: null, checkpoints: { configured: true, last: { seq: '13' } } });

    const at10 = await database.db.selectFrom('audit_event').select('hash').where('seq', '=', '10').executeTakeFirstOrThrow();
    await asSchemaOwner(database.db, [sql`delete from audit_event where seq > 10`, sql`delete from audit_checkpoint`, sql`update audit_chain_head set seq = 10, hash = ${at10.hash} where id = 1`]);
    const broken = await (await broker.request('/v1/audit/integrity', { headers: await as('auditor') })).json();
    expect(broken).toMatchObject({ ok: false, firstBrokenRecord: '11', checkpoints: { findings: expect.arrayContaining([{ seq: '12', source: 'export', problem: 'records-missing' }]) } });
  });

  it('is for auditors only', async () => {
    const response = await broker.request('/v1/audit/integrity', { headers: await as('clinician') });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}forbidden-role`);
  });
});
