import { describe, expect, it } from 'vitest';
import { type AuditRecord, type SearchColumns, sameSearchColumns, searchColumnsOf } from './audit-record.js';

const base = {
  outcome: 'success' as const,
  occurredAt: new Date('2026-12-02T10:00:00Z'),
  requestId: 'req-1',
  actor: { issuer: 'https://idp', subject: 'u', displayName: null, role: 'clinician', organisationSor: '9510031000016003', assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: null,
  patientCpr: '0707614285',
};
const PPR = '9520041000016004';
const BUP = '9500031000016003';
const FAMILY = '9520051000016005';

const source = (sourceId: string, organisation: string, status = 'found') => ({
  sourceId, kind: 'ppr', organisation, via: 'person-register', status, reason: null, deniedBecause: null, agreements: [], dataElementsReturned: [], cases: 0, durationMs: null,
});
const none: SearchColumns = { concernedOrganisations: [], sourceIds: [], counterpartSor: null };

// Each kind's record, and the columns an auditor's search filters it by.
const cases: ReadonlyArray<readonly [string, AuditRecord, SearchColumns]> = [
  [
    'a lookup: its sources (also a denied one) and the organisations the caller named, each once',
    {
      ...base, kind: 'lookup',
      details: {
        personRegister: { status: 'found' }, namedOrganisations: [FAMILY, PPR], unservedOrganisations: [], kinds: null, deadlineMs: 3000, durationMs: 80,
        sources: [source('ppr-851', PPR), source('bup', BUP, 'denied')],
      },
    },
    { concernedOrganisations: [BUP, PPR, FAMILY].sort(), sourceIds: ['bup', 'ppr-851'], counterpartSor: null },
  ],
  [
    'a lookup no source answered: what was named',
    { ...base, kind: 'lookup', details: { personRegister: { status: 'not-found' }, namedOrganisations: [PPR], unservedOrganisations: [PPR], kinds: ['ppr'], deadlineMs: 3000, durationMs: 5, sources: [] } },
    { concernedOrganisations: [PPR], sourceIds: [], counterpartSor: null },
  ],
  [
    'a sent message: its receiver is the counterpart',
    { ...base, kind: 'correspondence-sent', details: { messageId: 'm', counterpartSor: BUP, counterpartEan: '5790001348120', bundleId: 'b', messageHeaderId: 'h', kind: 'new', category: 'other', agreements: [] } },
    { concernedOrganisations: [BUP], sourceIds: [], counterpartSor: BUP },
  ],
  [
    'a refused message: the receiver it was meant for',
    { ...base, outcome: 'denied', kind: 'correspondence-sent', details: { counterpartSor: BUP, reasons: ['no-agreement'] } },
    { concernedOrganisations: [BUP], sourceIds: [], counterpartSor: BUP },
  ],
  [
    'a received message: the receiver and the sender (counterpart)',
    { ...base, kind: 'correspondence-received', details: { receiverSor: PPR, counterpartSor: BUP, counterpartEan: null, bundleId: 'b', messageHeaderId: 'h', category: null, messageId: 'm', code: 'ok' } },
    { concernedOrganisations: [BUP, PPR].sort(), sourceIds: [], counterpartSor: BUP },
  ],
  [
    'a received message for no organisation served here, from an unnamed sender',
    { ...base, outcome: 'failed', kind: 'correspondence-received', details: { receiverSor: null, counterpartSor: null, counterpartEan: null, bundleId: null, messageHeaderId: null, category: null, acknowledgeable: false } },
    none,
  ],
  [
    'an acknowledgement: the receiver of the message it answers',
    { ...base, kind: 'acknowledgement-received', details: { messageId: 'm', counterpartSor: BUP, answeredMessageHeaderId: 'h', acknowledgementBundleId: 'a', code: 'ok' } },
    { concernedOrganisations: [BUP], sourceIds: [], counterpartSor: BUP },
  ],
  [
    'a read of a message: its counterpart',
    { ...base, kind: 'correspondence-read', details: { read: 'message', messageId: 'm', counterpartSor: BUP } },
    { concernedOrganisations: [BUP], sourceIds: [], counterpartSor: BUP },
  ],
  ['an agreement change concerns no other organisation by search', { ...base, patientCpr: null, kind: 'agreement-change', details: { agreementId: 'a', version: 2, action: 'approve', after: {} } }, none],
  ['a directory change', { ...base, patientCpr: null, kind: 'directory-change', details: { change: 'local-unit-closed', sor: PPR } }, none],
  ['an audit search', { ...base, kind: 'audit-search', details: { filters: { organisation: PPR }, scope: PPR, returned: 3 } }, none],
  [
    'an anomaly review',
    { ...base, patientCpr: null, kind: 'anomaly-review', details: { flagId: 'f', rule: 'many-children', decision: 'justified', previousStatus: 'open', organisation: PPR, auditEventIds: [] } },
    none,
  ],
];

describe('the search columns of each kind of audit record', () => {
  it.each(cases)('%s', (_name, record, expected) => {
    expect(searchColumnsOf(record)).toEqual(expected);
  });

  it('reads details written before the contract, and ignores what is not a string where one belongs', () => {
    expect(searchColumnsOf({ details: { sources: [{ id: 'gp', status: 'found' }, null, 'x', { sourceId: 7, organisation: ['a'] }], namedOrganisations: 'PPR', counterpartSor: 12 } })).toEqual(none);
    expect(searchColumnsOf({ details: {} })).toEqual(none);
  });
});

describe('comparing stored search columns with the derived ones', () => {
  const columns: SearchColumns = { concernedOrganisations: [PPR, BUP], sourceIds: ['a', 'b'], counterpartSor: BUP };
  it.each([
    ['the same, in another order', { ...columns, concernedOrganisations: [BUP, PPR] }, true],
    ['an organisation removed (a record hidden from its auditor)', { ...columns, concernedOrganisations: [PPR] }, false],
    ['an organisation added', { ...columns, concernedOrganisations: [PPR, BUP, FAMILY] }, false],
    ['an organisation replaced', { ...columns, concernedOrganisations: [PPR, FAMILY] }, false],
    ['a source removed', { ...columns, sourceIds: ['a'] }, false],
    ['the counterpart cleared', { ...columns, counterpartSor: null }, false],
  ] as const)('%s: %s', (_name, stored, same) => {
    expect(sameSearchColumns(stored, columns)).toBe(same);
  });
});
