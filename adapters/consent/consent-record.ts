/**
 * A consent as the national consent service (Digitalt Samtykke) records it, mapped to plain
 * values. Structurally the broker's `Consent` (src/citizen/consent.ts); adapters never import src/.
 */
export interface ConsentRecord {
  readonly id: string;
  readonly givenBy: { readonly relationship: 'custody-holder' | 'self' | 'unknown'; readonly name: string | null };
  readonly purposes: readonly string[];
  readonly recipients: readonly string[];
  readonly custodians: readonly string[];
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly withdrawnAt: string | null;
}

export type ConsentOutcome =
  | { readonly status: 'ok'; readonly consents: readonly ConsentRecord[]; readonly notes: readonly string[] }
  | { readonly status: 'unavailable' | 'error'; readonly reason: string };

/** The code systems the FHIR profile uses (see README.md). */
export const CONSENT_SYSTEMS = {
  /** Our purposes of use, as the broker's tokens and agreements name them. */
  purposeOfUse: 'https://broker.example.dk/fhir/CodeSystem/purpose-of-use',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
} as const;

/** HL7 v3 ParticipationType: IRCP information recipient; CST custodian (who holds and discloses). */
export const ACTOR_ROLE = { recipient: 'IRCP', custodian: 'CST' } as const;
