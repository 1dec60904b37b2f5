import { describe, expect, it } from 'vitest';
import { mapCustody } from './custody-mapper.js';

const CHILD = '0209144026';
const CPR = 'urn:oid:1.2.208.176.1.2';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const related = (over: Record<string, unknown> = {}, codes = ['MTH', 'GUARD']) => ({
  resourceType: 'RelatedPerson',
  patient: { reference: 'Patient/p1', identifier: { system: CPR, value: CHILD } },
  identifier: [{ system: CPR, value: '1108854012' }],
  relationship: [{ coding: codes.map((code) => ({ system: ROLE, code })) }],
  period: { start: '2014-09-02' },
  ...over,
});

describe('mapCustody', () => {
  it('keeps a GUARD relationship with its period', () => {
    expect(mapCustody([related()], CHILD)).toEqual({ ok: true, holders: [{ holderCpr: '1108854012', from: '2014-09-02', to: null }] });
  });
  it.each([
    ['a parent without custody', related({}, ['FTH'])],
    ['an inactive related person', related({ active: false })],
    ['GUARD of another code system', related({ relationship: [{ coding: [{ system: 'http://example.org/roles', code: 'GUARD' }] }] })],
    ['no CPR for the adult', related({ identifier: [{ system: 'urn:example', value: 'x' }] })],
    ['an unreadable period end', related({ period: { start: '2014-09-02', end: 'soon' } })],
  ])('leaves out %s', (_name, resource) => {
    expect(mapCustody([resource], CHILD)).toEqual({ ok: true, holders: [] });
  });
  it('refuses the whole answer when one related person is of another child', () => {
    const other = related({ patient: { identifier: { system: CPR, value: '1503124013' } } });
    expect(mapCustody([related(), other], CHILD)).toEqual({ ok: false, reason: 'related person of another patient' });
  });
  it('accepts the code without a system and in lower case (tolerant reader)', () => {
    const r = related({ relationship: [{ coding: [{ code: 'guard' }] }] });
    expect(mapCustody([r], CHILD)).toMatchObject({ ok: true, holders: [{ holderCpr: '1108854012' }] });
  });
});
