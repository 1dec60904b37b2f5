/** Danish identifier systems, tolerant recognition of slightly wrong system URIs. The identifier rules are the domain's. */
import { isCpr, isOrganisationCode, isReplacementCpr, isValidGln, isValidSorCode, REPLACEMENT_CPR_ARC, SYSTEM as DOMAIN_SYSTEM } from '../../domain/identifiers.js';

export const SYSTEM = {
  cpr: DOMAIN_SYSTEM.cpr,
  sor: DOMAIN_SYSTEM.sor,
  gln: DOMAIN_SYSTEM.gln,
  ydernummer: DOMAIN_SYSTEM.ydernummer,
} as const;

/** GS1's own OID for the GLN, which some systems write instead of the gs1.org URI. */
const GLN_OID = '1.3.88';

export type IdentifierKind = 'cpr' | 'replacement-cpr' | 'sor' | 'gln' | 'ydernummer' | 'other';

export interface RecognisedSystem {
  readonly kind: IdentifierKind;
  /** True when the system was recognised but not written as the profile says. */
  readonly irregular: boolean;
}

const OID_SYSTEMS: ReadonlyArray<{ readonly kind: 'cpr' | 'sor' | 'ydernummer'; readonly oid: string }> = [
  { kind: 'cpr', oid: '1.2.208.176.1.2' },
  { kind: 'sor', oid: '1.2.208.176.1.1' },
  { kind: 'ydernummer', oid: '1.2.208.176.1.4' },
];

/** What a value of each kind looks like: an irregular system is only trusted when the value fits. */
const VALUE_SHAPE: Readonly<Record<Exclude<IdentifierKind, 'other'>, (value: string) => boolean>> = {
  cpr: isCpr,
  'replacement-cpr': isReplacementCpr,
  sor: isOrganisationCode,
  gln: (v) => /^\d{13}$/.test(v),
  ydernummer: (v) => /^\d{5,6}$/.test(v),
};

const digitsOf = (oid: string): string => oid.replace(/\D/g, '');

/** True when `short` is `long` with exactly one character left out. */
function oneCharacterMissing(short: string, long: string): boolean {
  if (short.length !== long.length - 1) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}

/**
 * Recognises an identifier system as written by real senders (the tolerant-reader rule): exact
 * canonical systems are regular; an OID with or without `urn:oid:`, with separators missing or one
 * character missing, `http:` or a trailing slash for gs1, or GS1's OID, is recognised as irregular,
 * but only when exactly one known system fits and (when the value is given) the value has that
 * system's shape. Anything else is `other`: the caller treats it as absent.
 */
export function recogniseSystem(system: string | undefined, value?: string): RecognisedSystem {
  if (!system) return { kind: 'other', irregular: false };
  const exact = OID_SYSTEMS.find((s) => system === `urn:oid:${s.oid}`);
  if (exact) return { kind: exact.kind, irregular: false };
  if (system === SYSTEM.gln) return { kind: 'gln', irregular: false };
  if (system.startsWith(`urn:oid:${REPLACEMENT_CPR_ARC}`) && /^[\d.]+$/.test(system.slice(8)) && !system.endsWith('.')) {
    return { kind: 'replacement-cpr', irregular: false };
  }
  const kind = irregularKind(system.trim().toLowerCase().replace(/\/+$/, ''));
  if (kind === 'other') return { kind, irregular: false };
  const trimmedValue = value?.trim();
  if (trimmedValue !== undefined && !VALUE_SHAPE[kind](trimmedValue)) return { kind: 'other', irregular: false };
  return { kind, irregular: true };
}

function irregularKind(loose: string): IdentifierKind {
  if (/^(https?:\/\/)?(www\.)?gs1\.org\/gln$/.test(loose)) return 'gln';
  const bare = loose.replace(/^(urn:?oid:?|oid:?)/, '');
  if (bare === GLN_OID) return 'gln';
  if (bare.startsWith(REPLACEMENT_CPR_ARC) && /^[\d.]+$/.test(bare) && !bare.endsWith('.')) return 'replacement-cpr';
  const candidates = new Set<IdentifierKind>();
  for (const s of OID_SYSTEMS) {
    if (bare === s.oid) candidates.add(s.kind);
    // Separators left out ("1.2.208.176.11", "urn:oid:1220817611"): the same digits in the same order.
    else if (/^[\d.]+$/.test(bare) && digitsOf(bare) === digitsOf(s.oid)) candidates.add(s.kind);
    // One character missing anywhere, prefix included ("urn:oi:1.2.208.176.1.1", "urn:oid:1.2.28.176.1.1").
    else if (oneCharacterMissing(loose, `urn:oid:${s.oid}`) || oneCharacterMissing(bare, s.oid)) candidates.add(s.kind);
  }
  // "urn:oid:1.2.208.176.1." could be SOR, CPR or ydernummer: ambiguous, so not recognised.
  const [only, ...more] = [...candidates];
  return only && more.length === 0 ? only : 'other';
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
