/**
 * The lookup world (North Jutland SOR, the pilot's agreements, the source simulators with the
 * demo parents' custody) with a citizen identity provider trusted besides the staff ones.
 */
import { startSimulators, type Simulators } from '../../adapters/simulators/index.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { seedDemoAgreements } from '../../src/agreements/index.js';
import { loadOrganisations } from '../../src/directory/directory-cache.js';
import { createMemoryDirectoryView } from '../../src/directory/memory-view.js';
import { importSorSnapshot } from '../../src/directory/sor-import.js';
import { sourcesFileSchema } from '../../src/lookup/sources.js';
import { startTestBroker, type TestBroker } from './broker.js';
import { createTestCitizenIssuer, type TestCitizenIssuer } from './citizen.js';
import { createTestDatabase, type DatabaseKind } from './database.js';
import { createTestIssuer, type TestIssuer } from './issuers.js';
import { NJ } from './lookup-world.js';
import { NORTH_JUTLAND_XML, sorInput } from './sor-files.js';

export const PEOPLE = {
  noah: '0209144026', // 12, Aalborg
  louise: '1108854012', // Noah's mother, custody
  martin: '2304824015', // Noah's father, no custody
  freja: '2811104038', // 16, Hjørring: sees her own log
  camilla: '0512794011', // Freja's mother, custody
} as const;

export interface CitizenWorld {
  readonly database: DatabaseHandle;
  readonly broker: TestBroker;
  readonly simulators: Simulators;
  readonly gpSts: TestIssuer;
  readonly aalborgIdp: TestIssuer;
  readonly hjoerringIdp: TestIssuer;
  readonly mitid: TestCitizenIssuer;
  close(): Promise<void>;
}

export async function startCitizenWorld(kind: DatabaseKind, env: Record<string, string> = {}): Promise<CitizenWorld> {
  const database = await createTestDatabase(kind);
  await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
  await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView(await loadOrganisations(database.db)) });
  const simulators = await startSimulators();
  const gpSts = await createTestIssuer({ issuer: 'https://sts.gp-systems.example', organisations: [NJ.gpKjaersgaardOwner, NJ.gpVestergaardOwner, NJ.region] });
  const aalborgIdp = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [NJ.aalborg], roles: ['clinician', 'caseworker', 'agreement-admin', 'auditor'] });
  const hjoerringIdp = await createTestIssuer({ issuer: 'https://idp.hjoerring.example', organisations: [NJ.hjoerring] });
  const mitid = await createTestCitizenIssuer();
  const caseIndex = (id: string, kindOf: 'ppr' | 'family', ownerSor: string, municipality: string) => ({
    id, kind: kindOf, protocol: 'case-index', endpoint: simulators.caseIndexUrl, ownerSor, serves: { municipalities: [municipality] }, kle: kindOf === 'ppr' ? ['17.*'] : ['27.24'], timeoutMs: 1500,
  });
  const sources = sourcesFileSchema.parse({
    personRegister: { endpoint: simulators.personRegisterUrl, timeoutMs: 1500 },
    sources: [
      { id: 'gp-system', kind: 'gp', protocol: 'fhir', endpoint: simulators.gpUrl, ownerSor: NJ.gpKjaersgaardOwner, serves: { practices: [NJ.gpKjaersgaardOwner, NJ.gpVestergaardOwner] }, timeoutMs: 1500 },
      caseIndex('ppr-851', 'ppr', NJ.pprAalborg, '851'),
      caseIndex('family-851', 'family', NJ.familyAalborg, '851'),
      caseIndex('family-860', 'family', NJ.familyHjoerring, '860'),
    ],
  });
  const broker = await startTestBroker({ database, issuers: [gpSts, aalborgIdp, hjoerringIdp, mitid], sources, env });
  return {
    database, broker, simulators, gpSts, aalborgIdp, hjoerringIdp, mitid,
    async close() {
      await broker.close();
      await simulators.close();
      await database.close();
    },
  };
}

export interface Staff {
  readonly issuer: TestIssuer;
  readonly org: string;
  readonly role: 'clinician' | 'caseworker' | 'auditor' | 'agreement-admin';
  readonly name?: string;
}

export async function staffRequest(world: CitizenWorld, as: Staff, method: string, path: string, body?: unknown): Promise<Response> {
  const token = await as.issuer.token({ organisationSor: as.org, role: as.role, purposeOfUse: 'child-welfare-concern', ...(as.name ? { displayName: as.name } : {}) });
  return world.broker.request(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function lookUpAs(world: CitizenWorld, as: Staff, cpr: string, reason = 'Bekymringshenvendelse fra skolen'): Promise<string> {
  const res = await staffRequest(world, as, 'POST', '/v1/lookups', { cpr, purposeOfUse: 'child-welfare-concern', reason });
  if (res.status !== 200) throw new Error(`lookup answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { lookupId: string }).lookupId;
}

export interface CitizenLog {
  scope: 'self' | 'custody';
  from: string;
  items: Array<{ id: string; occurredAt: string; kind: string; outcome: string; organisation: { sor: string; name: string | null; authority: string | null } | null; role: string | null; purpose: string | null; reason: string | null; staffName: string | null; staffNameProtected: boolean; emergencyOverride: boolean }>;
  nextCursor: string | null;
}

export async function citizenLog(world: CitizenWorld, callerCpr: string, body: Record<string, unknown>, assurance: 'low' | 'substantial' | 'high' = 'substantial'): Promise<Response> {
  const token = await world.mitid.citizenToken({ cpr: callerCpr, assurance });
  return world.broker.request('/v1/citizen/access-log', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}
