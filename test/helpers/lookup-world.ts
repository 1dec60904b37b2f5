/**
 * A whole lookup world for the adversarial tests: the North Jutland SOR extract and the pilot's
 * agreements in a test database, the source simulators on loopback speaking FHIR R4 and SOAP
 * (fed from fixtures/sources/children.json), a broker over real HTTP trusting three identity
 * providers (a GP-system STS, Aalborg's and Hjørring's), and helpers to look up and to audit.
 */
import { startSimulators, type Simulators } from '../../adapters/simulators/index.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { seedDemoAgreements } from '../../src/agreements/index.js';
import { loadOrganisations } from '../../src/directory/directory-cache.js';
import { createMemoryDirectoryView } from '../../src/directory/memory-view.js';
import { importSorSnapshot } from '../../src/directory/sor-import.js';
import { sourcesFileSchema } from '../../src/lookup/sources.js';
import { startTestBroker, type TestBroker } from './broker.js';
import { createTestDatabase, type DatabaseKind } from './database.js';
import { createTestIssuer, type TestIssuer } from './issuers.js';
import { createTestGatewayIssuer, gatewayEnv } from './medcom-orgs.js';
import { NORTH_JUTLAND_XML, sorInput } from './sor-files.js';

/** SOR codes of fixtures/sor/north-jutland.md. */
export const NJ = {
  gpKjaersgaardOwner: '9510011000016001',
  gpKjaersgaard: '9510031000016003',
  gpVestergaardOwner: '9510411000016001',
  gpVestergaard: '9510431000016003',
  gpMoelgaardOwner: '9510611000016001',
  gpMoelgaard: '9510631000016003',
  region: '9500011000016001',
  childPsychiatry: '9500031000016003',
  psychiatryTeamAalborg: '9500041000016004',
  aalborg: '9520011000016001',
  aalborgHealthVisitors: '9520031000016003',
  pprAalborg: '9520041000016004',
  familyAalborg: '9520051000016005',
  hjoerring: '9520311000016001',
  hjoerringHealthVisitors: '9520331000016003',
  pprHjoerring: '9520341000016004',
  familyHjoerring: '9520351000016005',
} as const;

export const CHILDREN = {
  noah: '0209144026', // Aalborg, GP Kjærsgaard; psychiatry treatment, PPR Aalborg case
  oliver: '0906164027', // Frederikshavn; nothing anywhere
  sofie: '1707154021', // Aalborg, GP Kjærsgaard, name and address protection; a GP course only
  mikkel: '0503134011', // Aalborg, no registered GP; GP courses at Kjærsgaard and Vestergaard, one without a unit
} as const;

export interface LookupWorld {
  readonly database: DatabaseHandle;
  readonly broker: TestBroker;
  readonly simulators: Simulators;
  /** Trusted for the GP practices and the region (a national STS would be similar). */
  readonly gpSts: TestIssuer;
  /** The VANS gateway's own issuer, configured as the one gateway identity. */
  readonly gateway: TestIssuer;
  readonly aalborgIdp: TestIssuer;
  readonly hjoerringIdp: TestIssuer;
  close(): Promise<void>;
}

export async function startLookupWorld(kind: DatabaseKind, options: { env?: Record<string, string>; extraIssuers?: readonly TestIssuer[] } = {}): Promise<LookupWorld> {
  const database = await createTestDatabase(kind);
  await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
  await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView(await loadOrganisations(database.db)) });
  const simulators = await startSimulators();
  const gpSts = await createTestIssuer({ issuer: 'https://sts.gp-systems.example', organisations: [NJ.gpKjaersgaardOwner, NJ.gpVestergaardOwner, NJ.gpMoelgaardOwner, NJ.region] });
  const aalborgIdp = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [NJ.aalborg], alg: 'RS256' });
  const hjoerringIdp = await createTestIssuer({ issuer: 'https://idp.hjoerring.example', organisations: [NJ.hjoerring] });
  const gateway = await createTestGatewayIssuer('https://vans-gateway.example', [NJ.region]);
  const caseIndex = (id: string, kindOf: 'ppr' | 'family', ownerSor: string, municipality: string) => ({
    id, kind: kindOf, protocol: 'case-index', endpoint: simulators.caseIndexUrl, ownerSor, serves: { municipalities: [municipality] }, kle: kindOf === 'ppr' ? ['17.*'] : ['27.24'], timeoutMs: 1500,
  });
  const sources = sourcesFileSchema.parse({
    personRegister: { endpoint: simulators.personRegisterUrl, timeoutMs: 1500 },
    sources: [
      // One GP-system vendor endpoint serving many practices, as in production.
      { id: 'gp-system', kind: 'gp', protocol: 'fhir', endpoint: simulators.gpUrl, ownerSor: NJ.gpKjaersgaardOwner, serves: { practices: [NJ.gpKjaersgaardOwner, NJ.gpVestergaardOwner, NJ.gpMoelgaardOwner] }, timeoutMs: 1500 },
      { id: 'rn-child-psychiatry', kind: 'child-psychiatry', protocol: 'fhir', endpoint: simulators.psychiatryUrl, ownerSor: NJ.childPsychiatry, serves: { municipalities: ['851', '860', '813'] }, timeoutMs: 1500 },
      caseIndex('ppr-851', 'ppr', NJ.pprAalborg, '851'),
      caseIndex('family-851', 'family', NJ.familyAalborg, '851'),
      caseIndex('ppr-860', 'ppr', NJ.pprHjoerring, '860'),
      caseIndex('family-860', 'family', NJ.familyHjoerring, '860'),
    ],
  });
  const broker = await startTestBroker({ database, issuers: [gpSts, aalborgIdp, hjoerringIdp, gateway, ...(options.extraIssuers ?? [])], sources, env: { ...gatewayEnv(gateway), ...options.env } });
  return {
    database,
    broker,
    simulators,
    gpSts,
    gateway,
    aalborgIdp,
    hjoerringIdp,
    async close() {
      await broker.close();
      await simulators.close();
      await database.close();
    },
  };
}

export interface As {
  readonly issuer: TestIssuer;
  readonly org: string;
  readonly role?: 'clinician' | 'caseworker' | 'auditor';
  readonly subject?: string;
  readonly name?: string;
  readonly purpose?: string;
}

async function post(world: LookupWorld, path: string, as: As, body: unknown): Promise<Response> {
  const token = await as.issuer.token({
    organisationSor: as.org,
    role: as.role ?? 'clinician',
    purposeOfUse: as.purpose ?? 'child-welfare-concern',
    ...(as.subject ? { subject: as.subject } : {}),
    ...(as.name ? { displayName: as.name } : {}),
  });
  return world.broker.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

export interface LookupAnswer {
  lookupId: string;
  personRegister: { status: string; addressProtected?: boolean };
  sources: Array<{ sourceId?: string; kind: string; organisation?: { sor: string; name: string | null }; status: string; reason?: string; deniedBecause?: string[]; cases?: Array<Record<string, unknown>> }>;
  unservedOrganisations: string[];
}

export async function lookUp(world: LookupWorld, as: As, body: { cpr: string; organisations?: string[]; kinds?: string[]; reason?: string }): Promise<LookupAnswer> {
  const response = await post(world, '/v1/lookups', as, { purposeOfUse: as.purpose ?? 'child-welfare-concern', reason: 'Bekymringshenvendelse fra skolen', ...body });
  if (response.status !== 200) throw new Error(`lookup answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as LookupAnswer;
}

export interface AuditPage {
  items: Array<{
    id: string;
    seq: string;
    kind: string;
    outcome: string;
    occurredAt: string;
    actor: { issuer: string | null; subject: string | null; name: string | null; role: string | null; organisation: string | null };
    purpose: string | null;
    reason: string | null;
    patientCpr: string | null;
    details: Record<string, unknown>;
  }>;
  nextCursor: string | null;
}

export async function searchAudit(world: LookupWorld, as: As, body: Record<string, unknown>): Promise<AuditPage> {
  const response = await post(world, '/v1/audit/search', { ...as, role: 'auditor', purpose: as.purpose ?? 'quality-assurance' }, { reason: 'Stikprøvekontrol af opslag', ...body });
  if (response.status !== 200) throw new Error(`audit search answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as AuditPage;
}
