import { describe, expect, it } from 'vitest';
import { PROFILES, SYSTEMS, toAuditEvents } from './balp.js';
import type { ExportRecord } from './record.js';

const CPR = '0209144026';
const base: ExportRecord = {
  seq: '7',
  id: '0193a000-0000-7000-8000-000000000001',
  occurredAt: '2026-12-01T10:00:00.000Z',
  recordedAt: '2026-12-01T10:00:00.120Z',
  kind: 'lookup',
  outcome: 'success',
  requestId: 'req-1',
  actor: { issuer: 'https://idp.aalborg.example', subject: 'u1', name: 'Anna Sagsbehandler', role: 'caseworker', organisation: '9520051000016005', assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: 'Bekymringshenvendelse fra skolen',
  patientCpr: CPR,
  details: {
    kinds: ['ppr'],
    namedOrganisations: ['9520041000016004'],
    sources: [
      { sourceId: 'ppr-851', organisation: '9520041000016004', status: 'found', agreements: [{ id: 'ag-1', version: 3 }], deniedBecause: null, reason: null },
      { sourceId: 'gp-system', organisation: '9510011000016001', status: 'denied', agreements: [], deniedBecause: ['no-agreement'], reason: 'no agreement' },
    ],
  },
};

const rec = (over: Partial<ExportRecord>): ExportRecord => ({ ...base, ...over });

describe('toAuditEvents', () => {
  const cases: { name: string; record: ExportRecord; expected: { profile: string | null; type: string; subtype: string; action: string; outcome: string }[] }[] = [
    {
      name: 'a lookup: a PatientQuery and one decision per source',
      record: base,
      expected: [
        { profile: PROFILES.patientQuery, type: 'rest', subtype: 'search', action: 'E', outcome: '0' },
        { profile: PROFILES.authZ, type: '110113', subtype: 'AuthZ-Consent', action: 'E', outcome: '0' },
        { profile: PROFILES.authZ, type: '110113', subtype: 'AuthZ-Consent', action: 'E', outcome: '4' },
      ],
    },
    {
      name: 'a denied lookup with no sources',
      record: rec({ outcome: 'denied', details: { kinds: null, namedOrganisations: [], sources: [] } }),
      expected: [{ profile: PROFILES.patientQuery, type: 'rest', subtype: 'search', action: 'E', outcome: '4' }],
    },
    {
      name: 'a failed lookup',
      record: rec({ outcome: 'failed', details: {} }),
      expected: [{ profile: PROFILES.patientQuery, type: 'rest', subtype: 'search', action: 'E', outcome: '8' }],
    },
    {
      name: 'a message read',
      record: rec({ kind: 'correspondence-read', reason: null, details: { read: 'message', messageId: 'm1' } }),
      expected: [{ profile: PROFILES.patientRead, type: 'rest', subtype: 'read', action: 'R', outcome: '0' }],
    },
    {
      name: 'a correspondence search by CPR',
      record: rec({ kind: 'correspondence-read', reason: null, details: { read: 'search', filters: { direction: 'in' } } }),
      expected: [{ profile: PROFILES.patientQuery, type: 'rest', subtype: 'search', action: 'E', outcome: '0' }],
    },
    {
      name: 'an agreement change: no BALP profile claimed',
      record: rec({ kind: 'agreement-change', patientCpr: null, purpose: null, reason: null, details: { agreementId: 'ag-1', version: 2, action: 'approve' } }),
      expected: [{ profile: null, type: 'rest', subtype: 'update', action: 'U', outcome: '0' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const events = toAuditEvents(c.record);
      expect(
        events.map((e) => ({ profile: e.meta?.profile[0] ?? null, type: e.type.code, subtype: e.subtype[0]?.code, action: e.action, outcome: e.outcome })),
      ).toEqual(c.expected);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    });
  }

  it('puts the CPR number only in the patient entity, and the query parameters base64 in the query entity', () => {
    for (const event of toAuditEvents(base)) {
      const patient = event.entity.filter((e) => e.what?.identifier?.system === SYSTEMS.cpr);
      expect(patient).toHaveLength(1);
      expect(patient[0]?.what?.identifier?.value).toBe(CPR);
      const withoutPatient = { ...event, entity: event.entity.filter((e) => e !== patient[0]) };
      expect(JSON.stringify(withoutPatient)).not.toContain(CPR);
      for (const e of event.entity) if (e.query) expect(Buffer.from(e.query, 'base64').toString('utf8')).not.toContain(CPR);
    }
    const query = toAuditEvents(base)[0]?.entity.find((e) => e.role?.code === '24');
    expect(JSON.parse(Buffer.from(query?.query ?? '', 'base64').toString('utf8'))).toEqual({
      purposeOfUse: 'child-welfare-concern', reason: 'Bekymringshenvendelse fra skolen', kinds: ['ppr'], organisations: ['9520041000016004'],
    });
  });

  it('names the agreement a permit rests on, and why a denial was made', () => {
    const [, permit, deny] = toAuditEvents(base);
    expect(permit?.entity.find((e) => e.type.code === 'Consent')?.what?.identifier?.value).toBe('ag-1|3');
    expect(deny?.entity.some((e) => e.type.code === 'Consent')).toBe(false);
    expect(deny?.outcomeDesc).toContain('no-agreement');
    const custodian = (e: typeof permit) => e?.agent.find((a) => a.type.coding[0]?.code === 'CST');
    expect([custodian(permit)?.name, custodian(permit)?.who.identifier?.value]).toEqual(['ppr-851', '9520041000016004']);
    expect([custodian(deny)?.name, custodian(deny)?.who.identifier?.value]).toEqual(['gp-system', '9510011000016001']);
  });

  it('a system actor has no user agent', () => {
    const event = toAuditEvents(rec({ kind: 'correspondence-received', actor: { issuer: null, subject: null, name: null, role: null, organisation: null, assurance: null, callingSystem: 'vans-gateway' } }))[0];
    expect(event?.agent.some((a) => a.type.coding[0]?.code === 'IRCP')).toBe(false);
    expect(event?.agent[0]?.who.identifier?.value).toBe('vans-gateway');
  });
});
