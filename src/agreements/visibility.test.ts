import { describe, expect, it } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import type { AgreementRecord, AgreementSide, PartySelector } from './model.js';
import { recordVisible, viewerKeys } from './visibility.js';

const REGION = '1000000000001';
const HOSPITAL = '1000000000002';
const BUP = '1000000000003';
const TEAM = '1000000000004';
const AALBORG = '1000000000020';
const PPR = '1000000000022';
const FAMILY = '1000000000023';
const LAESOE = '1000000000030';
const LAESOE_FAMILY = '1000000000031';
const GP_OWNER = '1000000000040';
const GP_PRACTICE = '1000000000041';
const GP_CLINIC = '1000000000042';
const OVERSIGHT = '1000000000090';

const org = organisation;
const dir = createMemoryDirectoryView([
  org(REGION, null, { ownerType: 'region', regionCode: '1081' }),
  org(HOSPITAL, REGION, { level: 'health-institution', ownerType: 'region' }),
  org(BUP, HOSPITAL, { ownerType: 'region' }),
  org(TEAM, BUP, { ownerType: 'region' }),
  org(AALBORG, null, { ownerType: 'municipality', regionCode: '1081', municipalityCode: '851' }),
  org(PPR, AALBORG, { ownerType: 'municipality' }),
  org(FAMILY, AALBORG, { ownerType: 'municipality' }),
  org(LAESOE, null, { ownerType: 'municipality', regionCode: '1081', municipalityCode: '825' }),
  org(LAESOE_FAMILY, LAESOE, { ownerType: 'municipality' }),
  org(GP_OWNER, null, { ownerType: 'private', regionCode: '1081', municipalityCode: '851' }),
  org(GP_PRACTICE, GP_OWNER, { level: 'health-institution', ownerType: 'private', unitType: '394761003' }),
  org(GP_CLINIC, GP_PRACTICE, { ownerType: 'private' }),
  org(OVERSIGHT, null, { ownerType: 'state' }),
]);

const side = (parties: PartySelector[], approver: string): AgreementSide => ({ parties, approvingOrganisationSor: approver });
const GP_AREA: PartySelector = { kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } };

function record(a: AgreementSide, b: AgreementSide, amendedB?: AgreementSide): AgreementRecord {
  const base = {
    id: 'ag', status: 'active' as const, amends: null, approvals: [], title: 't', dataElements: ['case-existence' as const],
    direction: 'mutual' as const, purposes: ['coordinated-care' as const], roles: ['clinician' as const], minimumAssurance: 'substantial' as const,
    legalBasis: { code: 'sundhedsloven-43' as const, reference: '' }, period: { validFrom: '2026-01-01', validTo: null },
  };
  const v1 = { ...base, version: 1, sideA: a, sideB: b };
  return { id: 'ag', versions: amendedB ? [v1, { ...v1, version: 2, status: 'awaiting-approval' as const, amends: 1, sideB: amendedB }] : [v1] };
}

const psychiatryPpr = record(side([{ kind: 'subtree', sor: BUP }], HOSPITAL), side([{ kind: 'unit', sor: PPR }], AALBORG));
const gpsPsychiatry = record(side([GP_AREA], REGION), side([{ kind: 'subtree', sor: BUP }], HOSPITAL));
const amendedToLaesoe = record(side([{ kind: 'subtree', sor: BUP }], HOSPITAL), side([{ kind: 'unit', sor: PPR }], AALBORG), side([{ kind: 'unit', sor: LAESOE_FAMILY }], LAESOE));

describe('recordVisible', () => {
  it.each([
    ['a named party', psychiatryPpr, PPR, true],
    ['the owner of a named party', psychiatryPpr, AALBORG, true],
    ['a unit inside a subtree party', psychiatryPpr, TEAM, true],
    ['the owner above a subtree party', psychiatryPpr, REGION, true],
    ['a sibling of a named party', psychiatryPpr, FAMILY, false],
    ['an unrelated municipality', psychiatryPpr, LAESOE, false],
    ['a GP clinic covered by the unit type of its practice', gpsPsychiatry, GP_CLINIC, true],
    ['the private owner of a covered practice', gpsPsychiatry, GP_OWNER, true],
    ["the region, as its area's authority", gpsPsychiatry, REGION, true],
    ['a municipality in the same region', gpsPsychiatry, AALBORG, false],
    ['a party of a pending amendment only', amendedToLaesoe, LAESOE, true],
    ['a party of the version in force only', amendedToLaesoe, PPR, true],
    ['a national oversight organisation', psychiatryPpr, OVERSIGHT, true],
    ['an organisation not configured as oversight', psychiatryPpr, GP_OWNER, false],
  ] as const)('%s', (_what, r, sor, expected) => {
    expect(recordVisible(viewerKeys(dir, sor, [OVERSIGHT]), r)).toBe(expected);
  });
});
