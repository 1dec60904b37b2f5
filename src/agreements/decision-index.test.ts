import { describe, it, expect } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import type { Organisation } from '../directory/model.js';
import { buildDecisionIndex, SIDE_A, SIDE_B, type DecisionIndex } from './decision-index.js';
import { decide } from './decision.js';
import type { Agreement, PartySelector } from './model.js';

const REGION = '1000000000001';
const BUP = '1000000000003';
const GP = '1000000000010';
const FAMILY = '1000000000021';

const org = organisation;

const directory = createMemoryDirectoryView([
  org(REGION, null, { regionCode: '1081' }),
  org(BUP, REGION, { unitType: 'child-psychiatry' }),
  org(GP, null, { unitType: 'general-practice', regionCode: '1081', municipalityCode: '851' }),
  org(FAMILY, null, { unitType: 'children-family', municipalityCode: '851' }),
]);

function agreement(id: string, a: PartySelector[], b: PartySelector[], extra: Partial<Agreement> = {}): Agreement {
  return {
    id,
    version: 1,
    status: 'active',
    approvals: [],
    amends: null,
    title: id,
    sideA: { parties: a, approvingOrganisationSor: REGION },
    sideB: { parties: b, approvingOrganisationSor: FAMILY },
    dataElements: ['case-existence'],
    direction: 'a-to-b',
    purposes: ['coordinated-care'],
    roles: ['clinician'],
    minimumAssurance: 'low',
    legalBasis: { code: 'sundhedsloven-43', reference: '' },
    period: { validFrom: '2026-01-01', validTo: null },
    ...extra,
  };
}

const gpsInRegion: PartySelector = { kind: 'unit-type', unitType: 'general-practice', area: { kind: 'region', regionCode: '1081' } };

function matched(index: DecisionIndex, sor: string): [string, number][] {
  const m = index.matchesOf(sor);
  return [...m.slots].map((slot, i) => [index.agreementAt(slot)?.agreement.id ?? '?', m.sides[i] ?? 0]);
}

const AT = new Date('2026-11-23T12:00:00Z');
/** The index the `ask` helper decides against; each test builds its own. */
let currentIndex: DecisionIndex;
const ask = (from: string, to: string) =>
  decide(currentIndex, {
    caller: { organisationSor: from, role: 'clinician', assurance: 'low', purpose: 'coordinated-care' },
    action: 'case-existence',
    targetSor: to,
    at: AT,
  });

describe('buildDecisionIndex', () => {
  it('finds the agreements and sides an organisation falls under by unit, subtree and unit type', () => {
    const index = buildDecisionIndex(
      [
        agreement('by-subtree', [{ kind: 'subtree', sor: REGION }], [{ kind: 'unit', sor: FAMILY }]),
        agreement('by-type', [gpsInRegion], [{ kind: 'unit', sor: FAMILY }]),
        agreement('both-sides', [{ kind: 'unit', sor: BUP }], [{ kind: 'subtree', sor: REGION }]),
      ],
      directory,
    );
    expect(matched(index, BUP)).toEqual([
      ['by-subtree', SIDE_A],
      ['both-sides', SIDE_A | SIDE_B],
    ]);
    expect(matched(index, GP)).toEqual([['by-type', SIDE_A]]);
    expect(matched(index, FAMILY)).toEqual([
      ['by-subtree', SIDE_B],
      ['by-type', SIDE_B],
    ]);
    expect(matched(index, '1999999999999')).toEqual([]);
  });

  it('leaves out drafts and superseded versions', () => {
    const index = buildDecisionIndex(
      [
        agreement('d', [{ kind: 'unit', sor: GP }], [{ kind: 'unit', sor: FAMILY }], { status: 'draft' }),
        agreement('s', [{ kind: 'unit', sor: GP }], [{ kind: 'unit', sor: FAMILY }], { status: 'superseded' }),
        agreement('x', [{ kind: 'unit', sor: GP }], [{ kind: 'unit', sor: FAMILY }], { status: 'expired' }),
      ],
      directory,
    );
    expect(index.size).toBe(1);
    expect(matched(index, GP)).toEqual([['x', SIDE_A]]);
  });

  it('replaces one agreement incrementally, dropping the parties it no longer names', () => {
    currentIndex = buildDecisionIndex([agreement('ag', [{ kind: 'unit', sor: GP }], [{ kind: 'unit', sor: FAMILY }])], directory);
    expect(ask(GP, FAMILY).effect).toBe('permit');
    currentIndex.replace('ag', [agreement('ag', [{ kind: 'unit', sor: BUP }], [{ kind: 'unit', sor: FAMILY }], { version: 2 })]);
    expect(ask(GP, FAMILY)).toMatchObject({ effect: 'deny', reasons: ['no-agreement'] });
    expect(ask(BUP, FAMILY)).toMatchObject({ effect: 'permit', agreements: [{ id: 'ag', version: 2 }] });
    expect(currentIndex.size).toBe(1);
  });

  it('removes an agreement', () => {
    currentIndex = buildDecisionIndex(
      [
        agreement('keep', [gpsInRegion], [{ kind: 'unit', sor: FAMILY }]),
        agreement('gone', [{ kind: 'unit', sor: GP }], [{ kind: 'unit', sor: FAMILY }]),
      ],
      directory,
    );
    currentIndex.remove('gone');
    expect(ask(GP, FAMILY)).toMatchObject({ effect: 'permit', agreements: [{ id: 'keep', version: 1 }] });
    expect(currentIndex.size).toBe(1);
  });

  it('decides the same with a tiny memo as with a large one', () => {
    const list = [agreement('ag', [gpsInRegion], [{ kind: 'subtree', sor: REGION }], { direction: 'mutual' })];
    currentIndex = buildDecisionIndex(list, directory, { memoLimit: 1 });
    const small = [ask(GP, BUP), ask(BUP, GP), ask(FAMILY, GP)];
    currentIndex = buildDecisionIndex(list, directory);
    expect([ask(GP, BUP), ask(BUP, GP), ask(FAMILY, GP)]).toEqual(small);
    expect(small.map((d) => d.effect)).toEqual(['permit', 'permit', 'deny']);
  });

  it('refuses a version of another agreement in replace, and an unparseable period', () => {
    const index = buildDecisionIndex([], directory);
    expect(() => index.replace('a', [agreement('b', [], [])])).toThrow(/agreement b/);
    expect(() =>
      buildDecisionIndex([agreement('bad', [], [], { period: { validFrom: 'tomorrow', validTo: null } })], directory),
    ).toThrow(/validFrom/);
  });

  it('lets a unit type cover the units below the typed entity, as a GP clinic below its practice', () => {
    // In SOR the GP practice is the typed health institution; its clinic unit has no type.
    const PRACTICE = '1000000000030';
    const CLINIC = '1000000000031';
    const OTHER_REGION_PRACTICE = '1000000000040';
    const OTHER_REGION_CLINIC = '1000000000041';
    const dir = createMemoryDirectoryView([
      org(REGION, null, { regionCode: '1081' }),
      org(BUP, REGION, { unitType: 'child-psychiatry' }),
      org(PRACTICE, null, { level: 'health-institution', unitType: 'general-practice', regionCode: '1081' }),
      org(CLINIC, PRACTICE),
      org(OTHER_REGION_PRACTICE, null, { level: 'health-institution', unitType: 'general-practice', regionCode: '1084' }),
      org(OTHER_REGION_CLINIC, OTHER_REGION_PRACTICE),
    ]);
    currentIndex = buildDecisionIndex([agreement('gp-bup', [gpsInRegion], [{ kind: 'subtree', sor: BUP }])], dir);
    expect(matched(currentIndex, CLINIC)).toEqual([['gp-bup', SIDE_A]]);
    expect(ask(CLINIC, BUP)).toMatchObject({ effect: 'permit' });
    expect(matched(currentIndex, OTHER_REGION_CLINIC)).toEqual([]);
    expect(ask(OTHER_REGION_CLINIC, BUP)).toMatchObject({ effect: 'deny', reasons: ['no-agreement'] });
  });

  it('never lets a local unit count for a health-sector unit type, its own or inherited; municipal types still count', () => {
    const MUNICIPALITY = '1000000000050';
    const LOCAL_GP = '990000000000000001';
    const BELOW_LOCAL_GP = '990000000000000002';
    const LOCAL_PPR = '990000000000000003';
    const PPR = '556841000005105';
    const dir = createMemoryDirectoryView([
      org(REGION, null, { regionCode: '1081' }),
      org(BUP, REGION, { unitType: 'child-psychiatry' }),
      org(MUNICIPALITY, null, { ownerType: 'municipality', regionCode: '1081', municipalityCode: '825' }),
      org(LOCAL_GP, MUNICIPALITY, { unitType: 'general-practice', local: true }),
      org(BELOW_LOCAL_GP, LOCAL_GP, { local: true }),
      org(LOCAL_PPR, MUNICIPALITY, { unitType: PPR, local: true }),
    ]);
    const pprInMunicipality: PartySelector = { kind: 'unit-type', unitType: PPR, area: { kind: 'municipality', municipalityCode: '825' } };
    currentIndex = buildDecisionIndex(
      [agreement('gp-bup', [gpsInRegion], [{ kind: 'subtree', sor: BUP }]), agreement('ppr-bup', [pprInMunicipality], [{ kind: 'subtree', sor: BUP }])],
      dir,
    );
    expect(matched(currentIndex, LOCAL_GP)).toEqual([]);
    expect(matched(currentIndex, BELOW_LOCAL_GP)).toEqual([]);
    expect(ask(LOCAL_GP, BUP)).toMatchObject({ effect: 'deny', reasons: ['no-agreement'] });
    expect(matched(currentIndex, LOCAL_PPR)).toEqual([['ppr-bup', SIDE_A]]);
  });
});
