import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsentSimulator, type ConsentSimulator } from '../simulators/consent-simulator.js';
import { consentResource, type ConsentResourceInput } from './consent-resource.js';
import { mapConsent } from './consent-mapper.js';
import { createConsentService } from './consent-service.js';

const NOAH = '0209144026';
const input: ConsentResourceInput = {
  id: 'c1', patientCpr: NOAH, givenBy: { relationship: 'custody-holder', name: 'Mette Jensen' }, purposes: ['coordinated-care'],
  recipients: ['9520031000016003'], custodians: ['9500031000016003'], validFrom: '2026-01-01T00:00:00Z', validTo: '2027-01-01T00:00:00Z',
};

describe('mapConsent (FHIR R4 Consent)', () => {
  it('reads giver, purposes, recipients (IRCP), custodians (CST) and period', () => {
    const m = mapConsent(consentResource(input));
    expect(m).toEqual({
      ok: true, patientCpr: NOAH,
      consent: { id: 'c1', givenBy: { relationship: 'custody-holder', name: 'Mette Jensen' }, purposes: ['coordinated-care'], recipients: ['9520031000016003'], custodians: ['9500031000016003'], validFrom: '2026-01-01T00:00:00Z', validTo: '2027-01-01T00:00:00Z', withdrawnAt: null },
    });
  });
  it('an inactive consent is withdrawn at meta.lastUpdated', () => {
    const m = mapConsent(consentResource({ ...input, withdrawnAt: '2026-03-01T10:00:00Z' }));
    expect(m.ok && m.consent.withdrawnAt).toBe('2026-03-01T10:00:00Z');
  });
  const unusable: Array<[string, (r: Record<string, unknown>) => Record<string, unknown>]> = [
    ['a draft', (r) => ({ ...r, status: 'draft' })],
    ['entered in error', (r) => ({ ...r, status: 'entered-in-error' })],
    ['a deny provision', (r) => ({ ...r, provision: { ...(r['provision'] as object), type: 'deny' } })],
    ['no person identifier', (r) => ({ ...r, patient: { reference: 'Patient/1' } })],
    ['no purpose in our code system', (r) => ({ ...r, provision: { ...(r['provision'] as object), purpose: [{ system: 'http://other', code: 'coordinated-care' }] } })],
    ['no actors', (r) => ({ ...r, provision: { ...(r['provision'] as object), actor: [] } })],
  ];
  it.each(unusable)('%s is not used', (_n, change) => {
    expect(mapConsent(change(consentResource(input))).ok).toBe(false);
  });
});

describe('consent service over HTTP (simulator)', () => {
  let sim: ConsentSimulator;
  beforeAll(async () => {
    sim = await startConsentSimulator([input, { ...input, id: 'c2', patientCpr: '1503124013' }]);
  });
  afterAll(async () => sim.close());
  const service = () => createConsentService({ baseUrl: sim.url, auth: { type: 'none' } });

  it("finds the person's consents only, by POST _search", async () => {
    const outcome = await service().find({ cpr: NOAH, requestId: 'r1' }, AbortSignal.timeout(2000));
    expect(outcome.status === 'ok' && outcome.consents.map((c) => c.id)).toEqual(['c1']);
  });
  it('a service that is down is unavailable, never an empty list', async () => {
    sim.setBehaviour({ failure: 'down' });
    try {
      expect((await service().find({ cpr: NOAH, requestId: 'r2' }, AbortSignal.timeout(2000))).status).toBe('unavailable');
    } finally {
      sim.setBehaviour({});
    }
  });
  it('a hanging service is cut off by the time limit', async () => {
    sim.setBehaviour({ failure: 'hang' });
    try {
      const started = Date.now();
      expect((await service().find({ cpr: NOAH, requestId: 'r3' }, AbortSignal.timeout(200))).status).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      sim.setBehaviour({});
    }
  });
});
