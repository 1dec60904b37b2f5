import { describe, expect, it } from 'vitest';
import { NOT_CONSULTED, outcomeOf, projectAuditRecord } from './projection.js';
import type { AuditRecordView } from './search.js';

// The auditor's subtree: a municipality with its PPR and family units.
const MUNICIPALITY = '100000000000020';
const PPR = '100000000000021';
const FAMILY = '100000000000022';
const GP = '100000000000012';
const BUP = '100000000000030';
const OTHER = '100000000000040';
const inScope = (sor: string) => [MUNICIPALITY, PPR, FAMILY].includes(sor);

const source = (sourceId: string, organisation: string, status: string) => ({ sourceId, kind: 'x', organisation, status, reason: null, deniedBecause: status === 'denied' ? ['no-agreement'] : null, agreements: [], dataElementsReturned: [], cases: status === 'found' ? 1 : 0, durationMs: 3 });
const record = (kind: string, actorOrg: string | null, details: Record<string, unknown>, outcome = 'success'): AuditRecordView => ({
  id: 'r1', seq: '7', occurredAt: '2026-11-30T10:00:00.000Z', recordedAt: '2026-11-30T10:00:00.010Z', kind, outcome, requestId: 'req-1',
  actor: { issuer: 'https://idp.gp.example', subject: 'gp-user-17', name: 'Anders Holm', role: 'clinician', organisation: actorOrg, assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern', reason: 'Bekymring fra skolen', patientCpr: '0209144026', details,
});
const lookupDetails = (sources: unknown[], named: string[] = []) => ({ personRegister: { status: 'found' }, namedOrganisations: named, unservedOrganisations: [], kinds: null, deadlineMs: 3000, durationMs: 412, sources });
const allFour = [source('gp', GP, 'denied'), source('bup', BUP, 'found'), source('ppr', PPR, 'found'), source('family', FAMILY, 'not-found')];

describe('projectAuditRecord', () => {
  it.each([
    ["its own staff's lookup", record('lookup', PPR, lookupDetails(allFour), 'partial'), { visibility: 'full', outcome: 'partial', details: lookupDetails(allFour) }],
    ["another's lookup that consulted its PPR", record('lookup', OTHER, lookupDetails([source('bup', BUP, 'found'), source('ppr', PPR, 'found')]), 'partial'),
      { visibility: 'concerned-party', outcome: 'success', details: { sources: [source('ppr', PPR, 'found')], namedOrganisations: [] } }],
    ["another's lookup that consulted PPR and family", record('lookup', OTHER, lookupDetails(allFour)),
      { visibility: 'concerned-party', outcome: 'success', details: { sources: [source('ppr', PPR, 'found'), source('family', FAMILY, 'not-found')], namedOrganisations: [] } }],
    ["another's lookup denied at its PPR, found at psychiatry", record('lookup', OTHER, lookupDetails([source('bup', BUP, 'found'), source('ppr', PPR, 'denied')]), 'success'),
      { visibility: 'concerned-party', outcome: 'denied', details: { sources: [source('ppr', PPR, 'denied')], namedOrganisations: [] } }],
    ["another's lookup where its PPR timed out and family answered", record('lookup', OTHER, lookupDetails([source('ppr', PPR, 'timeout'), source('family', FAMILY, 'found')]), 'partial'),
      { visibility: 'concerned-party', outcome: 'partial' }],
    ["another's lookup that only named it", record('lookup', OTHER, lookupDetails([source('bup', BUP, 'found')], [MUNICIPALITY, BUP])),
      { visibility: 'concerned-party', outcome: NOT_CONSULTED, details: { sources: [], namedOrganisations: [MUNICIPALITY] } }],
    ['a message sent to it', record('correspondence-sent', GP, { messageId: 'm1', counterpartSor: PPR, category: 'henvendelse' }),
      { visibility: 'concerned-party', details: { messageId: 'm1', counterpartSor: PPR, category: 'henvendelse' } }],
    ['an inbound message it received through the gateway', record('correspondence-received', null, { receiverSor: FAMILY, counterpartSor: GP, bundleId: 'b1' }),
      { visibility: 'concerned-party', details: { receiverSor: FAMILY, counterpartSor: GP, bundleId: 'b1' } }],
    ["the gateway it runs refusing an acknowledgement about no child", { ...record('acknowledgement-received', MUNICIPALITY, { reason: 'unknown-message' }), patientCpr: null, actor: { ...record('x', null, {}).actor, role: 'medcom-gateway', organisation: MUNICIPALITY } },
      { visibility: 'full' }],
    ['an acknowledgement from it', record('acknowledgement-received', null, { messageId: 'm1', counterpartSor: PPR, code: 'ok' }), { visibility: 'concerned-party' }],
  ] as const)('shows %s', (_case, input, expected) => {
    const seen = projectAuditRecord(input, inScope);
    expect(seen).toMatchObject({ ...expected, actor: input.actor, purpose: input.purpose, reason: input.reason, occurredAt: input.occurredAt, patientCpr: input.patientCpr });
    if (expected.visibility === 'concerned-party' && input.kind === 'lookup') {
      const text = JSON.stringify(seen);
      for (const other of [BUP, GP, 'personRegister', 'durationMs":412', 'deadlineMs']) expect(text).not.toContain(other);
    }
  });

  it.each([
    ["another's lookup that neither consulted nor named it", record('lookup', OTHER, lookupDetails([source('bup', BUP, 'found')], [BUP]))],
    ['a message between two others', record('correspondence-sent', GP, { counterpartSor: BUP })],
    ['an inbound message for another', record('correspondence-received', null, { receiverSor: BUP, counterpartSor: GP })],
    ["another's agreement change, even one naming it", record('agreement-change', OTHER, { agreementId: 'a1', after: { sideB: { parties: [{ kind: 'unit', sor: PPR }] } } })],
    ["another's audit search", record('audit-search', OTHER, { scope: OTHER, sources: [source('ppr', PPR, 'found')] })],
    ["another's reading of a message", record('correspondence-read', OTHER, { counterpartSor: PPR })],
    ['an inbound message for another carried by the gateway it runs', { ...record('correspondence-received', MUNICIPALITY, { receiverSor: BUP, counterpartSor: GP }), actor: { ...record('x', null, {}).actor, role: 'medcom-gateway', organisation: MUNICIPALITY } }],
    ['a lookup with malformed details', record('lookup', OTHER, { sources: 'ppr', namedOrganisations: { sor: PPR } })],
  ])('hides %s', (_case, input) => {
    expect(projectAuditRecord(input, inScope)).toBeNull();
  });
});

describe('outcomeOf', () => {
  it.each([
    [[], NOT_CONSULTED],
    [['found'], 'success'],
    [['found', 'not-found'], 'success'],
    [['denied', 'denied'], 'denied'],
    [['timeout'], 'failed'],
    [['unavailable', 'error'], 'failed'],
    [['found', 'denied'], 'partial'],
    [['not-found', 'timeout'], 'partial'],
  ])('%j -> %s', (statuses, outcome) => {
    expect(outcomeOf(statuses)).toBe(outcome);
  });
});
