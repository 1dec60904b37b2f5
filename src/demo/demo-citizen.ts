/**
 * Demo mode's citizen data: a consent in the simulated consent service, a consent-based agreement
 * for it to matter under, a block, and one emergency override in the audit log.
 * Seeded once (when no block exists yet); README "The citizen's side" uses each.
 */
import type { ConsentResourceInput } from '../../adapters/consent/index.js';

export const DEMO_CITIZEN = {
  noah: '0209144026',
  emma: '1503124013',
  /** Sundhedsplejen, Aalborg Kommune: looks up child psychiatry under the parents' consent. */
  healthVisitorsAalborg: '9520031000016003',
  childPsychiatry: '9500031000016003',
  /** Lægepraksis Vestergaard: blocked by Noah's custody-holder. */
  gpVestergaard: '9510431000016003',
} as const;

export const DEMO_CONSENTS: readonly ConsentResourceInput[] = [
  {
    id: 'demo-consent-noah-sundhedspleje',
    patientCpr: DEMO_CITIZEN.noah,
    givenBy: { relationship: 'custody-holder', name: 'Mette Jensen' },
    purposes: ['coordinated-care'],
    recipients: [DEMO_CITIZEN.healthVisitorsAalborg],
    custodians: [DEMO_CITIZEN.childPsychiatry],
    validFrom: '2026-01-01T00:00:00Z',
    validTo: null,
  },
];

