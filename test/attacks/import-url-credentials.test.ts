/**
 * Attack: read the SOR import source's credentials from the broker. An operator configures the
 * nightly import as `https://user:password@host/...` or with an access token in the query string;
 * any staff member may read `GET /v1/organisations/imports`. The source shown, stored and audited
 * must be scheme, host and path only; the credentials still reach the SOR server (Basic auth).
 */
import { type Kysely, sql } from 'kysely';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import { up as redactStoredSources } from '../../db/migrations/20261202T0201-redact-sor-import-sources.js';
import { importSorSnapshot } from '../../src/directory/sor-import.js';
import { importSorFrom, openSorSource } from '../../src/directory/sor-source.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { type TestIssuer, createTestIssuer } from '../helpers/issuers.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { NJ, NORTH_JUTLAND_XML, changedSnapshot, sorInput } from '../helpers/sor-files.js';

const USER = 'sor-importer';
const PASSWORD = 'Hemmelig-Adgangskode-42';
const TOKEN = 'tok_9f8e7d6c5b4a';
const SECRETS = [USER, PASSWORD, TOKEN, 'token=', 'sig='];
const authorised: string[] = [];

const server = setupServer(
  http.get('http://sor-export.attack.test/protected/sor.xml', ({ request }) => {
    const auth = request.headers.get('authorization');
    authorised.push(auth ?? '');
    if (auth !== `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`) return new HttpResponse('no', { status: 401 });
    return new HttpResponse(changedSnapshot(), { headers: { 'content-type': 'application/xml' } });
  }),
  http.get('http://sor-export.attack.test/signed/sor.xml', ({ request }) => {
    if (new URL(request.url).searchParams.get('token') !== TOKEN) return new HttpResponse('no', { status: 403 });
    const later = changedSnapshot().replace('<SnapshotDate>2026-12-01</SnapshotDate>', '<SnapshotDate>2026-12-02</SnapshotDate>');
    return new HttpResponse(later, { headers: { 'content-type': 'application/xml' } });
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

describe.each(databaseKinds())('import URL credentials on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let aalborg: TestIssuer;

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

  const importsAsCaseworker = async () => {
    const token = await aalborg.token({ organisationSor: NJ.aalborgKommune, role: 'caseworker' });
    const response = await broker.request('/v1/organisations/imports', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.text();
  };
  const expectNoSecret = (text: string) => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  };

  const expectNothingSecretStored = async () => {
    expectNoSecret(await importsAsCaseworker());
    expectNoSecret(JSON.stringify(await database.db.selectFrom('sor_import').select('source').execute()));
    expectNoSecret(JSON.stringify(await database.db.selectFrom('audit_event').select('details').where('kind', '=', 'directory-change').execute()));
  };

  it('imports from a URL with user:password@: the credentials reach the SOR server, and are never shown, stored or audited', async () => {
    const withCredentials = `http://${USER}:${PASSWORD}@sor-export.attack.test/protected/sor.xml`;
    await importSorSnapshot(database.db, await openSorSource(withCredentials), { importedBy: 'schedule' });
    expect(authorised.at(-1)).toMatch(/^Basic /);
    await expectNothingSecretStored();
  });

  it('imports from a URL with a token in its query string, and never shows, stores or audits the query', async () => {
    await importSorSnapshot(database.db, await openSorSource(`http://sor-export.attack.test/signed/sor.xml?token=${TOKEN}&sig=abc`), { importedBy: 'schedule' });
    await expectNothingSecretStored();
    const shown = JSON.parse(await importsAsCaseworker()) as { imports: Array<{ source: string }> };
    expect(shown.imports[0]?.source).toBe('http://sor-export.attack.test/signed/sor.xml');
  });

  it('audits a failed import from a URL as a failure, without its credentials or query', async () => {
    const refused = `http://${USER}:wrong-${PASSWORD}@sor-export.attack.test/protected/sor.xml?token=${TOKEN}`;
    await expect(importSorFrom(database.db, refused, { importedBy: 'schedule' })).rejects.toThrow(/HTTP 401/);
    const failed = await database.db.selectFrom('audit_event').select(['outcome', 'details']).where('kind', '=', 'directory-change').orderBy(sql`seq`, 'desc').limit(1).executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ outcome: 'failed', details: { change: 'sor-import', source: 'http://sor-export.attack.test/protected/sor.xml' } });
    await expectNothingSecretStored();
  });

  it('never shows the credentials of an import recorded before sources were redacted, and the data migration removes them', async () => {
    const legacy = `https://${USER}:${PASSWORD}@sor.example.dk/export/sor.xml?token=${TOKEN}`;
    await database.db
      .insertInto('sor_import')
      .values({
        source: legacy, sha256: 'legacy', snapshot_at: new Date('2026-12-01T00:00:00Z'), started_at: new Date(), finished_at: new Date(),
        entities: 1, added: 0, changed: 0, closed: 0, unchanged: 1, imported_by: 'schedule',
      })
      .execute();
    expectNoSecret(await importsAsCaseworker());

    await redactStoredSources(database.db as unknown as Kysely<unknown>);
    const rows = await database.db.selectFrom('sor_import').select('source').where('sha256', '=', 'legacy').execute();
    expect(rows.map((r) => r.source)).toEqual(['https://sor.example.dk/export/sor.xml']);
    await sql`delete from sor_import where sha256 = 'legacy'`.execute(database.db);
  });
});
