import { describe, it, expect } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import type { Organisation } from '../directory/model.js';
import {
  amend,
  approve,
  createDraft,
  expire,
  resume,
  revoke,
  submit,
  suspend,
  validateTerms,
  versionInForce,
  type ApproveCommand,
  type Transition,
} from './lifecycle.js';
import type { AgreementRecord, AgreementTerms } from './model.js';

const REGION = '1000000000001';
const HOSPITAL = '1000000000002';
const BUP = '1000000000003';
const AALBORG = '1000000000020';
const FAMILY = '1000000000021';
const OTHER_MUNICIPALITY = '1000000000030';
const CLOSED = '1000000000040';

const org = organisation;

const directory = createMemoryDirectoryView([
  org(REGION, null, { regionCode: '1081' }),
  org(HOSPITAL, REGION, { level: 'health-institution' }),
  org(BUP, HOSPITAL),
  org(AALBORG, null, { municipalityCode: '851' }),
  org(FAMILY, AALBORG),
  org(OTHER_MUNICIPALITY, null, { municipalityCode: '813' }),
  org(CLOSED, AALBORG, { validTo: '2025-01-01' }),
]);

const NOW = new Date('2026-11-23T12:00:00Z');

const TERMS: AgreementTerms = {
  title: 'BUP and Aalborg family department',
  sideA: { parties: [{ kind: 'subtree', sor: BUP }], approvingOrganisationSor: HOSPITAL },
  sideB: { parties: [{ kind: 'unit', sor: FAMILY }], approvingOrganisationSor: FAMILY },
  dataElements: ['case-existence', 'contact-details'],
  direction: 'mutual',
  purposes: ['coordinated-care'],
  roles: ['clinician', 'caseworker'],
  minimumAssurance: 'substantial',
  legalBasis: { code: 'barnets-lov-early-preventive-exchange', reference: 'j.nr. 2026-0042' },
  period: { validFrom: '2026-01-01', validTo: '2028-01-01' },
};

function ok(t: Transition): AgreementRecord {
  if (!t.ok) throw new Error(`unexpected refusal ${t.refusal.code}: ${t.refusal.detail}`);
  return t.record;
}

function refusal(t: Transition): string {
  return t.ok ? 'ok' : t.refusal.code;
}

const cmd = (version: number, side: 'a' | 'b', actingForSor: string): ApproveCommand => ({
  version,
  side,
  actingForSor,
  approvedBy: `admin-${actingForSor}`,
  at: NOW,
});

function activeRecord(): AgreementRecord {
  let r = ok(submit(createDraft('ag-1', TERMS), directory, NOW));
  r = ok(approve(r, cmd(1, 'a', HOSPITAL), directory));
  return ok(approve(r, cmd(1, 'b', FAMILY), directory));
}

describe('validateTerms', () => {
  const codes = (terms: AgreementTerms): string[] => validateTerms(terms, directory, NOW).map((i) => i.code);

  it('accepts good terms', () => {
    expect(codes(TERMS)).toEqual([]);
  });
  it.each<[string, AgreementTerms, string[]]>([
    ['unknown SOR code', { ...TERMS, sideB: { ...TERMS.sideB, parties: [{ kind: 'unit', sor: '1999999999999' }] } }, ['unknown-organisation']],
    ['closed SOR code', { ...TERMS, sideB: { parties: [{ kind: 'subtree', sor: CLOSED }], approvingOrganisationSor: AALBORG } }, ['organisation-closed']],
    ['unknown approving organisation', { ...TERMS, sideA: { ...TERMS.sideA, approvingOrganisationSor: '1999999999998' } }, ['unknown-organisation']],
    ['period ends before it starts', { ...TERMS, period: { validFrom: '2027-01-01', validTo: '2026-01-01' } }, ['period-ends-before-start']],
    ['empty period (validTo is exclusive)', { ...TERMS, period: { validFrom: '2027-01-01', validTo: '2027-01-01' } }, ['period-ends-before-start']],
    ['unparseable date', { ...TERMS, period: { validFrom: 'soon', validTo: null } }, ['invalid-date']],
    ['agreement with itself', { ...TERMS, sideB: { parties: [{ kind: 'subtree', sor: BUP }], approvingOrganisationSor: HOSPITAL } }, ['agreement-with-itself']],
    ['approver not party or owner of the side', { ...TERMS, sideB: { ...TERMS.sideB, approvingOrganisationSor: OTHER_MUNICIPALITY } }, ['approver-not-authorised']],
    ['empty side', { ...TERMS, sideA: { ...TERMS.sideA, parties: [] } }, ['empty-side']],
    ['no data elements', { ...TERMS, dataElements: [] }, ['no-data-elements']],
    ['no purposes', { ...TERMS, purposes: [] }, ['no-purposes']],
    ['no roles', { ...TERMS, roles: [] }, ['no-roles']],
  ])('reports %s', (_name, terms, expected) => {
    expect(codes(terms)).toEqual(expected);
  });
  it('reports every problem at once', () => {
    expect(codes({ ...TERMS, dataElements: [], purposes: [] })).toEqual(['no-data-elements', 'no-purposes']);
  });
});

describe('submit', () => {
  it('moves a valid draft to awaiting approval', () => {
    const r = ok(submit(createDraft('ag-1', TERMS), directory, NOW));
    expect(r.versions.map((v) => v.status)).toEqual(['awaiting-approval']);
  });
  it('refuses an invalid draft and lists the issues', () => {
    const t = submit(createDraft('ag-1', { ...TERMS, purposes: [] }), directory, NOW);
    expect(t.ok ? [] : t.refusal.issues?.map((i) => i.code)).toEqual(['no-purposes']);
    expect(refusal(t)).toBe('draft-invalid');
  });
  it('refuses when there is no draft', () => {
    expect(refusal(submit(activeRecord(), directory, NOW))).toBe('invalid-state');
  });
});

describe('approve', () => {
  const pending = (): AgreementRecord => ok(submit(createDraft('ag-1', TERMS), directory, NOW));

  it('activates once both sides have approved, recording who, when and which version', () => {
    const oneSide = ok(approve(pending(), cmd(1, 'a', HOSPITAL), directory));
    expect(oneSide.versions[0]?.status).toBe('awaiting-approval');
    const both = ok(approve(oneSide, cmd(1, 'b', FAMILY), directory));
    expect(both.versions[0]?.status).toBe('active');
    expect(both.versions[0]?.approvals).toEqual([
      { side: 'a', approvedBy: `admin-${HOSPITAL}`, actingForSor: HOSPITAL, approvedAt: NOW.toISOString(), version: 1 },
      { side: 'b', approvedBy: `admin-${FAMILY}`, actingForSor: FAMILY, approvedAt: NOW.toISOString(), version: 1 },
    ]);
  });
  it("lets the approving organisation's institution owner approve", () => {
    expect(refusal(approve(pending(), cmd(1, 'a', REGION), directory))).toBe('ok');
    expect(refusal(approve(pending(), cmd(1, 'b', AALBORG), directory))).toBe('ok');
  });
  it('refuses an organisation that is neither the approver nor its owner', () => {
    expect(refusal(approve(pending(), cmd(1, 'b', OTHER_MUNICIPALITY), directory))).toBe('not-approver');
    // A party below the approving organisation does not approve for it.
    expect(refusal(approve(pending(), cmd(1, 'a', BUP), directory))).toBe('not-approver');
    // The right organisation for the wrong side.
    expect(refusal(approve(pending(), cmd(1, 'b', HOSPITAL), directory))).toBe('not-approver');
  });
  it('refuses a second approval from the same side', () => {
    const r = ok(approve(pending(), cmd(1, 'a', HOSPITAL), directory));
    expect(refusal(approve(r, cmd(1, 'a', REGION), directory))).toBe('already-approved');
  });
  it('refuses an unknown version', () => {
    expect(refusal(approve(pending(), cmd(7, 'a', HOSPITAL), directory))).toBe('version-not-found');
  });
  it('refuses a draft that was not submitted', () => {
    expect(refusal(approve(createDraft('ag-1', TERMS), cmd(1, 'a', HOSPITAL), directory))).toBe('invalid-state');
  });
  it('refuses approving a superseded version', () => {
    let r = ok(amend(activeRecord(), { ...TERMS, purposes: ['coordinated-care', 'referral'] }, directory, NOW));
    r = ok(approve(r, cmd(2, 'a', HOSPITAL), directory));
    r = ok(approve(r, cmd(2, 'b', FAMILY), directory));
    expect(refusal(approve(r, cmd(1, 'a', HOSPITAL), directory))).toBe('version-superseded');
  });
});

describe('suspend, resume, revoke, expire', () => {
  it('suspends and resumes an active agreement', () => {
    const s = ok(suspend(activeRecord()));
    expect(versionInForce(s)?.status).toBe('suspended');
    expect(versionInForce(ok(resume(s)))?.status).toBe('active');
  });
  it('refuses to suspend what is not active and to resume what is not suspended', () => {
    expect(refusal(suspend(createDraft('ag-1', TERMS)))).toBe('invalid-state');
    expect(refusal(suspend(ok(suspend(activeRecord()))))).toBe('invalid-state');
    expect(refusal(resume(activeRecord()))).toBe('invalid-state');
  });
  it('revokes the version in force and a pending amendment', () => {
    const pendingAmendment = ok(amend(activeRecord(), { ...TERMS, title: 'new title' }, directory, NOW));
    const r = ok(revoke(pendingAmendment));
    expect(r.versions.map((v) => v.status)).toEqual(['revoked', 'revoked']);
    expect(refusal(revoke(r))).toBe('invalid-state');
  });
  it('expires once now reaches the exclusive end of the period', () => {
    expect(refusal(expire(activeRecord(), new Date('2027-12-31T23:59:59Z')))).toBe('not-yet-expired');
    const r = ok(expire(activeRecord(), new Date('2028-01-01T00:00:00Z')));
    expect(r.versions[0]?.status).toBe('expired');
  });
  it('never expires an open-ended agreement, nor one not in force', () => {
    let open = ok(submit(createDraft('ag-2', { ...TERMS, period: { validFrom: '2026-01-01', validTo: null } }), directory, NOW));
    open = ok(approve(open, cmd(1, 'a', HOSPITAL), directory));
    open = ok(approve(open, cmd(1, 'b', FAMILY), directory));
    expect(refusal(expire(open, new Date('2100-01-01')))).toBe('not-yet-expired');
    expect(refusal(expire(createDraft('ag-3', TERMS), new Date('2100-01-01')))).toBe('invalid-state');
  });
});

describe('amend', () => {
  const amended: AgreementTerms = { ...TERMS, dataElements: ['case-existence', 'contact-details', 'correspondence'] };

  it('keeps the old version in force until both sides approve the new one', () => {
    let r = ok(amend(activeRecord(), amended, directory, NOW));
    expect(r.versions.map((v) => [v.version, v.status, v.amends])).toEqual([
      [1, 'active', null],
      [2, 'awaiting-approval', 1],
    ]);
    expect(r.versions[1]?.approvals).toEqual([]);
    r = ok(approve(r, cmd(2, 'a', HOSPITAL), directory));
    expect(versionInForce(r)?.version).toBe(1);
    r = ok(approve(r, cmd(2, 'b', FAMILY), directory));
    expect(r.versions.map((v) => v.status)).toEqual(['superseded', 'active']);
    expect(versionInForce(r)?.dataElements).toContain('correspondence');
  });
  it('refuses to amend an agreement that is not active', () => {
    expect(refusal(amend(createDraft('ag-1', TERMS), amended, directory, NOW))).toBe('invalid-state');
    expect(refusal(amend(ok(suspend(activeRecord())), amended, directory, NOW))).toBe('invalid-state');
  });
  it('refuses a second amendment while one is pending', () => {
    const r = ok(amend(activeRecord(), amended, directory, NOW));
    expect(refusal(amend(r, amended, directory, NOW))).toBe('amendment-pending');
  });
  it('validates the amended terms like a draft', () => {
    expect(refusal(amend(activeRecord(), { ...amended, dataElements: [] }, directory, NOW))).toBe('draft-invalid');
  });
});
