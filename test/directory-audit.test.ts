/**
 * Directory changes are audited: registering and closing a local unit (in the change's own
 * transaction: no change without its record), and every SOR import, success or failure.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { verifyAuditChain } from '../src/audit/audit-writer.js';
import { importSorSnapshot, SorImportError } from '../src/directory/sor-import.js';
import { importSorFrom } from '../src/directory/sor-source.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { NJ, NORTH_JUTLAND_XML, changedSnapshot, sorInput } from './helpers/sor-files.js';

describe.each(databaseKinds())('directory audit on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let aalborg: TestIssuer;

  const directoryRecords = () =>
    database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'directory-change').orderBy(sql`seq`).execute();
  const lastRecord = async () => (await directoryRecords()).at(-1);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML, 'north-jutland.xml'), { importedBy: 'test' });
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [NJ.aalborgKommune] });
    broker = await startTestBroker({ database, issuers: [aalborg] });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const adminPost = async (path: string, body: object) =>
    broker.request(path, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await aalborg.token({ organisationSor: NJ.aalborgKommune, role: 'agreement-admin', subject: 'admin-7', displayName: 'Anna Admin' })}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  const unit = { parentSor: NJ.aalborgHealth, name: 'PPR Aalborg Øst', unitType: '556841000005105', municipalityCode: '851' };

  it('audits the first import with its source, digest and counts', async () => {
    const record = (await directoryRecords())[0];
    expect(record).toMatchObject({ kind: 'directory-change', outcome: 'success', calling_system: 'sor-import', patient_cpr: null });
    expect(record?.details).toMatchObject({
      change: 'sor-import', importedBy: 'test', source: 'north-jutland.xml', identicalToLast: false,
      sha256: createHash('sha256').update(NORTH_JUTLAND_XML, 'utf8').digest('hex'),
      added: 110, changed: 0, removed: 0, reinstated: 0, entities: 110,
    });
  });

  it('audits registering and closing a local unit, naming who did it and the request', async () => {
    const created = await adminPost('/v1/organisations/local', unit);
    expect(created.status).toBe(201);
    const { sor } = (await created.json()) as { sor: string };
    const registered = await lastRecord();
    expect(registered).toMatchObject({
      kind: 'directory-change', outcome: 'success', actor_issuer: 'https://idp.aalborg.example', actor_subject: 'admin-7', actor_name: 'Anna Admin',
      actor_role: 'agreement-admin', actor_organisation: NJ.aalborgKommune, request_id: expect.any(String),
    });
    expect(registered?.details).toMatchObject({ change: 'local-unit-registered', sor, parentSor: NJ.aalborgHealth, municipalitySor: NJ.aalborgKommune, unitType: unit.unitType });

    await broker.broker.directory.reload();
    const closed = await adminPost(`/v1/organisations/local/${sor}/close`, { validTo: '2027-01-01' });
    expect(closed.status).toBe(204);
    expect((await lastRecord())?.details).toMatchObject({ change: 'local-unit-closed', sor, validTo: '2027-01-01' });
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('does not register a local unit whose audit record cannot be written', async () => {
    const before = await database.db.selectFrom('organisation').select('sor').where('local', '=', true).execute();
    await sql`alter table audit_event rename to audit_event_away`.execute(database.db);
    try {
      const response = await adminPost('/v1/organisations/local', { ...unit, name: 'Unaudited unit' });
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await sql`alter table audit_event_away rename to audit_event`.execute(database.db);
    }
    const after = await database.db.selectFrom('organisation').select('sor').where('local', '=', true).execute();
    expect(after).toEqual(before);
    expect(await database.db.selectFrom('organisation_version').select('sor').where(sql<boolean>`record->>'name' = 'Unaudited unit'`).execute()).toEqual([]);
  });

  it('refuses a local unit of a health-sector type, and audits nothing for it', async () => {
    const count = (await directoryRecords()).length;
    const response = await adminPost('/v1/organisations/local', { ...unit, unitType: '394761003' });
    expect(response.status).toBe(422);
    expect((await directoryRecords()).length).toBe(count);
  });

  it('audits a changed import with reinstated and removed counts, and an identical one', async () => {
    const changed = changedSnapshot();
    await importSorSnapshot(database.db, sorInput(changed, 'sor-2026-12-01.xml'), { importedBy: 'test' });
    expect((await lastRecord())?.details).toMatchObject({
      change: 'sor-import', source: 'sor-2026-12-01.xml', sha256: createHash('sha256').update(changed, 'utf8').digest('hex'),
      added: 1, changed: 1, removed: 1, reinstated: 0, identicalToLast: false,
    });
    await importSorSnapshot(database.db, sorInput(changed, 'sor-2026-12-01.xml'), { importedBy: 'test' });
    expect(await lastRecord()).toMatchObject({ outcome: 'success', details: expect.objectContaining({ identicalToLast: true, added: 0, changed: 0, removed: 0 }) });
  });

  it('audits a failed import as a failure, whether the file is broken or cannot be opened', async () => {
    const truncated = NORTH_JUTLAND_XML.slice(0, 5000);
    await expect(importSorSnapshot(database.db, sorInput(truncated, 'truncated.xml'), { importedBy: 'test' })).rejects.toBeInstanceOf(SorImportError);
    const broken = await lastRecord();
    expect(broken).toMatchObject({ kind: 'directory-change', outcome: 'failed', calling_system: 'sor-import' });
    expect(broken?.details).toMatchObject({ change: 'sor-import', source: 'truncated.xml', error: { code: expect.any(String) } });

    await expect(importSorFrom(database.db, '/nonexistent/dir/sor.xml', { importedBy: 'test' })).rejects.toThrow();
    expect(await lastRecord()).toMatchObject({ outcome: 'failed', details: expect.objectContaining({ source: 'sor.xml', error: expect.objectContaining({ code: 'Error' }) }) });
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });
});
