/**
 * Demo mode's sources: simulated GP, child psychiatry and municipal systems started in-process
 * on loopback, speaking the same FHIR and SOAP protocols as the real ones, fed from
 * fixtures/sources. Psychiatry is slow and the municipal case index is sometimes down, so a
 * newcomer sees every status.
 */
import type { Kysely } from 'kysely';
import { type Simulators, startSimulators } from '../../adapters/simulators/index.js';
import type { Database } from '../../db/schema/index.js';
import { DEMO_CHILD_PSYCHIATRY_SOR, DEMO_REGION, ORGANISATIONS } from '../../adapters/simulators/organisations.js';
import { sourcesFileSchema, type SourcesConfig } from '../lookup/sources.js';

const NORTH_JUTLAND_MUNICIPALITIES = ['773', '787', '810', '813', '820', '825', '840', '846', '849', '851', '860'];

export async function startDemoSources(db: Kysely<Database>): Promise<{ config: SourcesConfig; simulators: Simulators }> {
  const simulators = await startSimulators({
    psychiatry: { latencyMs: 900 },
    caseIndex: { failure: 'flaky', flakyProbability: 0.25 },
    gp: { latencyMs: 40 },
    personRegister: { latencyMs: 20 },
  });
  // The GP-system vendor's endpoint serves every private GP practice owner in the extract.
  const gpOwners = await db.selectFrom('organisation').select('sor').where('level', '=', 'institution-owner').where('owner_type', '=', 'private').execute();
  const municipal = ORGANISATIONS.filter((o) => (o.kind === 'ppr' || o.kind === 'family-department') && o.sor && o.municipalityCode);
  // Through the schema, so that the demo gets the same defaults as a configured file.
  const config: SourcesConfig = sourcesFileSchema.parse({
    personRegister: { endpoint: simulators.personRegisterUrl, auth: { type: 'none' }, timeoutMs: 1000 },
    sources: [
      {
        id: 'gp-system-demo', kind: 'gp', protocol: 'fhir', endpoint: simulators.gpUrl, ownerSor: gpOwners[0]?.sor ?? DEMO_REGION.sor,
        serves: { practices: gpOwners.map((o) => o.sor), municipalities: [], regions: [] },
        auth: { type: 'none' }, timeoutMs: 1500, kle: [], closedCaseMonths: 12,
      },
      {
        id: 'rn-child-psychiatry', kind: 'child-psychiatry', protocol: 'fhir', endpoint: simulators.psychiatryUrl, ownerSor: DEMO_CHILD_PSYCHIATRY_SOR,
        serves: { practices: [], municipalities: NORTH_JUTLAND_MUNICIPALITIES, regions: [DEMO_REGION.regionCode] },
        auth: { type: 'none' }, timeoutMs: 2500, kle: [], closedCaseMonths: 12,
      },
      ...municipal.map((o) => ({
        id: `${o.kind === 'ppr' ? 'ppr' : 'family'}-${o.municipalityCode}`,
        kind: o.kind === 'ppr' ? ('ppr' as const) : ('family' as const),
        protocol: 'case-index' as const,
        endpoint: simulators.caseIndexUrl,
        ownerSor: o.sor as string,
        serves: { practices: [], municipalities: [o.municipalityCode as string], regions: [] },
        auth: { type: 'none' as const },
        timeoutMs: 1500,
        kle: o.kind === 'ppr' ? ['17.*'] : ['27.24'],
        ...(o.municipalityCvr ? { municipalityCvr: o.municipalityCvr } : {}),
        closedCaseMonths: 12,
      })),
    ],
  });
  return { config, simulators };
}
