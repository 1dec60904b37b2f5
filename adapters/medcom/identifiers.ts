/** Danish identifier systems, tolerant recognition of slightly wrong system URIs, GLN check digit. */

export const SYSTEM = {
  cpr: 'urn:oid:1.2.208.176.1.2',
  sor: 'urn:oid:1.2.208.176.1.1',
  gln: 'https://www.gs1.org/gln',
  ydernummer: 'urn:oid:1.2.208.176.1.4',
} as const;

/** Replacement CPR (erstatningspersonnummer) systems are issued under this OID arc. */
const REPLACEMENT_CPR_ARC = '1.2.208.176.1.6.1.';

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

/** GS1 mod-10 check digit over a 13-digit GLN/EAN location number. */
export function isValidGln(value: string): boolean {
  if (!/^\d{13}$/.test(value)) return false;
  const digits = [...value].map(Number);
  const check = digits.pop() ?? -1;
  const sum = digits.reverse().reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

export function isSorCode(value: string): boolean {
  return /^\d{13,18}$/.test(value);
}

/** CPR format: 10 digits. Modulus 11 is deliberately not checked (many valid CPRs fail it). */
export function looksLikeCpr(value: string): boolean {
  return /^\d{10}$/.test(value);
}

/** Replacement CPR: 10 characters, digits with letters allowed (e.g. positions 8-9). */
export function looksLikeReplacementCpr(value: string): boolean {
  return /^[0-9A-Z]{10}$/i.test(value) && /[A-Z]/i.test(value);
}
