/**
 * Attacks on who may read agreements: over real HTTP with tokens from each organisation's own
 * identity provider, on the North Jutland pilot agreements.
 *
 * The reported case: Læsø's auditor listed Aalborg's agreements with their history and the
 * administrators' subjects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import { seedDemoAgreements } from '../../src/agreements/seed.js';
import { createMemoryDirectoryView } from '../../src/directory/memory-view.js';
import { NJ, expectProblem, seedNorthJutland } from '../helpers/agreements.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { insertOrganisations, organisation } from '../helpers/directory.js';
import { createTestIssuer, type TestIssuer } from '../helpers/issuers.js';

const LAESOE = '9520511000016001';
const LAESOE_PPR = '9520541000016004';
/** A national oversight body, outside the region (invented code in the fixtures' range). */
const OVERSIGHT = '9598011000016001';
const MISSING = '00000000-0000-4000-8000-000000000000';

type Role = 'agreement-admin' | 'auditor';
interface ListBody {
  items: { id: string; title: string }[];
  nextCursor: string | null;
}

describe.each(databaseKinds())('attack: reading agreements on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let laesoe: TestIssuer;
  let aalborg: TestIssuer;
  let region: TestIssuer;
  let gp: TestIssuer;
  let oversight: TestIssuer;
  let aalborgAgreement: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const orgs = await seedNorthJutland(database);
    const extra = [organisation(OVERSIGHT, null, { name: 'Tilsynet (test)', ownerType: 'state' })];
    await insertOrganisations(database.db, extra);
    expect(await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView([...orgs, ...extra]) })).toBe(23);
    laesoe = await createTestIssuer({ issuer: 'https://idp.laesoe.test', organisations: [LAESOE] });
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.test', organisations: [NJ.aalborg] });
    region = await createTestIssuer({ issuer: 'https://idp.rn.test', organisations: [NJ.region] });
    gp = await createTestIssuer({ issuer: 'https://idp.gp.test', organisations: [NJ.gpOwner] });
    oversight = await createTestIssuer({ issuer: 'https://sts.oversight.test', organisations: [OVERSIGHT] });
    broker = await startTestBroker({
      database,
      issuers: [laesoe, aalborg, region, gp, oversight],
      env: { BROKER_NATIONAL_OVERSIGHT_ORGS: OVERSIGHT },
    });
    const all = await list(region, NJ.region, 'q=Aalborg Kommune');
    aalborgAgreement = all.items.find((i) => i.title.startsWith('Almen praksis') && i.title.endsWith('Aalborg Kommune'))?.id ?? '';
    expect(aalborgAgreement).not.toBe('');
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  async function call(issuer: TestIssuer, org: string, method: string, path: string, body?: unknown, role: Role = 'auditor'): Promise<Response> {
    const token = await issuer.token({ organisationSor: org, role, subject: `${role}@${org}` });
    return broker.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function list(issuer: TestIssuer, org: string, query = ''): Promise<ListBody> {
    const response = await call(issuer, org, 'GET', `/v1/agreements?limit=200&${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as ListBody;
  }
  /** A problem body without what differs between any two requests. */
  async function problemShape(response: Response) {
    const body = (await response.json()) as Record<string, unknown>;
    const { instance: _instance, requestId: _requestId, ...rest } = body;
    return { status: response.status, body: rest };
  }

  it("lists only the agreements Læsø is party to or owns, in JSON and in the CSV export", async () => {
    const seen = await list(laesoe, LAESOE);
    expect(seen.items.map((i) => i.title).sort()).toEqual([
      'Almen praksis i Region Nordjylland og PPR og Børne- og Familieafdelingen, Læsø Kommune',
      'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Læsø Kommune',
    ]);
    // Filters narrow within what it may see, never widen it.
    expect((await list(laesoe, LAESOE, `party=${NJ.aalborgPpr}`)).items).toEqual([]);
    expect((await list(laesoe, LAESOE, 'q=Aalborg')).items).toEqual([]);
    // A unit of Læsø sees what covers it.
    expect((await list(laesoe, LAESOE_PPR)).items).toHaveLength(2);

    const csv = await call(laesoe, LAESOE, 'GET', '/v1/agreements?format=csv');
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 2);
    expect(lines.slice(1).every((l) => l.includes('Læsø Kommune'))).toBe(true);
  });

  it("answers Læsø's read, history and writes on Aalborg's agreement exactly as for one that does not exist", async () => {
    for (const suffix of ['', '/history']) {
      const unseen = await problemShape(await call(laesoe, LAESOE, 'GET', `/v1/agreements/${aalborgAgreement}${suffix}`));
      const missing = await problemShape(await call(laesoe, LAESOE, 'GET', `/v1/agreements/${MISSING}${suffix}`));
      expect(unseen.status).toBe(404);
      expect(unseen).toEqual(missing);
    }
    for (const [path, body] of [['approve', { version: 1 }], ['suspend', {}], ['revoke', { reason: 'probe' }]] as const) {
      const unseen = await problemShape(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${aalborgAgreement}/${path}`, body, 'agreement-admin'));
      const missing = await problemShape(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${MISSING}/${path}`, body, 'agreement-admin'));
      expect(unseen.status).toBe(404);
      expect(unseen).toEqual(missing);
    }
  });

  it("does not explain Aalborg's agreements to Læsø", async () => {
    const explain = async (issuer: TestIssuer, org: string, about: string) => {
      const response = await call(issuer, org, 'GET', `/v1/access/explain?organisation=${about}&role=caseworker`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { entries: { agreement: { id: string; title: string } }[] }).entries;
    };
    expect(await explain(laesoe, LAESOE, NJ.aalborgPpr)).toEqual([]);
    expect((await explain(laesoe, LAESOE, LAESOE_PPR)).map((e) => e.agreement.title).every((t) => t.endsWith('Læsø Kommune'))).toBe(true);
    expect(await explain(laesoe, LAESOE, LAESOE_PPR)).toHaveLength(2);
    expect(await explain(aalborg, NJ.aalborg, NJ.aalborgPpr)).toHaveLength(2);
  });

  it('shows each party its own: Aalborg, the region, a GP practice; a national oversight body sees all but may change nothing', async () => {
    expect((await list(aalborg, NJ.aalborg)).items.map((i) => i.title).every((t) => t.endsWith('Aalborg Kommune'))).toBe(true);
    expect((await list(aalborg, NJ.aalborg)).items).toHaveLength(2);
    const history = await call(aalborg, NJ.aalborg, 'GET', `/v1/agreements/${aalborgAgreement}/history`);
    expect(history.status).toBe(200);
    // The region approves for the GP area and owns the psychiatry: every pilot agreement.
    expect((await list(region, NJ.region)).items).toHaveLength(23);
    // A GP practice's owner: the agreements covering its practice (all GP practices in the region).
    expect((await list(gp, NJ.gpOwner)).items).toHaveLength(12);
    expect((await list(oversight, OVERSIGHT)).items).toHaveLength(23);
    expect((await call(oversight, OVERSIGHT, 'GET', `/v1/agreements/${aalborgAgreement}/history`)).status).toBe(200);
    const write = await call(oversight, OVERSIGHT, 'POST', `/v1/agreements/${aalborgAgreement}/suspend`, {}, 'agreement-admin');
    await expectProblem(write, 403, 'approval-not-allowed');
  });
});
