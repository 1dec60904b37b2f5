import { describe, expect, it } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import { type ApprovalRefusal, approvableSides, approvalsHold, judgeApproval, mayDraft } from './approval-rule.js';
import type { Agreement, AgreementSide, Approval, PartySelector } from './model.js';

const REGION = '1000000000001';
const HOSPITAL = '1000000000002';
const BUP = '1000000000003';
const TEAM = '1000000000004';
const OTHER_REGION = '1000000000009';
const AALBORG = '1000000000020';
const AALBORG_HEALTH = '1000000000021';
const PPR = '1000000000022';
const FAMILY = '1000000000023';
const LAESOE = '1000000000030';
const LAESOE_FAMILY = '1000000000031';
const GP_OWNER = '1000000000040';
const GP_PRACTICE = '1000000000041';

const org = organisation;
const dir = createMemoryDirectoryView([
  org(REGION, null, { ownerType: 'region', regionCode: '1081' }),
  org(HOSPITAL, REGION, { level: 'health-institution', ownerType: 'region' }),
  org(BUP, HOSPITAL, { ownerType: 'region' }),
  org(TEAM, BUP, { ownerType: 'region' }),
  org(OTHER_REGION, null, { ownerType: 'region', regionCode: '1082' }),
  org(AALBORG, null, { ownerType: 'municipality', regionCode: '1081', municipalityCode: '851' }),
  org(AALBORG_HEALTH, AALBORG, { level: 'health-institution', ownerType: 'municipality' }),
  org(PPR, AALBORG_HEALTH, { ownerType: 'municipality' }),
  org(FAMILY, AALBORG_HEALTH, { ownerType: 'municipality' }),
  org(LAESOE, null, { ownerType: 'municipality', regionCode: '1081', municipalityCode: '825' }),
  org(LAESOE_FAMILY, LAESOE, { ownerType: 'municipality' }),
  // A GP practice is its own (private) owner, with a municipality code of its own.
  org(GP_OWNER, null, { ownerType: 'private', regionCode: '1081', municipalityCode: '851' }),
  org(GP_PRACTICE, GP_OWNER, { level: 'health-institution', ownerType: 'private', unitType: '394761003' }),
]);

const unit = (sor: string): PartySelector => ({ kind: 'unit', sor });
const subtree = (sor: string): PartySelector => ({ kind: 'subtree', sor });
const GP_AREA: PartySelector = { kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } };
const AALBORG_TYPE: PartySelector = { kind: 'unit-type', unitType: '394761003', area: { kind: 'municipality', municipalityCode: '851' } };
const side = (parties: PartySelector[], approver: string): AgreementSide => ({ parties, approvingOrganisationSor: approver });

/** Psychiatry (approved by the hospital) and Aalborg's PPR (approved by Aalborg), version 1. */
function version(o: { a?: AgreementSide; b?: AgreementSide; approvals?: Approval[]; version?: number } = {}): Agreement {
  return {
    id: 'ag',
    version: o.version ?? 1,
    status: 'awaiting-approval',
    amends: null,
    approvals: o.approvals ?? [],
    title: 't',
    sideA: o.a ?? side([subtree(BUP)], HOSPITAL),
    sideB: o.b ?? side([unit(PPR)], AALBORG),
    dataElements: ['case-existence'],
    direction: 'mutual',
    purposes: ['coordinated-care'],
    roles: ['clinician'],
    minimumAssurance: 'substantial',
    legalBasis: { code: 'sundhedsloven-43', reference: '' },
    period: { validFrom: '2026-01-01', validTo: null },
  };
}
const approval = (s: 'a' | 'b', actingForSor: string, user = `u@${actingForSor}`, v = 1): Approval => ({
  side: s,
  approvedBy: user,
  actingForSor,
  approvedAt: '2026-01-01T00:00:00Z',
  version: v,
});

interface Row {
  readonly name: string;
  readonly version: Agreement;
  readonly previous?: Agreement;
  readonly side: 'a' | 'b';
  readonly actor: string;
  readonly user?: string;
  readonly expected: ApprovalRefusal | null;
}

const LAESOE_DRAFT = { a: side([unit(LAESOE_FAMILY)], LAESOE), b: side([unit(PPR)], AALBORG) };

const rows: Row[] = [
  // party
  { name: 'party: the named unit approves for itself', version: version({ b: side([unit(PPR)], PPR) }), side: 'b', actor: PPR, expected: null },
  { name: 'party: a subtree root named as approver', version: version({ a: side([subtree(BUP)], BUP) }), side: 'a', actor: BUP, expected: null },
  { name: 'party below the named approver does not approve for it', version: version(), side: 'b', actor: PPR, expected: 'not-approver' },
  { name: 'party of the other side', version: version(), side: 'b', actor: HOSPITAL, expected: 'not-approver' },
  // owner
  { name: 'owner: the municipality named for its PPR', version: version(), side: 'b', actor: AALBORG, expected: null },
  { name: 'owner: the health institution above the named unit', version: version({ b: side([unit(PPR)], PPR) }), side: 'b', actor: AALBORG_HEALTH, expected: null },
  { name: 'owner: the institution owner above the named unit', version: version({ b: side([unit(PPR)], PPR) }), side: 'b', actor: AALBORG, expected: null },
  { name: 'owner: the region above the named hospital', version: version(), side: 'a', actor: REGION, expected: null },
  { name: 'owner: a parent unit is not an owner', version: version({ a: side([unit(TEAM)], BUP) }), side: 'a', actor: BUP, expected: 'approver-not-authorised' },
  { name: 'owner of every party of a side', version: version({ b: side([unit(PPR), unit(FAMILY)], AALBORG) }), side: 'b', actor: AALBORG, expected: null },
  { name: "owner of only some of a side's parties", version: version({ b: side([unit(PPR), unit(LAESOE_FAMILY)], AALBORG) }), side: 'b', actor: AALBORG, expected: 'approver-not-authorised' },
  { name: 'area authority: the region for all GP practices in it', version: version({ b: side([GP_AREA], REGION) }), side: 'b', actor: REGION, expected: null },
  { name: 'area authority: the municipality for a unit type in it', version: version({ b: side([AALBORG_TYPE], AALBORG) }), side: 'b', actor: AALBORG, expected: null },
  { name: 'area authority: another region', version: version({ b: side([GP_AREA], OTHER_REGION) }), side: 'b', actor: OTHER_REGION, expected: 'approver-not-authorised' },
  { name: 'area authority: a municipality in the region is not its authority', version: version({ b: side([GP_AREA], AALBORG) }), side: 'b', actor: AALBORG, expected: 'approver-not-authorised' },
  { name: 'area authority: one GP practice does not speak for all', version: version({ b: side([GP_AREA], GP_OWNER) }), side: 'b', actor: GP_OWNER, expected: 'approver-not-authorised' },
  // sibling
  { name: 'sibling: a unit under the same owner', version: version({ b: side([unit(PPR)], PPR) }), side: 'b', actor: FAMILY, expected: 'not-approver' },
  { name: 'sibling named as approver', version: version({ b: side([unit(PPR)], FAMILY) }), side: 'b', actor: FAMILY, expected: 'approver-not-authorised' },
  // unrelated
  { name: 'unrelated organisation', version: version(), side: 'b', actor: LAESOE, expected: 'not-approver' },
  { name: 'unrelated organisation named as approver', version: version({ b: side([unit(PPR)], LAESOE) }), side: 'b', actor: LAESOE, expected: 'approver-not-authorised' },
  // creator (Læsø drafted the agreement between its family department and Aalborg's PPR)
  { name: 'creator approves its own side', version: version(LAESOE_DRAFT), side: 'a', actor: LAESOE, expected: null },
  { name: 'creator approves the other side', version: version(LAESOE_DRAFT), side: 'b', actor: LAESOE, expected: 'not-approver' },
  { name: 'creator named itself for the other side', version: version({ ...LAESOE_DRAFT, b: side([unit(PPR)], LAESOE) }), side: 'b', actor: LAESOE, expected: 'approver-not-authorised' },
  {
    name: 'creator standing for both sides approves the second',
    version: version({ a: side([subtree(BUP)], REGION), b: side([GP_AREA], REGION), approvals: [approval('a', REGION)] }),
    side: 'b',
    actor: REGION,
    expected: 'approved-other-side',
  },
  {
    name: "a colleague at the organisation that approved the other side",
    version: version({ a: side([subtree(BUP)], REGION), b: side([GP_AREA], REGION), approvals: [approval('a', REGION)] }),
    side: 'b',
    actor: REGION,
    user: 'colleague',
    expected: 'approved-other-side',
  },
  {
    name: 'the person who approved the other side, acting for another organisation',
    version: version({ a: side([subtree(BUP)], HOSPITAL), b: side([GP_AREA], REGION), approvals: [approval('b', REGION, 'one-person')] }),
    side: 'a',
    actor: HOSPITAL,
    user: 'one-person',
    expected: 'approved-other-side',
  },
  {
    name: 'another person for another organisation',
    version: version({ a: side([subtree(BUP)], HOSPITAL), b: side([GP_AREA], REGION), approvals: [approval('b', REGION, 'one-person')] }),
    side: 'a',
    actor: HOSPITAL,
    expected: null,
  },
  { name: 'the same side twice', version: version({ approvals: [approval('b', AALBORG)] }), side: 'b', actor: AALBORG, user: 'other', expected: 'already-approved' },
  // after amendment
  {
    name: "after amendment: moving the other side's approval to its unit; the unit alone",
    version: version({ version: 2, b: side([unit(PPR)], PPR) }),
    previous: version(),
    side: 'b',
    actor: PPR,
    expected: 'approver-changed',
  },
  {
    name: 'after amendment: the previous approver agrees to the move',
    version: version({ version: 2, b: side([unit(PPR)], PPR) }),
    previous: version(),
    side: 'b',
    actor: AALBORG,
    expected: null,
  },
  {
    name: 'after amendment: the same approver approves anew',
    version: version({ version: 2 }),
    previous: version({ approvals: [approval('a', HOSPITAL), approval('b', AALBORG)] }),
    side: 'b',
    actor: AALBORG,
    expected: null,
  },
  {
    name: "after amendment: an approval recorded for version 1 is not one for version 2",
    version: version({ version: 2, approvals: [approval('b', AALBORG, 'u@aalborg', 1)] }),
    previous: version(),
    side: 'b',
    actor: AALBORG,
    expected: null,
  },
  {
    name: 'after amendment: a previous approver without authority has no say',
    version: version({ version: 2 }),
    previous: version({ b: side([unit(PPR)], LAESOE) }),
    side: 'b',
    actor: AALBORG,
    expected: null,
  },
  {
    name: "after amendment: naming oneself for the other side",
    version: version({ version: 2, ...LAESOE_DRAFT, b: side([unit(PPR)], LAESOE) }),
    previous: version(LAESOE_DRAFT),
    side: 'b',
    actor: LAESOE,
    expected: 'approver-not-authorised',
  },
];

describe('judgeApproval', () => {
  it.each(rows)('$name', (row) => {
    const attempt = { version: row.version, previous: row.previous, side: row.side, actor: { organisationSor: row.actor, user: row.user ?? `u@${row.actor}` } };
    expect(judgeApproval(attempt, dir)).toBe(row.expected);
  });
});

describe('approvableSides', () => {
  it('puts the side naming the organisation first where an owner could approve both', () => {
    const v = version({ a: side([subtree(BUP)], HOSPITAL), b: side([GP_AREA], REGION) });
    expect(approvableSides(REGION, 'u', v, undefined, dir)).toEqual(['b', 'a']);
    expect(approvableSides(HOSPITAL, 'u', v, undefined, dir)).toEqual(['a']);
    expect(approvableSides(LAESOE, 'u', v, undefined, dir)).toEqual([]);
  });
});

describe('mayDraft', () => {
  // Psychiatry team Aalborg with Aalborg's PPR; and all GP practices in the region with it.
  const withPpr = version({ a: side([unit(TEAM)], HOSPITAL) });
  const withGps = version({ a: side([GP_AREA], REGION) });
  it.each([
    ['a party', withPpr, PPR, true],
    ['an owner of a party', withPpr, AALBORG, true],
    ['the health institution above a party', withPpr, AALBORG_HEALTH, true],
    ["the side's approver", withPpr, HOSPITAL, true],
    ['the parent unit of a party (not an owner)', withPpr, BUP, false],
    ['a sibling of a party', withPpr, FAMILY, false],
    ['an unrelated organisation', withPpr, LAESOE, false],
    ['the area authority of a unit-type party', withGps, REGION, true],
    ['a GP practice covered by a unit-type party', withGps, GP_PRACTICE, false],
  ] as const)('%s', (_what, terms, sor, expected) => {
    expect(mayDraft(sor, terms, dir)).toBe(expected);
  });
});

describe('approvalsHold', () => {
  it.each([
    ['both sides by their approvers', version({ approvals: [approval('a', HOSPITAL), approval('b', AALBORG)] }), true],
    ['an owner above an approver', version({ approvals: [approval('a', REGION), approval('b', AALBORG)] }), true],
    ['one side missing', version({ approvals: [approval('a', HOSPITAL)] }), false],
    ['an approval of an earlier version', version({ version: 2, approvals: [approval('a', HOSPITAL, 'x', 1), approval('b', AALBORG, 'y', 2)] }), false],
    ['Læsø approving for PPR Aalborg', version({ ...LAESOE_DRAFT, b: side([unit(PPR)], LAESOE), approvals: [approval('a', LAESOE), approval('b', LAESOE)] }), false],
    ['the region on both sides of a region-wide agreement (pilot data)', version({ a: side([GP_AREA], REGION), b: side([subtree(BUP)], REGION), approvals: [approval('a', REGION, 'p'), approval('b', REGION, 'p')] }), true],
  ] as const)('%s', (_what, v, expected) => {
    expect(approvalsHold(v, dir)).toBe(expected);
  });
});
