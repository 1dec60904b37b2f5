/** Danish identifier systems, tolerant recognition of slightly wrong system URIs. The identifier rules are the domain's. */
import { isCpr, isReplacementCpr, isValidGln, isValidSorCode, REPLACEMENT_CPR_ARC, SYSTEM as DOMAIN_SYSTEM } from '../../domain/identifiers.js';

export const SYSTEM = {
  cpr: DOMAIN_SYSTEM.cpr,
  sor: DOMAIN_SYSTEM.sor,
  gln: DOMAIN_SYSTEM.gln,
  ydernummer: DOMAIN_SYSTEM.ydernummer,
} as const;

export type IdentifierKind = 'cpr' | 'replacement-cpr' | 'sor' | 'gln' | 'ydernummer' | 'other';

export interface RecognisedSystem {
  readonly kind: IdentifierKind;
  /** True when the system was recognised but not written as the profile says. */
  readonly irregular: boolean;
}

/** Recognises a system URI, accepting a missing `urn:oid:`, a trailing slash, `http:` for gs1, case. */
export function recogniseSystem(system: string | undefined): RecognisedSystem {
  if (!system) return { kind: 'other', irregular: false };
  const canonical = [SYSTEM.cpr, SYSTEM.sor, SYSTEM.gln, SYSTEM.ydernummer] as string[];
  const exact = canonical.indexOf(system);
  if (exact >= 0) return { kind: (['cpr', 'sor', 'gln', 'ydernummer'] as const)[exact] ?? 'other', irregular: false };
  if (system.startsWith(`urn:oid:${REPLACEMENT_CPR_ARC}`)) return { kind: 'replacement-cpr', irregular: false };
  const loose = system.trim().toLowerCase().replace(/\/+$/, '').replace(/^urn:oid:/, '').replace(/^oid:/, '');
  if (loose === '1.2.208.176.1.2') return { kind: 'cpr', irregular: true };
  if (loose === '1.2.208.176.1.1') return { kind: 'sor', irregular: true };
  if (loose === '1.2.208.176.1.4') return { kind: 'ydernummer', irregular: true };
  if (loose.startsWith(REPLACEMENT_CPR_ARC)) return { kind: 'replacement-cpr', irregular: true };
  if (/^https?:\/\/(www\.)?gs1\.org\/gln$/.test(loose)) return { kind: 'gln', irregular: true };
  return { kind: 'other', irregular: false };
}

export { isValidGln };

export function isSorCode(value: string): boolean {
  return isValidSorCode(value);
}

/** CPR format: 10 digits and a real date. Modulus 11 is deliberately not checked (many valid CPRs fail it). */
export function looksLikeCpr(value: string): boolean {
  return isCpr(value);
}

/** Replacement CPR: a real day and month, then four digits or letters, at least one a letter. */
export function looksLikeReplacementCpr(value: string): boolean {
  return isReplacementCpr(value);
}
