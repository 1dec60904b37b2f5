/**
 * The organisation directory: SOR snapshot import with history, local units, and the search API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSorFile } from '../adapters/sor/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { searchOrganisations } from '../src/directory/queries.js';
import { importSorSnapshot, SorImportError } from '../src/directory/sor-import.js';
import { openSorSource } from '../src/directory/sor-source.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { NJ, NORTH_JUTLAND_XML, SAMPLE_PRAKSIS, SAMPLE_SYGEHUS, changedSnapshot, leafBlock, sorInput } from './helpers/sor-files.js';

const by = { importedBy: 'test' };

async function counts(database: DatabaseHandle) {
  const [orgs, versions, imports] = await Promise.all([
    database.db.selectFrom('organisation').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    database.db.selectFrom('organisation_version').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    database.db.selectFrom('sor_import').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { organisations: Number(orgs.n), versions: Number(versions.n), imports: Number(imports.n) };
}

describe.each(databaseKinds())('SOR import on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => database?.close());

  it('imports the real SOR samples with every entity, EAN number and address they hold', async () => {
    const sample = await createTestDatabase(kind);
    try {
      for (const file of [SAMPLE_SYGEHUS, SAMPLE_PRAKSIS]) {
        const result = await importSorSnapshot(sample.db, await openSorSource(file), by);
        const records = [];
        for await (const r of parseSorFile(file)) records.push(r);
        expect(result.entities).toBe(records.length);
        for (const r of records) {
          const row = await sample.db.selectFrom('organisation').selectAll().where('sor', '=', r.sor).executeTakeFirstOrThrow();
          expect(row.name).toBe(r.name);
          expect(row.parent_sor).toBe(r.parentSor);
          expect(row.own_eans).toEqual(r.eans.filter((e) => e.nonActive !== true).map((e) => e.ean));
          expect(row.details.eans.map((e) => e.ean)).toEqual(r.eans.map((e) => e.ean));
          expect(row.details.addresses).toEqual(r.addresses.map((a) => ({ ...a })));
          expect(row.details.phones).toEqual(r.phones);
          expect(row.ydernummer).toBe(r.ydernummer);
        }
      }
      const practice = await sample.db.selectFrom('organisation').selectAll().where('ydernummer', '=', '019062').executeTakeFirstOrThrow();
      expect(practice.level).toBe('organisational-unit');
      expect((await counts(sample)).organisations).toBeGreaterThanOrEqual(7);
    } finally {
      await sample.close();
    }
  });

  it('imports a snapshot, and re-importing it changes nothing', async () => {
    const first = await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), by);
    expect(first).toMatchObject({ entities: 110, added: 110, changed: 0, removed: 0, identicalToLast: false });
    const before = await counts(database);
    const again = await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), by);
    expect(again).toMatchObject({ identicalToLast: true, added: 0, changed: 0, removed: 0 });
    // Same content in other bytes (CRLF line endings): compared entity by entity, still no change.
    const crlf = await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML.replace(/\n/g, '\r\n')), by);
    expect(crlf).toMatchObject({ identicalToLast: false, added: 0, changed: 0, removed: 0, unchanged: 110 });
    const after = await counts(database);
    expect(after.organisations).toBe(before.organisations);
    expect(after.versions).toBe(before.versions);
  });

  it.each([
    ['truncated', (x: string) => x.slice(0, Math.floor(x.length * 0.6)), /truncated|ended/i],
    ['malformed', (x: string) => x.replace('<EntityName>Region Nordjylland</EntityName>', '<EntityName>Region Nordjylland</Entity>'), /EntityName/],
    ['wrong namespace', (x: string) => x.replace('xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0"', 'xmlns="urn:example:other"'), /namespace/i],
    ['duplicate SOR code', (x: string) => x.replace(leafBlock(x, NJ.teamThisted), leafBlock(x, NJ.teamThisted).repeat(2)), /more than once/i],
    [
      'cycle in parents',
      (x: string) => x.replace(`<SorIdentifier>${NJ.outpatientClinic}</SorIdentifier>`, `<SorIdentifier>${NJ.outpatientClinic}</SorIdentifier><ParentSorIdentifier>${NJ.acuteTeam}</ParentSorIdentifier>`),
      /cycle/i,
    ],
  ])('refuses a %s file and changes nothing', async (_name, corrupt, message) => {
    const before = await counts(database);
    const error = await importSorSnapshot(database.db, sorInput(corrupt(changedSnapshot())), by).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SorImportError);
    expect((error as SorImportError).message).toMatch(message);
    if ((error as SorImportError).code !== 'parent-cycle') {
      expect((error as SorImportError).message).toMatch(/test\.xml:\d+:\d+/);
      expect((error as SorImportError).position?.line).toBeGreaterThan(1);
    }
    expect(await counts(database)).toEqual(before);
  });

  it('ignores unknown optional elements', async () => {
    const db2 = await createTestDatabase(kind);
    try {
      const withUnknown = NORTH_JUTLAND_XML.replace('<EntityName>Region Nordjylland</EntityName>', '<EntityName>Region Nordjylland</EntityName><FutureElement><Nested>1</Nested></FutureElement>');
      expect((await importSorSnapshot(db2.db, sorInput(withUnknown), by)).added).toBe(110);
    } finally {
      await db2.close();
    }
  });

  it('records a changed snapshot: renamed, removed and added units with their validity', async () => {
    const result = await importSorSnapshot(database.db, sorInput(changedSnapshot()), by);
    expect(result).toMatchObject({ added: 1, changed: 1, removed: 1, unchanged: 108 });

    const removed = await database.db.selectFrom('organisation').selectAll().where('sor', '=', NJ.eatingDisorders).executeTakeFirstOrThrow();
    expect(removed.removed_at?.toISOString()).toBe('2026-12-01T00:00:00.000Z');

    const versions = await database.db.selectFrom('organisation_version').selectAll().where('sor', '=', NJ.teamAalborg).orderBy('recorded_from').execute();
    expect(versions.map((v) => [v.change, v.record.name])).toEqual([
      ['added', 'Børne- og Ungdomspsykiatri, Team Aalborg'],
      ['changed', 'Børne- og Ungdomspsykiatri, Team Aalborg Øst'],
    ]);
    expect(versions[0]?.recorded_to?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(versions[1]?.recorded_to).toBeNull();
  });

  it('refuses a snapshot older than the last one imported', async () => {
    const error = await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML.replace('<SnapshotDate>2026-11-23</SnapshotDate>', '<SnapshotDate>2026-01-01</SnapshotDate>')), by).catch((e: unknown) => e);
    expect((error as SorImportError).code).toBe('older-snapshot');
  });
});

describe.each(databaseKinds())('directory API on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let aalborg: TestIssuer;
  let region: TestIssuer;
  let hjorring: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), by);
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [NJ.aalborgKommune] });
    hjorring = await createTestIssuer({ issuer: 'https://idp.hjorring.example', organisations: [NJ.hjorringKommune] });
    region = await createTestIssuer({ issuer: 'https://sts.rn.example', organisations: [NJ.region] });
    broker = await startTestBroker({ database, issuers: [aalborg, region, hjorring] });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const get = async (path: string, issuer = region, org: string = NJ.childPsychiatry) =>
    broker.request(path, { headers: { Authorization: `Bearer ${await issuer.token({ organisationSor: org })}` } });
  const list = async (query: string) => (await (await get(`/v1/organisations?${query}`)).json()) as { items: Array<{ sor: string; name: string }>; nextCursor: string | null };

  it('checks issuer scope against the directory tree', async () => {
    // The region's STS may speak for a team deep below the region, not for a municipality.
    expect((await get('/v1/me', region, NJ.teamAalborg)).status).toBe(200);
    expect((await get('/v1/me', region, NJ.aalborgPpr)).status).toBe(403);
    expect((await get('/v1/me', aalborg, NJ.aalborgPpr)).status).toBe(200);
  });

  it('filters by name, ydernummer, EAN, municipality, region, unit type, subtree and date', async () => {
    expect((await list('q=ungdomspsykiatri&limit=100')).items.map((o) => o.sor)).toContain(NJ.teamAalborg);
    expect((await list('ydernummer=080101')).items.map((o) => o.sor)).toEqual([NJ.gpKjaersgaard]);
    expect((await list('ean=5790009120049')).items.map((o) => o.sor)).toEqual([NJ.aalborgPpr]);
    const subtree = (await list(`subtree=${NJ.childPsychiatry}&limit=100`)).items.map((o) => o.sor);
    expect(subtree).toHaveLength(8);
    expect(subtree).toContain(NJ.eatingDisorders);
    const aalborgUnits = (await list('municipality=851&limit=200')).items;
    expect(aalborgUnits.length).toBeGreaterThan(10);
    expect((await list('region=1081&limit=1')).items).toHaveLength(1);
    const closed = '9500101000016000';
    expect((await list(`subtree=${NJ.childPsychiatry}&activeAt=2024-06-01&limit=100`)).items.map((o) => o.sor)).toContain(closed);
    expect((await list(`subtree=${NJ.childPsychiatry}&activeAt=2026-06-01&limit=100`)).items.map((o) => o.sor)).not.toContain(closed);
    const type = (await list(`sor=${NJ.aalborgPpr}`)).items[0] as unknown as { unitType: string };
    expect((await list(`unitType=${type.unitType}&limit=100`)).items.length).toBeGreaterThanOrEqual(11);
  });

  it('pages through every result with a cursor, in order, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=7&sort=name${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((o) => o.name.toLowerCase()));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(110);
    expect([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(seen);
    const bad = await get('/v1/organisations?cursor=garbage');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}invalid-cursor`);
  });

  it('finds the same name matches in the same order by each search strategy', async () => {
    // Only SOR entities so far: `local: false` changes no result, but leaves the index-only walk
    // for the strategies that fetch rows (sort the matches, or walk the name index).
    const everything = await database.db.selectFrom('organisation').select(['sor', 'name']).execute();
    expect(everything.length).toBe(110);
    for (const q of ['a', 'team', 'ppr', 'psykiatri', 'zzz']) {
      for (const order of ['asc', 'desc'] as const) {
        const strategies = {
          indexWalk: { filters: { q }, tuning: {} },
          indexThenSort: { filters: { q }, tuning: { walkRows: 3 } },
          sortMatches: { filters: { q, local: false }, tuning: { matchesToSort: 10_000 } },
          walkTable: { filters: { q, local: false }, tuning: { matchesToSort: 0 } },
        };
        const pages = async (strategy: keyof typeof strategies) => {
          const { filters, tuning } = strategies[strategy];
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await searchOrganisations(database.db, filters, { limit: 4, sort: 'name', order, cursor }, tuning);
            seen.push(...page.items.map((o) => o.sor));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          return seen;
        };
        const sorted = await pages('sortMatches');
        expect(await pages('walkTable')).toEqual(sorted);
        expect(await pages('indexWalk')).toEqual(sorted);
        expect(await pages('indexThenSort')).toEqual(sorted);
        // With a subtree and a date as well: the index-only walk agrees with the table walk.
        const within = { q, subtree: NJ.region, activeAt: '2026-06-01' };
        const combined = async (filters: object) => (await searchOrganisations(database.db, filters, { limit: 200, sort: 'name', order })).items.map((o) => o.sor);
        expect(await combined(within)).toEqual(await combined({ ...within, local: false }));
        expect([...sorted].sort()).toEqual(everything.filter((o) => o.name.toLowerCase().includes(q)).map((o) => o.sor).sort());
      }
    }
  });

  it('shows an organisation with ancestors, children, and an inherited EAN number', async () => {
    const team = (await (await get(`/v1/organisations/${NJ.teamAalborg}`)).json()) as {
      ancestors: Array<{ sor: string }>;
      eanNumbers: unknown[];
      children: unknown[];
      addresses: Array<{ postalCode: string }>;
    };
    expect(team.ancestors.map((a) => a.sor)).toEqual([NJ.childPsychiatry, '9500021000016002', NJ.region]);
    expect(team.eanNumbers).toEqual([{ ean: '5790009100034', own: false, heldBy: NJ.childPsychiatry }]);
    expect(team.addresses[0]?.postalCode).toBe('9000');
    const bup = (await (await get(`/v1/organisations/${NJ.childPsychiatry}`)).json()) as { eanNumbers: unknown[]; children: unknown[] };
    expect(bup.eanNumbers).toEqual([{ ean: '5790009100034', own: true, heldBy: NJ.childPsychiatry }]);
    expect(bup.children).toHaveLength(6);
    const missing = await get('/v1/organisations/9599991000016000');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}organisation-not-found`);
  });

  it('registers local units that survive SOR imports, for the municipality’s own administrators only', async () => {
    const admin = async (issuer: TestIssuer, org: string) => `Bearer ${await issuer.token({ organisationSor: org, role: 'agreement-admin' })}`;
    const body = {
      parentSor: NJ.aalborgHealth,
      name: 'Familiehuset Aalborg Øst',
      unitType: 'children-family',
      municipalityCode: '851',
      kombitOrganisationUuid: '4f1c2a3b-0707-4142-85aa-123456789012',
      ean: '5790001348120',
      phones: ['+45 99 31 31 31'],
      emails: ['familiehuset@aalborg.dk'],
    };
    const post = async (auth: string, payload: object) =>
      broker.request('/v1/organisations/local', { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });

    expect((await post(await admin(hjorring, NJ.hjorringKommune), body)).status).toBe(403);
    const clinician = await post(`Bearer ${await aalborg.token({ organisationSor: NJ.aalborgKommune, role: 'caseworker' })}`, body);
    expect(clinician.status).toBe(403);
    expect(((await clinician.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}forbidden-role`);
    const badGln = await post(await admin(aalborg, NJ.aalborgKommune), { ...body, ean: '5790001348121' });
    expect(badGln.status).toBe(422);
    expect((await post(await admin(aalborg, NJ.aalborgKommune), { ...body, parentSor: NJ.childPsychiatry })).status).toBe(422);

    const created = await post(await admin(aalborg, NJ.aalborgKommune), body);
    expect(created.status).toBe(201);
    const unit = (await created.json()) as { sor: string; local: boolean; eanNumbers: unknown[]; kombitOrganisationUuid: string };
    expect(unit).toMatchObject({ local: true, kombitOrganisationUuid: body.kombitOrganisationUuid });
    expect(unit.eanNumbers).toEqual([{ ean: '5790001348120', own: true, heldBy: unit.sor }]);

    // The new unit is in the directory cache: Aalborg's issuer may now act for it.
    await broker.broker.directory.reload();
    expect((await get('/v1/me', aalborg, unit.sor)).status).toBe(200);

    const result = await importSorSnapshot(database.db, sorInput(changedSnapshot()), by);
    expect(result.removed).toBe(1);
    const after = (await (await get(`/v1/organisations/${unit.sor}`)).json()) as { removedAt: string | null; ancestors: Array<{ sor: string }> };
    expect(after.removedAt).toBeNull();
    expect(after.ancestors[0]?.sor).toBe(NJ.aalborgHealth);
  });

  it('answers what an organisation was called on a past date', async () => {
    const history = (await (await get(`/v1/organisations/${NJ.teamAalborg}/history`)).json()) as { versions: Array<{ record: { name: string } }> };
    expect(history.versions.map((v) => v.record.name)).toEqual(['Børne- og Ungdomspsykiatri, Team Aalborg', 'Børne- og Ungdomspsykiatri, Team Aalborg Øst']);
    const asOf = async (date: string) =>
      ((await (await get(`/v1/organisations/${NJ.teamAalborg}/history?asOf=${date}`)).json()) as { versions: Array<{ record: { name: string } }> }).versions[0]?.record.name;
    expect(await asOf('2026-11-25')).toBe('Børne- og Ungdomspsykiatri, Team Aalborg');
    expect(await asOf('2026-12-02')).toBe('Børne- og Ungdomspsykiatri, Team Aalborg Øst');
    expect(await asOf('2020-01-01')).toBe('Børne- og Ungdomspsykiatri, Team Aalborg');
    expect(await asOf('2018-01-01')).toBeUndefined();
  });
});
