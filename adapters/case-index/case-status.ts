import type { CaseStatus } from '../source.js';

/**
 * SagDok progress status (FremdriftStatusKode) -> CaseStatus. Codes are compared without case:
 * the 1.2.4 schema spells them `Opstaaet`, other systems `OPSTAAET`.
 *   Opstaaet (arisen, e.g. a notification received)      -> referred
 *   Oplyst (being investigated, the child's examination) -> assessment
 *   Afgjort, Besluttet, Vedtaget, Bestilt, Udfoert       -> open (decided; measures running)
 *   Afsluttet                                            -> closed
 */
export function mapProgressStatus(code: string): CaseStatus | undefined {
  switch (code.trim().toUpperCase()) {
    case 'OPSTAAET':
      return 'referred';
    case 'OPLYST':
      return 'assessment';
    case 'AFGJORT':
    case 'BESLUTTET':
    case 'VEDTAGET':
    case 'BESTILT':
    case 'UDFOERT':
      return 'open';
    case 'AFSLUTTET':
      return 'closed';
    default:
      return undefined;
  }
}

const SENSITIVITIES = [
  'IKKE_FORTROLIGE_DATA',
  'FORTROLIGE_PERSONOPLYSNINGER',
  'FOELSOMME_PERSONOPLYSNINGER',
  'VIP_SAGER',
] as const;
export type IndexSensitivity = (typeof SENSITIVITIES)[number];

export function mapSensitivity(code: string | undefined): IndexSensitivity | null {
  const upper = code?.trim().toUpperCase();
  return SENSITIVITIES.find((s) => s === upper) ?? null;
}

/** KLE filter: `27.24` or `27.24.*` matches `27.24.00`; `17.*` matches the whole main group. */
export function kleMatches(kle: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    const prefix = p.replace(/\.?\*$/, '');
    return kle === prefix || kle.startsWith(`${prefix}.`);
  });
}
