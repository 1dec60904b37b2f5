/** Danish identifier systems, tolerant recognition of slightly wrong system URIs, GLN check digit. */

export const SYSTEM = {
  cpr: 'urn:oid:1.2.208.176.1.2',
  sor: 'urn:oid:1.2.208.176.1.1',
  gln: 'https://www.gs1.org/gln',
  ydernummer: 'urn:oid:1.2.208.176.1.4',
} as const;

/** Replacement CPR (erstatningspersonnummer) systems are issued under this OID arc, with suffixes. */
const REPLACEMENT_CPR_ARC = '1.2.208.176.1.6.1.';
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
const VALUE_SHAPE: Readonly<Record<Exclude<IdentifierKind, 'other'>, RegExp>> = {
  cpr: /^\d{10}$/,
  'replacement-cpr': /^[0-9A-Z]{10}$/i,
  sor: /^\d{13,18}$/,
  gln: /^\d{13}$/,
  ydernummer: /^\d{5,6}$/,
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
  if (trimmedValue !== undefined && !VALUE_SHAPE[kind].test(trimmedValue)) return { kind: 'other', irregular: false };
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
