import { describe, it, expect } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import type { Organisation } from '../directory/model.js';
import { buildDecisionIndex } from './decision-index.js';
import type { AccessSubject } from '../identity/access-subject.js';
import { decide, explain, type DecisionRequest, type ReasonCode } from './decision.js';
import type { Agreement, AgreementTerms, DataElement, PartySelector } from './model.js';

// --- A small North Jutland directory -------------------------------------------------------
const REGION = '1000000000001'; // Region Nordjylland (institution owner)
const HOSPITAL = '1000000000002'; // Aalborg University Hospital
const BUP = '1000000000003'; // child and adolescent psychiatry
const BUP_TEAM = '1000000000004'; // a BUP outpatient team
const GP_AALBORG = '1000000000010'; // GP practice in Aalborg (851)
const GP_FREDERIKSHAVN = '1000000000011'; // GP practice in Frederikshavn (813), region 1081
const GP_COPENHAGEN = '1000000000012'; // GP practice in Region Hovedstaden
const AALBORG = '1000000000020'; // Aalborg Kommune (institution owner, 851)
const FAMILY_AALBORG = '1000000000021';
const PPR_AALBORG = '1000000000022'; // no own municipality code: inherits 851
const FREDERIKSHAVN = '1000000000030';
const FAMILY_FREDERIKSHAVN = '1000000000031';
const CLOSED_GP = '1000000000040';
const UNKNOWN = '1999999999999';

const org = organisation;

const ORGS: Organisation[] = [
  org(REGION, null, { regionCode: '1081', ownerType: 'region' }),
  org(HOSPITAL, REGION, { level: 'health-institution', unitType: 'hospital' }),
  org(BUP, HOSPITAL, { unitType: 'child-psychiatry' }),
  org(BUP_TEAM, BUP, { unitType: 'child-psychiatry' }),
  org(GP_AALBORG, null, { unitType: 'general-practice', regionCode: '1081', municipalityCode: '851' }),
  org(GP_FREDERIKSHAVN, null, { unitType: 'general-practice', regionCode: '1081', municipalityCode: '813' }),
  org(GP_COPENHAGEN, null, { unitType: 'general-practice', regionCode: '1084', municipalityCode: '101' }),
  org(AALBORG, null, { municipalityCode: '851', ownerType: 'municipality' }),
  org(FAMILY_AALBORG, AALBORG, { unitType: 'children-family' }),
  org(PPR_AALBORG, AALBORG, { unitType: 'ppr' }),
  org(FREDERIKSHAVN, null, { municipalityCode: '813', ownerType: 'municipality' }),
  org(FAMILY_FREDERIKSHAVN, FREDERIKSHAVN, { unitType: 'children-family' }),
  org(CLOSED_GP, null, { unitType: 'general-practice', regionCode: '1081', validTo: '2025-01-01' }),
];

const unit = (sor: string): PartySelector => ({ kind: 'unit', sor });
const subtree = (sor: string): PartySelector => ({ kind: 'subtree', sor });
const inRegion = (unitType: string, regionCode: string): PartySelector => ({
  kind: 'unit-type',
  unitType,
  area: { kind: 'region', regionCode },
});
const inMunicipality = (unitType: string, municipalityCode: string): PartySelector => ({
  kind: 'unit-type',
  unitType,
  area: { kind: 'municipality', municipalityCode },
});

function agreement(
  id: string,
  a: PartySelector[],
  b: PartySelector[],
  terms: Partial<AgreementTerms> & Partial<Pick<Agreement, 'status' | 'version' | 'amends'>> = {},
): Agreement {
  return {
    id,
    version: 1,
    status: 'active',
    approvals: [],
    amends: null,
    title: `Agreement ${id}`,
    sideA: { parties: a, approvingOrganisationSor: REGION },
    sideB: { parties: b, approvingOrganisationSor: AALBORG },
    dataElements: ['case-existence'],
    direction: 'a-to-b',
    purposes: ['child-welfare-concern'],
    roles: ['clinician'],
    minimumAssurance: 'substantial',
    legalBasis: { code: 'barnets-lov-early-preventive-exchange', reference: 'test' },
    period: { validFrom: '2026-01-01', validTo: null },
    ...terms,
  };
}

const AGREEMENTS: Agreement[] = [
  agreement('ag-unit', [unit(GP_AALBORG)], [unit(FAMILY_AALBORG)], {
    dataElements: ['case-existence', 'contact-details'],
  }),
  agreement('ag-overlap', [inMunicipality('general-practice', '851')], [subtree(AALBORG)], {
    dataElements: ['case-existence', 'correspondence'],
  }),
  agreement('ag-subtree', [subtree(REGION)], [subtree(AALBORG)], {
    direction: 'mutual',
    dataElements: ['correspondence'],
    purposes: ['coordinated-care', 'referral'],
    roles: ['clinician', 'caseworker'],
  }),
  agreement('ag-type-region', [inRegion('general-practice', '1081')], [inMunicipality('ppr', '851')], {
    purposes: ['coordinated-care'],
    minimumAssurance: 'low',
  }),
  agreement('ag-expired', [unit(GP_FREDERIKSHAVN)], [unit(FAMILY_FREDERIKSHAVN)], {
    period: { validFrom: '2025-01-01', validTo: '2026-06-01' },
  }),
  agreement('ag-suspended', [unit(BUP_TEAM)], [unit(FAMILY_FREDERIKSHAVN)], { status: 'suspended' }),
  agreement('ag-future', [unit(GP_COPENHAGEN)], [unit(FAMILY_FREDERIKSHAVN)], {
    period: { validFrom: '2027-01-01', validTo: null },
  }),
  agreement('ag-draft', [unit(GP_COPENHAGEN)], [unit(FAMILY_AALBORG)], { status: 'draft' }),
];

const AT = new Date('2026-11-23T12:00:00Z');
const directory = createMemoryDirectoryView(ORGS);
const index = buildDecisionIndex(AGREEMENTS, directory);

const clinician = (organisationSor: string, extra: Partial<AccessSubject> = {}): AccessSubject => ({
  organisationSor,
  role: 'clinician',
  assurance: 'substantial',
  purpose: 'child-welfare-concern',
  ...extra,
});
const caseworker = (organisationSor: string, extra: Partial<AccessSubject> = {}): AccessSubject =>
  clinician(organisationSor, { role: 'caseworker', ...extra });

interface PermitCase {
  name: string;
  caller: AccessSubject;
  action: DataElement | DataElement[];
  target: string;
  agreements: string[];
  dataElements: DataElement[];
}

const permits: PermitCase[] = [
  { name: 'unit to unit', caller: clinician(GP_AALBORG), action: 'contact-details', target: FAMILY_AALBORG, agreements: ['ag-unit@1'], dataElements: ['contact-details'] },
  { name: 'subtree to subtree', caller: clinician(BUP_TEAM, { purpose: 'referral' }), action: 'correspondence', target: PPR_AALBORG, agreements: ['ag-subtree@1'], dataElements: ['correspondence'] },
  { name: 'unit type in region to unit type in (inherited) municipality', caller: clinician(GP_FREDERIKSHAVN, { purpose: 'coordinated-care', assurance: 'low' }), action: 'case-existence', target: PPR_AALBORG, agreements: ['ag-type-region@1'], dataElements: ['case-existence'] },
  { name: 'unit type in municipality to subtree', caller: clinician(GP_AALBORG), action: 'correspondence', target: PPR_AALBORG, agreements: ['ag-overlap@1'], dataElements: ['correspondence'] },
  { name: 'mutual agreement, side B acting', caller: caseworker(FAMILY_AALBORG, { purpose: 'coordinated-care' }), action: 'correspondence', target: BUP, agreements: ['ag-subtree@1'], dataElements: ['correspondence'] },
  { name: 'overlapping agreements are both named', caller: clinician(GP_AALBORG), action: 'case-existence', target: FAMILY_AALBORG, agreements: ['ag-overlap@1', 'ag-unit@1'], dataElements: ['case-existence'] },
  { name: 'data elements are the union of the permitting agreements', caller: clinician(GP_AALBORG), action: ['case-existence', 'contact-details', 'correspondence'], target: FAMILY_AALBORG, agreements: ['ag-overlap@1', 'ag-unit@1'], dataElements: ['case-existence', 'contact-details', 'correspondence'] },
  { name: 'a set of elements is granted in part', caller: clinician(GP_FREDERIKSHAVN, { purpose: 'coordinated-care' }), action: ['case-existence', 'contact-details'], target: PPR_AALBORG, agreements: ['ag-type-region@1'], dataElements: ['case-existence'] },
  { name: 'higher assurance than required', caller: clinician(GP_AALBORG, { assurance: 'high' }), action: 'contact-details', target: FAMILY_AALBORG, agreements: ['ag-unit@1'], dataElements: ['contact-details'] },
];

interface DenyCase {
  name: string;
  caller: AccessSubject;
  action: DataElement | DataElement[];
  target: string;
  reasons: ReasonCode[];
  nearest?: string;
  at?: Date;
}

const denials: DenyCase[] = [
  { name: 'no agreement between the parties', caller: clinician(GP_COPENHAGEN), action: 'case-existence', target: PPR_AALBORG, reasons: ['no-agreement'] },
  { name: 'a draft agreement does not count', caller: clinician(GP_COPENHAGEN), action: 'case-existence', target: FAMILY_AALBORG, reasons: ['no-agreement'] },
  { name: 'both parties on the same side only', caller: clinician(GP_AALBORG), action: 'case-existence', target: GP_FREDERIKSHAVN, reasons: ['no-agreement'] },
  { name: 'expired by its period', caller: clinician(GP_FREDERIKSHAVN), action: 'case-existence', target: FAMILY_FREDERIKSHAVN, reasons: ['agreement-not-active'], nearest: 'ag-expired@1' },
  { name: 'suspended', caller: clinician(BUP_TEAM), action: 'case-existence', target: FAMILY_FREDERIKSHAVN, reasons: ['agreement-not-active'], nearest: 'ag-suspended@1' },
  { name: 'not yet valid', caller: clinician(GP_COPENHAGEN), action: 'case-existence', target: FAMILY_FREDERIKSHAVN, reasons: ['agreement-not-active'], nearest: 'ag-future@1' },
  { name: 'valid until the exclusive end, not at it', caller: clinician(GP_FREDERIKSHAVN), action: 'case-existence', target: FAMILY_FREDERIKSHAVN, reasons: ['agreement-not-active'], at: new Date('2026-06-01T00:00:00Z') },
  { name: 'purpose not covered', caller: clinician(GP_AALBORG, { purpose: 'treatment' }), action: 'case-existence', target: FAMILY_AALBORG, reasons: ['purpose-not-covered'], nearest: 'ag-overlap@1' },
  { name: 'one-way agreement used from side B', caller: clinician(FAMILY_AALBORG), action: 'case-existence', target: GP_AALBORG, reasons: ['action-not-covered'] },
  { name: 'data element not covered', caller: clinician(BUP_TEAM, { purpose: 'referral' }), action: 'contact-details', target: FAMILY_AALBORG, reasons: ['action-not-covered'], nearest: 'ag-subtree@1' },
  { name: 'role not allowed', caller: caseworker(GP_AALBORG), action: 'contact-details', target: FAMILY_AALBORG, reasons: ['role-not-allowed'], nearest: 'ag-unit@1' },
  { name: 'assurance too low', caller: clinician(GP_AALBORG, { assurance: 'low' }), action: 'contact-details', target: FAMILY_AALBORG, reasons: ['assurance-too-low'], nearest: 'ag-unit@1' },
  { name: 'several rules missed by the nearest agreement', caller: caseworker(GP_AALBORG, { purpose: 'treatment' }), action: 'contact-details', target: FAMILY_AALBORG, reasons: ['purpose-not-covered', 'role-not-allowed'], nearest: 'ag-unit@1' },
  { name: "caller's organisation closed", caller: clinician(CLOSED_GP, { purpose: 'coordinated-care', assurance: 'low' }), action: 'case-existence', target: PPR_AALBORG, reasons: ['organisation-closed'] },
  { name: "target's organisation closed", caller: clinician(GP_AALBORG), action: 'case-existence', target: CLOSED_GP, reasons: ['organisation-closed'] },
  { name: "caller's organisation unknown", caller: clinician(UNKNOWN), action: 'case-existence', target: FAMILY_AALBORG, reasons: ['organisation-unknown'] },
  { name: "target's organisation unknown", caller: clinician(GP_AALBORG), action: 'case-existence', target: UNKNOWN, reasons: ['organisation-unknown'] },
];

const refs = (list: readonly { id: string; version: number }[]): string[] => list.map((r) => `${r.id}@${r.version}`);

function request(c: { caller: AccessSubject; action: DataElement | DataElement[]; target: string; at?: Date }): DecisionRequest {
  return { caller: c.caller, action: c.action, targetSor: c.target, at: c.at ?? AT };
}

describe('decide: permits', () => {
  it.each(permits)('$name', (c) => {
    const d = decide(index, request(c));
    expect(d).toEqual({ effect: 'permit', agreements: expect.any(Array), dataElements: c.dataElements });
    if (d.effect === 'permit') expect(refs(d.agreements)).toEqual(c.agreements);
  });
});

describe('decide: denials name the nearest miss', () => {
  it.each(denials)('$name', (c) => {
    const d = decide(index, request(c));
    expect(d.effect).toBe('deny');
    if (d.effect !== 'deny') return;
    expect(d.reasons).toEqual(c.reasons);
    if (c.nearest) expect(d.nearestAgreement && refs([d.nearestAgreement])).toEqual([c.nearest]);
    expect(d.detail.length).toBeGreaterThan(0);
  });

  it('every reason code is exercised by the table', () => {
    const all: ReasonCode[] = [
      'no-agreement', 'agreement-not-active', 'purpose-not-covered', 'action-not-covered',
      'role-not-allowed', 'assurance-too-low', 'organisation-closed', 'organisation-unknown',
    ];
    const covered = new Set(denials.flatMap((c) => c.reasons));
    expect(all.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('prefers an agreement in force that misses one rule over a suspended one', () => {
    const idx = buildDecisionIndex(
      [
        agreement('x-suspended', [unit(GP_AALBORG)], [unit(FAMILY_AALBORG)], { status: 'suspended' }),
        agreement('y-active', [unit(GP_AALBORG)], [unit(FAMILY_AALBORG)], { purposes: ['treatment'] }),
      ],
      directory,
    );
    const d = decide(idx, request({ caller: clinician(GP_AALBORG), action: 'case-existence', target: FAMILY_AALBORG }));
    expect(d).toMatchObject({ effect: 'deny', reasons: ['purpose-not-covered'], nearestAgreement: { id: 'y-active' } });
  });

  it('says which way a one-way agreement runs without naming other parties', () => {
    const d = decide(index, request({ caller: caseworker(FAMILY_AALBORG), action: 'case-existence', target: GP_AALBORG }));
    expect(d.effect === 'deny' && d.detail).toMatch(/only lets the other party act/);
    expect(d.effect === 'deny' && d.detail).not.toContain(GP_FREDERIKSHAVN);
  });
});

describe('decide: party selectors resolve against the directory at decision time', () => {
  it('covers a GP practice opened after the agreement was made', () => {
    const NEW_GP = '1000000000050';
    const idx = buildDecisionIndex(AGREEMENTS, directory);
    const ask = request({
      caller: clinician(NEW_GP, { purpose: 'coordinated-care' }),
      action: 'case-existence',
      target: PPR_AALBORG,
    });
    expect(decide(idx, ask)).toMatchObject({ effect: 'deny', reasons: ['organisation-unknown'] });
    idx.setDirectory(
      createMemoryDirectoryView([
        ...ORGS,
        org(NEW_GP, null, { unitType: 'general-practice', regionCode: '1081', validFrom: '2026-11-01' }),
      ]),
    );
    expect(decide(idx, ask)).toMatchObject({ effect: 'permit', agreements: [{ id: 'ag-type-region', version: 1 }] });
  });
});

describe('decide: amended agreements', () => {
  const v1 = agreement('ag-amend', [unit(HOSPITAL)], [unit(FAMILY_FREDERIKSHAVN)], { purposes: ['referral'] });
  const v2 = agreement('ag-amend', [unit(HOSPITAL)], [unit(FAMILY_FREDERIKSHAVN)], {
    purposes: ['referral'],
    dataElements: ['case-existence', 'contact-details'],
    version: 2,
    status: 'awaiting-approval',
    amends: 1,
  });
  const ask = request({
    caller: clinician(HOSPITAL, { purpose: 'referral' }),
    action: ['case-existence', 'contact-details'],
    target: FAMILY_FREDERIKSHAVN,
  });

  it('keeps the old version in force while the amendment awaits approval', () => {
    const idx = buildDecisionIndex([v1, v2], directory);
    expect(decide(idx, ask)).toEqual({
      effect: 'permit',
      agreements: [{ id: 'ag-amend', version: 1 }],
      dataElements: ['case-existence'],
    });
  });

  it('switches to the new version once it is active and the old is superseded', () => {
    const idx = buildDecisionIndex([v1, v2], directory);
    idx.replace('ag-amend', [{ ...v1, status: 'superseded' }, { ...v2, status: 'active' }]);
    expect(decide(idx, ask)).toEqual({
      effect: 'permit',
      agreements: [{ id: 'ag-amend', version: 2 }],
      dataElements: ['case-existence', 'contact-details'],
    });
  });
});

describe('explain', () => {
  it('lists every group the caller can reach per agreement, with near misses', () => {
    const e = explain(index, { organisationSor: GP_AALBORG, role: 'clinician', assurance: 'substantial' }, AT);
    expect(e.blocked).toBeNull();
    expect(e.entries.map((x) => [x.agreement.id, x.side, x.reasons])).toEqual([
      ['ag-overlap', 'a', []],
      ['ag-type-region', 'a', []],
      ['ag-unit', 'a', []],
    ]);
    expect(e.entries.find((x) => x.agreement.id === 'ag-unit')?.reach).toEqual([unit(FAMILY_AALBORG)]);
  });

  it('reports why an agreement cannot be used by this caller', () => {
    const e = explain(index, { organisationSor: FAMILY_AALBORG, role: 'caseworker', assurance: 'low', purpose: 'referral' }, AT);
    const byId = Object.fromEntries(e.entries.map((x) => [x.agreement.id, x.reasons]));
    expect(byId['ag-unit']).toEqual(['action-not-covered', 'purpose-not-covered', 'role-not-allowed', 'assurance-too-low']);
    expect(byId['ag-subtree']).toEqual(['assurance-too-low']);
  });

  it('marks a closed or unknown caller organisation as blocked', () => {
    expect(explain(index, { organisationSor: UNKNOWN, role: 'clinician', assurance: 'high' }, AT).blocked).toBe('organisation-unknown');
    expect(explain(index, { organisationSor: CLOSED_GP, role: 'clinician', assurance: 'high' }, AT).blocked).toBe('organisation-closed');
  });
});
