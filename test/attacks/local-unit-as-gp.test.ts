/**
 * Attack: a municipality registers a local unit typed as a GP practice (SOR 394761003) and its
 * clinicians then fall under the region's "all GP practices in Region Nordjylland" agreements,
 * so child psychiatry answers them. Played over real HTTP with tokens from real issuers: Læsø
 * Kommune's identity provider registers the unit and then speaks for a clinician acting for it.
 *
 * Two doors are shut: the registration itself (a local unit may only carry a municipal unit
 * type), and the access decision (a local unit's type never matches a health-sector unit-type
 * selector, so a unit stored before the rule, or written around the API, gains nothing).
 */
import { readFileSync } from 'node:fs';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { episodeEntries, loadDemoChildren, searchBundle, type DemoChild } from '../../adapters/simulators/index.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { seedDemoAgreements } from '../../src/agreements/index.js';
import { loadOrganisations } from '../../src/directory/directory-cache.js';
import { createMemoryDirectoryView } from '../../src/directory/memory-view.js';
import { importSorSnapshot } from '../../src/directory/sor-import.js';
import { PROBLEM_BASE } from '../../src/http/problem.js';
import { sourcesFileSchema } from '../../src/lookup/sources.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { type TestIssuer, createTestIssuer } from '../helpers/issuers.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { NORTH_JUTLAND_XML, sorInput } from '../helpers/sor-files.js';

const LAESO = '9520511000016001';
const LAESO_HEALTH = '9520521000016002';
const GP_OWNER = '9510011000016001';
const GP_PRACTICE = '9510031000016003';
const CHILD_PSYCHIATRY = '9500031000016003';
const GP_PRACTICE_TYPE = '394761003';

const children = loadDemoChildren();
const NOAH = children.find((c) => c.alias === 'noah-treatment-and-ppr') as DemoChild;
const URL = { register: 'http://person-register.attack.test/fhir', psychiatry: 'http://rn-epic.attack.test/fhir' };
const INCLUDES = new Set(['EpisodeOfCare:care-manager', 'EpisodeOfCare:organization', 'EpisodeOfCare:patient', 'EpisodeOfCare:team']);
let psychiatryCalls = 0;

const fhir = (body: string | object) =>
  new HttpResponse(typeof body === 'string' ? body : JSON.stringify(body), { headers: { 'content-type': 'application/fhir+json' } });
const cprAsked = (body: string) => /(\d{10}|\d{7}[A-Z]{2}\d)/.exec(decodeURIComponent(body))?.[1];

const server = setupServer(
  http.post(`${URL.register}/Patient/_search`, async ({ request }) =>
    fhir(readFileSync(`fixtures/sources/${cprAsked(await request.text()) === NOAH.cpr ? 'patient_found.json' : 'patient_not_found.json'}`, 'utf8')),
  ),
  http.post(`${URL.psychiatry}/EpisodeOfCare/_search`, async ({ request }) => {
    psychiatryCalls += 1;
    const cpr = cprAsked(await request.text());
    const kid = children.find((c) => c.cpr === cpr);
    const episodes = kid ? kid.episodes.filter((e) => e.source === 'child-psychiatry') : [];
    const entries = kid ? episodes.flatMap((e) => episodeEntries(URL.psychiatry, kid, e, INCLUDES)) : [];
    return fhir(searchBundle(entries, episodes.length, [{ relation: 'self', url: `${URL.psychiatry}/EpisodeOfCare` }]));
  }),
);

const sources = sourcesFileSchema.parse({
  personRegister: { endpoint: URL.register, timeoutMs: 800 },
  sources: [
    {
      id: 'rn-child-psychiatry', kind: 'child-psychiatry', protocol: 'fhir', endpoint: URL.psychiatry, ownerSor: CHILD_PSYCHIATRY,
      serves: { municipalities: ['851', '825'], regions: ['1081'] }, timeoutMs: 1000,
    },
  ],
});

interface LookupBody {
  sources: Array<{ sourceId?: string; kind: string; status: string; deniedBecause?: string[] }>;
}

beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

describe.each(databaseKinds())('a municipality registering a local unit typed as a GP practice, on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let laesoIdp: TestIssuer;
  let gpIdp: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
    await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView(await loadOrganisations(database.db)) });
    laesoIdp = await createTestIssuer({ issuer: 'https://idp.laesoe.example', organisations: [LAESO] });
    gpIdp = await createTestIssuer({ issuer: 'https://idp.gp-system.example', organisations: [GP_OWNER] });
    broker = await startTestBroker({ database, issuers: [laesoIdp, gpIdp], sources });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });
  beforeEach(() => {
    psychiatryCalls = 0;
  });

  async function lookupAs(issuer: TestIssuer, organisationSor: string): Promise<LookupBody> {
    const token = await issuer.token({ organisationSor, role: 'clinician', purposeOfUse: 'child-welfare-concern', assurance: 'substantial' });
    const response = await broker.request('/v1/lookups', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ cpr: NOAH.cpr, purposeOfUse: 'child-welfare-concern', reason: 'Bekymring fra skolen' }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as LookupBody;
  }
  // A denied source the caller did not name is shown by its kind only (the trust model on lookups).
  const psychiatry = (body: LookupBody) =>
    body.sources.find((s) => s.sourceId === 'rn-child-psychiatry' || (s.sourceId === undefined && s.kind === 'child-psychiatry'));

  it('a real GP practice is answered by child psychiatry (the agreement works)', async () => {
    expect(psychiatry(await lookupAs(gpIdp, GP_PRACTICE))?.status).toBe('found');
    expect(psychiatryCalls).toBe(1);
  });

  it('refuses to register a local unit with a GP practice unit type, and the municipality gains no GP access', async () => {
    const admin = await laesoIdp.token({ organisationSor: LAESO, role: 'agreement-admin' });
    const response = await broker.request('/v1/organisations/local', {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ parentSor: LAESO_HEALTH, name: 'Lægehuset Læsø', unitType: GP_PRACTICE_TYPE, municipalityCode: '825' }),
    });
    const created = response.status === 201 ? ((await response.clone().json()) as { sor: string }).sor : null;
    if (created) {
      // The code as it was: the unit exists; play the rest of the attack to show what it buys.
      await broker.broker.directory.reload();
      const body = await lookupAs(laesoIdp, created);
      expect.soft(psychiatryCalls, 'child psychiatry was consulted for a municipal clinician').toBe(0);
      expect.soft(psychiatry(body)?.status).toBe('denied');
    }
    expect(response.status).toBe(422);
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}local-unit-invalid`);
    const stored = await database.db.selectFrom('organisation').select('sor').where('local', '=', true).where('unit_type', '=', GP_PRACTICE_TYPE).execute();
    expect(stored).toEqual([]);
  });

  it("refuses a local unit that claims another municipality's kommunekode (it would fall under Aalborg's unit-type selectors)", async () => {
    const admin = await laesoIdp.token({ organisationSor: LAESO, role: 'agreement-admin' });
    const response = await broker.request('/v1/organisations/local', {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ parentSor: LAESO_HEALTH, name: 'PPR Læsø (as Aalborg)', unitType: 'ppr', municipalityCode: '851' }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}local-unit-invalid`);
  });

  it('a local unit stored with a GP practice type (before the rule, or around the API) never matches the GP agreements', async () => {
    // Written straight to the table, the way a unit registered by an older broker would be there.
    const sor = '990000000000009999';
    const parent = await database.db.selectFrom('organisation').select(['path', 'region_code']).where('sor', '=', LAESO_HEALTH).executeTakeFirstOrThrow();
    await database.db
      .insertInto('organisation')
      .values({
        sor, parent_sor: LAESO_HEALTH, level: 'organisational-unit', name: 'Lægehuset Læsø (legacy)', unit_type: GP_PRACTICE_TYPE,
        owner_type: 'municipality', region_code: parent.region_code, municipality_code: '825', ydernummer: null, shak_code: null,
        own_eans: [], valid_from: '2026-01-01', valid_to: null, local: true, path: `${parent.path}${sor}/`,
        details: JSON.stringify({ addresses: [], phones: [], emails: [], websites: [], specialities: [], replacedBy: [], eans: [], kombitOrganisationUuid: null }),
        content_hash: 'legacy', recorded_at: new Date(),
      })
      .execute();
    await broker.broker.directory.reload();

    const body = await lookupAs(laesoIdp, sor);
    expect(psychiatry(body)).toMatchObject({ status: 'denied', deniedBecause: ['no-agreement'] });
    expect(psychiatryCalls).toBe(0);

    // Nor does the agreement overview claim the GP agreements concern the unit.
    const adminToken = await laesoIdp.token({ organisationSor: LAESO, role: 'agreement-admin' });
    const overview = await broker.request(`/v1/agreements?party=${sor}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    expect(overview.status).toBe(200);
    const listed = (await overview.json()) as { items: Array<{ title: string }> };
    expect(listed.items.filter((a) => a.title.startsWith('Almen praksis'))).toEqual([]);
  });
});
