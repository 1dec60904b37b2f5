/**
 * The maintained list of legal bases a sharing agreement may cite. An agreement carries one of
 * these codes plus a free-text reference (journal number, the exact stk./nr. relied on).
 *
 * Section numbers: `verified: true` means the section was checked against the consolidated act
 * text named in `source`; `verified: false` means the provision is certain but its number in the
 * current consolidation must be confirmed by the legal team before the list is published.
 * Barnets lov (in force 1 January 2024) took over the child-related rules of serviceloven, with
 * new section numbers, so both are named where the old number is still what practitioners say.
 */

export interface LegalBasis {
  readonly code: string;
  /** Short Danish label as used in agreement documents. */
  readonly label: string;
  /** English gloss for operators. */
  readonly description: string;
  /** True when the basis rests on the parent's (or young person's) consent. */
  readonly consentBased: boolean;
  /**
   * True when the law lets the data be shared without consent (and against the citizen's wish):
   * a citizen's block (spærring) does not stop a lookup under such a basis. See the README,
   * "The citizen's side".
   */
  readonly withoutConsent: boolean;
  readonly verified: boolean;
  readonly source: string;
}

export const LEGAL_BASES = [
  {
    code: 'barnets-lov-early-preventive-exchange',
    label: 'Barnets lov: udveksling af oplysninger uden samtykke i det tidlige forebyggende samarbejde',
    description:
      'Exchange of information on purely private matters about a vulnerable child, without ' +
      'consent, when necessary for early or preventive cooperation (formerly serviceloven § 49 a).',
    consentBased: false,
    withoutConsent: true,
    verified: false,
    source: 'Serviceloven § 49 a (LBK nr. 810 af 19/07/2012), carried over into barnets lov; section number to confirm',
  },
  {
    code: 'barnets-lov-126-boernehus',
    label: 'Barnets lov § 126: udveksling af oplysninger i en børnehussag',
    description:
      'Exchange between the children\'s house, police, health authorities, authorised health ' +
      'professionals and municipal authorities during a case where a children\'s house is used.',
    consentBased: false,
    withoutConsent: true,
    verified: true,
    source: 'LBK nr. 282 af 17/03/2025 (barnets lov) § 126, formerly serviceloven § 50 c',
  },
  {
    code: 'barnets-lov-notification-duty',
    label: 'Barnets lov § 133: underretningspligt (tidl. serviceloven § 153)',
    description:
      'Professionals\' duty to notify the municipality when a child may need special support; ' +
      'covers writing to the children/family department.',
    consentBased: false,
    withoutConsent: true,
    // § 133 is what lov nr. 1544 af 12/12/2023 § 2, nr. 7 cites ("forskrifter om underretningspligt,
    // der udstedes efter § 133, stk. 3"); the consolidated text itself is still to be read.
    verified: false,
    source: 'Barnets lov § 133 (lov nr. 721 af 13/06/2023, as cited by lov nr. 1544 af 12/12/2023 § 2, nr. 7), formerly serviceloven § 153',
  },
  {
    code: 'sundhedsloven-41',
    label: 'Sundhedsloven § 41: videregivelse af helbredsoplysninger til sundhedspersoner',
    description:
      'Disclosure of health information to other health professionals in connection with ' +
      'treatment (consent, or the exceptions in stk. 2).',
    consentBased: false,
    withoutConsent: false,
    verified: false,
    source: 'Sundhedsloven § 41',
  },
  {
    code: 'sundhedsloven-43',
    label: 'Sundhedsloven § 43: videregivelse af helbredsoplysninger til andre formål',
    description:
      'Disclosure of health information for purposes other than treatment, e.g. to social ' +
      'authorities (consent, or the exceptions in stk. 2 such as the duty to notify).',
    consentBased: false,
    withoutConsent: false,
    verified: false,
    source: 'Sundhedsloven § 43',
  },
  {
    code: 'consent-digitalt-samtykke',
    label: 'Samtykke registreret i Digitalt Samtykke',
    description:
      'The parent\'s (or the young person\'s) consent, recorded in the state\'s Digitalt ' +
      'Samtykke service; the lookup must check the consent exists for the child.',
    consentBased: true,
    withoutConsent: false,
    verified: true,
    source: 'Digitalt Samtykke (national consent service)',
  },
] as const satisfies readonly LegalBasis[];

export type LegalBasisCode = (typeof LEGAL_BASES)[number]['code'];

const BY_CODE: ReadonlyMap<string, LegalBasis> = new Map(LEGAL_BASES.map((b) => [b.code, b]));

export function isLegalBasisCode(code: string): code is LegalBasisCode {
  return BY_CODE.has(code);
}

export function legalBasis(code: string): LegalBasis | undefined {
  return BY_CODE.get(code);
}
