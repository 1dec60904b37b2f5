import { cprSystemFor, SOR_SYSTEM } from '../fhir/identifiers.js';
import { ACTOR_ROLE, CONSENT_SYSTEMS } from './consent-record.js';

export interface ConsentResourceInput {
  readonly id: string;
  readonly patientCpr: string;
  readonly givenBy: { readonly relationship: 'custody-holder' | 'self'; readonly name: string };
  readonly purposes: readonly string[];
  readonly recipients: readonly string[];
  readonly custodians: readonly string[];
  readonly validFrom: string;
  readonly validTo?: string | null;
  /** Withdrawn: status `inactive`, recorded at this instant. */
  readonly withdrawnAt?: string | null;
}

const actor = (role: string, sor: string) => ({
  role: { coding: [{ system: CONSENT_SYSTEMS.participationType, code: role }] },
  reference: { type: 'Organization', identifier: { system: SOR_SYSTEM, value: sor } },
});

/** A FHIR R4 Consent as the consent service answers with it (the profile in README.md). */
export function consentResource(c: ConsentResourceInput): Record<string, unknown> {
  const withdrawn = c.withdrawnAt ?? null;
  return {
    resourceType: 'Consent',
    id: c.id,
    meta: { lastUpdated: withdrawn ?? c.validFrom },
    status: withdrawn ? 'inactive' : 'active',
    scope: { coding: [{ system: CONSENT_SYSTEMS.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { identifier: { system: cprSystemFor(c.patientCpr), value: c.patientCpr } },
    dateTime: c.validFrom,
    performer: [{ type: c.givenBy.relationship === 'self' ? 'Patient' : 'RelatedPerson', display: c.givenBy.name }],
    provision: {
      type: 'permit',
      period: { start: c.validFrom, ...(c.validTo ? { end: c.validTo } : {}) },
      actor: [...c.recipients.map((s) => actor(ACTOR_ROLE.recipient, s)), ...c.custodians.map((s) => actor(ACTOR_ROLE.custodian, s))],
      purpose: c.purposes.map((p) => ({ system: CONSENT_SYSTEMS.purposeOfUse, code: p })),
    },
  };
}
