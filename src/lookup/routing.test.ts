import { describe, expect, it } from 'vitest';
import { type PersonFacts, planConsultations } from './routing.js';
import { sourceConfigSchema, type SourceConfig } from './sources.js';

// A tiny tree: a GP owner with two practices; a municipality with PPR and family units.
const parents = new Map([
  ['100000000000011', '100000000000010'],
  ['100000000000012', '100000000000010'],
  ['100000000000021', '100000000000020'],
  ['100000000000022', '100000000000020'],
  ['100000000000031', '100000000000030'],
]);
const directory = {
  isWithin(sor: string, root: string) {
    for (let s: string | undefined = sor; s; s = parents.get(s)) if (s === root) return true;
    return false;
  },
};
const source = (c: Partial<SourceConfig> & Pick<SourceConfig, 'id' | 'kind' | 'ownerSor'>): SourceConfig =>
  sourceConfigSchema.parse({ protocol: c.kind === 'gp' || c.kind === 'child-psychiatry' ? 'fhir' : 'case-index', endpoint: 'http://x.test', ...c });
const sources = [
  source({ id: 'gp', kind: 'gp', ownerSor: '100000000000010', serves: { practices: ['100000000000010'], municipalities: [], regions: [] } }),
  source({ id: 'bup', kind: 'child-psychiatry', ownerSor: '100000000000030', serves: { practices: [], municipalities: [], regions: ['1081'] } }),
  source({ id: 'ppr', kind: 'ppr', ownerSor: '100000000000021', serves: { practices: [], municipalities: ['851'], regions: [] } }),
  source({ id: 'family', kind: 'family', ownerSor: '100000000000022', serves: { practices: [], municipalities: ['851'], regions: [] } }),
  source({ id: 'ppr-860', kind: 'ppr', ownerSor: '100000000000041', serves: { practices: [], municipalities: ['860'], regions: [] } }),
];
const person: PersonFacts = { gpPracticeSor: '100000000000012', municipalityCode: '851', regionCode: '1081' };
const plan = (p: PersonFacts | null, named: string[] = [], kinds: SourceConfig['kind'][] | null = null) =>
  planConsultations({ person: p, namedOrganisations: named, kinds, sources, directory }).consultations.map((c) => `${c.sourceId}>${c.targetSor}:${c.via}`);

describe('planConsultations', () => {
  it("asks the child's GP system for the child's own practice, the municipality's PPR and family, and the region's psychiatry", () => {
    expect(plan(person)).toEqual(['gp>100000000000012:person-register', 'bup>100000000000030:person-register', 'ppr>100000000000021:person-register', 'family>100000000000022:person-register']);
  });
  it('asks nobody else: no broadcast to other municipalities', () => {
    expect(plan(person)).not.toContain(expect.stringContaining('ppr-860'));
  });
  it('adds organisations the caller names, without duplicates', () => {
    expect(plan(person, ['100000000000020', '100000000000031'])).toHaveLength(4);
    expect(plan(null, ['100000000000020'])).toEqual(['ppr>100000000000021:named', 'family>100000000000022:named']);
    expect(plan(null, ['100000000000011'])).toEqual(['gp>100000000000011:named']);
    expect(plan(null, ['100000000000031'])).toEqual(['bup>100000000000030:named']);
  });
  it('marks a source found through the register as named when the caller names its organisation too', () => {
    const result = planConsultations({ person, namedOrganisations: ['100000000000021'], kinds: null, sources, directory });
    expect(result.consultations.filter((c) => c.sourceId === 'ppr')).toEqual([{ sourceId: 'ppr', kind: 'ppr', targetSor: '100000000000021', via: 'named', namedSor: '100000000000021' }]);
  });
  it('reports named organisations that no source serves', () => {
    const result = planConsultations({ person, namedOrganisations: ['100000000000020', '199999999999999'], kinds: null, sources, directory });
    expect(result.unservedOrganisations).toEqual(['199999999999999']);
  });
  it('limits to the kinds asked for', () => {
    expect(plan(person, [], ['ppr'])).toEqual(['ppr>100000000000021:person-register']);
  });
  it('asks nothing when the register knows nothing and nothing is named', () => {
    expect(plan({ gpPracticeSor: null, municipalityCode: null, regionCode: null })).toEqual([]);
    expect(plan(null)).toEqual([]);
  });
});
