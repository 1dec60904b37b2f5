/**
 * Demo mode's citizen data: a consent in the simulated consent service, a consent-based agreement
 * for it to matter under, a block, and one emergency override in the audit log.
 * Seeded once (when no block exists yet); README "The citizen's side" uses each.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ConsentResourceInput } from '../../adapters/consent/index.js';
import type { Database } from '../../db/schema/index.js';
import type { AgreementRecord } from '../agreements/model.js';
import { insertAgreement } from '../agreements/store.js';
import { createAuditWriter } from '../audit/audit-writer.js';
import { insertBlock } from '../citizen/blocks-store.js';
import { DEMO_ISSUER } from './demo-issuer.js';

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


/** Sundhedsplejen Aalborg may look up child psychiatry under the parents' consent (Digitalt Samtykke). */
export const DEMO_CONSENT_AGREEMENT_ID = '5c0a9e2b-7d41-4f8e-9b6a-2e3f4a5b6c7d';

function consentAgreement(at: string): AgreementRecord {
  return {
    id: DEMO_CONSENT_AGREEMENT_ID,
    versions: [
      {
        id: DEMO_CONSENT_AGREEMENT_ID,
        version: 1,
        status: 'active',
        amends: null,
        title: 'Sundhedsplejen, Aalborg Kommune og Børne- og Ungdomspsykiatrien (med forældrenes samtykke)',
        sideA: { parties: [{ kind: 'unit', sor: DEMO_CITIZEN.healthVisitorsAalborg }], approvingOrganisationSor: '9520011000016001' },
        sideB: { parties: [{ kind: 'subtree', sor: DEMO_CITIZEN.childPsychiatry }], approvingOrganisationSor: '9500011000016001' },
        dataElements: ['case-existence', 'contact-details'],
        direction: 'a-to-b',
        purposes: ['coordinated-care'],
        roles: ['clinician'],
        minimumAssurance: 'substantial',
        legalBasis: { code: 'consent-digitalt-samtykke', reference: 'Samtykke registreret i Digitalt Samtykke (demo)' },
        period: { validFrom: '2025-01-01', validTo: null },
        approvals: [
          { side: 'a', approvedBy: 'demo#citizen', actingForSor: '9520011000016001', approvedAt: at, version: 1 },
          { side: 'b', approvedBy: 'demo#citizen', actingForSor: '9500011000016001', approvedAt: at, version: 1 },
        ],
      },
    ],
  };
}

export const DEMO_OVERRIDE_REASON = 'Akut indlæggelse efter selvskade; behov for kontakt til behandlende psykiater';

/**
 * Once (when no block exists yet): the consent-based agreement, Noah's custody-holder's block on
 * Lægepraksis Vestergaard, and one emergency override by a clinician there, written to the audit
 * chain as the lookup would write it, so the citizen's log and the anomaly review show one.
 */
export async function seedDemoCitizen(db: Kysely<Database>, logger: Logger): Promise<void> {
  const existing = await db.selectFrom('citizen_block').select('id').limit(1).execute();
  if (existing.length > 0) return;
  const at = new Date();
  const hasAgreement = await db.selectFrom('agreement').select('id').where('id', '=', DEMO_CONSENT_AGREEMENT_ID).executeTakeFirst();
  if (!hasAgreement) await insertAgreement(db, consentAgreement(at.toISOString()), at);
  const block = await insertBlock(db, {
    childCpr: DEMO_CITIZEN.noah,
    target: { kind: 'organisation', sor: DEMO_CITIZEN.gpVestergaard },
    validFrom: new Date(at.getTime() - 7 * 86_400_000),
    validTo: null,
    reason: 'Ønsker ikke at lægepraksis Vestergaard ser Noahs helbredsoplysninger',
    createdAs: 'custody-holder',
    at,
  });
  const audit = createAuditWriter(db);
  await audit.write({
    kind: 'lookup',
    outcome: 'success',
    // Recent enough for the anomaly review's lookback window (48 hours by default).
    occurredAt: new Date(at.getTime() - 3 * 3_600_000),
    requestId: 'demo-emergency-override',
    actor: { issuer: DEMO_ISSUER, subject: 'demo-dr-vestergaard', displayName: 'Peter Vestergaard', role: 'clinician', organisationSor: DEMO_CITIZEN.gpVestergaard, assurance: 'high', callingSystem: null },
    purpose: 'treatment',
    reason: 'Akut henvendelse i lægevagten',
    patientCpr: DEMO_CITIZEN.noah,
    details: {
      personRegister: { status: 'found' },
      namedOrganisations: [DEMO_CITIZEN.childPsychiatry],
      unservedOrganisations: [],
      kinds: ['child-psychiatry'],
      deadlineMs: 3000,
      durationMs: 120,
      override: { reason: DEMO_OVERRIDE_REASON, overriddenBlocks: [block.id], sources: ['rn-child-psychiatry'] },
      sources: [
        {
          sourceId: 'rn-child-psychiatry', kind: 'child-psychiatry', organisation: DEMO_CITIZEN.childPsychiatry, via: 'named', status: 'found', reason: null, deniedBecause: null,
          agreements: [], dataElementsReturned: ['case-existence', 'contact-details'], cases: 1, durationMs: 110, overriddenBlocks: [block.id],
        },
      ],
    },
  });
  await audit.drain();
  logger.info('demo: a consent-based agreement, a block and an emergency override seeded');
}
