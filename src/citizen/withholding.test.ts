import { describe, expect, it } from 'vitest';
import { CITIZEN_LOG_KINDS } from './access-log-view.js';
import { checkWithholdingPeriod, mayWithhold } from './withholding.js';

const NOW = new Date('2026-12-02T10:00:00Z');

describe('checkWithholdingPeriod', () => {
  it.each([
    ['tomorrow', '2026-12-03T10:00:00Z', { ok: true }],
    ['exactly the maximum', '2027-12-02T10:00:00Z', { ok: true }],
    ['a second past the maximum', '2027-12-02T10:00:01Z', { ok: false, problem: 'too-long' }],
    ['now', '2026-12-02T10:00:00Z', { ok: false, problem: 'in-the-past' }],
    ['yesterday', '2026-12-01T10:00:00Z', { ok: false, problem: 'in-the-past' }],
  ])('%s', (_name, until, expected) => expect(checkWithholdingPeriod(NOW, new Date(until), 12)).toEqual(expected));
});

describe('mayWithhold', () => {
  const access = { actorOrganisation: '9520051000016005', kind: 'lookup' };
  it.each([
    ['a caseworker of the organisation that made the access', { organisationSor: '9520051000016005', role: 'caseworker' }, access, true],
    ['a caseworker of another organisation', { organisationSor: '9520041000016004', role: 'caseworker' }, access, false],
    ['a clinician of the organisation', { organisationSor: '9520051000016005', role: 'clinician' }, access, false],
    ['an auditor of the organisation', { organisationSor: '9520051000016005', role: 'auditor' }, access, false],
    ['a record that is no access (an audit search)', { organisationSor: '9520051000016005', role: 'caseworker' }, { ...access, kind: 'audit-search' }, false],
    ['a record without an organisation', { organisationSor: '9520051000016005', role: 'caseworker' }, { actorOrganisation: null, kind: 'lookup' }, false],
  ])('%s: %s', (_name, caller, a, expected) => expect(mayWithhold(caller, a, CITIZEN_LOG_KINDS)).toBe(expected));
});
