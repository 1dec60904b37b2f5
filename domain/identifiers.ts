/**
 * The Danish identifiers the broker works with, defined once for src/ and adapters/ alike
 * (DOMAIN.md, Identifiers): CPR and replacement CPR numbers, SOR codes, EAN/GLN location numbers,
 * and the FHIR systems that carry them. Pure functions, no I/O.
 */

/** FHIR identifier systems as the profiles write them. */
export const SYSTEM = {
  cpr: 'urn:oid:1.2.208.176.1.2',
  /** X-eCPR, the replacement CPR system most often seen; others sit under the same arc. */
  replacementCpr: 'urn:oid:1.2.208.176.1.6.1.1',
  sor: 'urn:oid:1.2.208.176.1.1',
  gln: 'https://www.gs1.org/gln',
  ydernummer: 'urn:oid:1.2.208.176.1.4',
  municipalityCode: 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes',
} as const;

/** Replacement CPR (erstatningspersonnummer) systems are issued under this OID arc. */
export const REPLACEMENT_CPR_ARC = '1.2.208.176.1.6.1.';

// ---- CPR and replacement CPR ---------------------------------------------------------------

export type PersonIdentifier =
  | { readonly kind: 'cpr'; readonly value: string; readonly birthDate: string }
  | { readonly kind: 'replacement-cpr'; readonly value: string };

/** The century of a CPR number from its 7th digit and year, per the CPR office's table. */
function century(seventh: number, yy: number): number {
  if (seventh <= 3) return 1900;
  if (seventh === 4 || seventh === 9) return yy <= 36 ? 2000 : 1900;
  return yy <= 57 ? 2000 : 1800;
}

function isDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= last;
}

/**
 * Parses a CPR or replacement CPR number; a dash after the date is allowed and dropped, letters
 * are upper-cased. Returns null for anything else (callers answer with a problem that does not
 * echo the value).
 *
 * - CPR: DDMMYYSSSS, a real date. Modulus 11 is never checked: since 2007 many valid CPR numbers
 *   fail it.
 * - Replacement CPR: a real day and month, then four digits or letters of which at least one is
 *   a letter. Regions and municipalities issue them in more than one structure (`3101057JC9`,
 *   `0703921VJ5`; MedCom's test protocol says so), so the serial part is not narrowed further.
 *   The century is not encoded, so 29 February is allowed in any year.
 */
export function parsePersonIdentifier(input: string): PersonIdentifier | null {
  const value = input.trim().toUpperCase().replace(/^(\d{6})-/, '$1');
  const cpr = /^(\d{2})(\d{2})(\d{2})(\d)(\d{3})$/.exec(value);
  if (cpr) {
    const [dd, mm, yy, seventh] = [Number(cpr[1]), Number(cpr[2]), Number(cpr[3]), Number(cpr[4])];
    const year = century(seventh, yy) + yy;
    if (!isDate(year, mm, dd)) return null;
    const birthDate = `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
    return { kind: 'cpr', value, birthDate };
  }
  const replacement = /^(\d{2})(\d{2})\d{2}(?=[0-9A-Z]*[A-Z])[0-9A-Z]{4}$/.exec(value);
  if (replacement) {
    const [dd, mm] = [Number(replacement[1]), Number(replacement[2])];
    if (!isDate(2000, mm, dd)) return null;
    return { kind: 'replacement-cpr', value };
  }
  return null;
}

export const isCpr = (value: string): boolean => parsePersonIdentifier(value)?.kind === 'cpr';
export const isReplacementCpr = (value: string): boolean => parsePersonIdentifier(value)?.kind === 'replacement-cpr';

// ---- SOR codes -----------------------------------------------------------------------------

/**
 * SOR codes are SNOMED CT extension ids in SOR's namespace `1000016`: a running item number,
 * the 7-digit namespace, a 2-digit partition and a check digit. The shortest possible code is
 * `11000016002` (11 digits); real ones seen: `311000016009` (12, Aarhus Kommune),
 * `8321000016007` (13, ONE_PRAKSIS.xml), `347831000016005` (15), `1053851000016007` (16).
 * SNOMED allows at most 18 digits. The check digit is not verified: several real codes in the
 * samples fail the Verhoeff check that SNOMED ids would pass, so rejecting them would reject SOR.
 */
const SOR_CODE = /^[1-9]\d{0,7}1000016\d{3}$/;

/** A code as SOR publishes it. */
export function isValidSorCode(value: string): boolean {
  return SOR_CODE.test(value);
}

/**
 * Codes the broker gives the local units a municipality registers below its SOR entity: `99`
 * and 16 digits, outside SOR's namespace so that they can never collide with a real SOR code.
 */
const LOCAL_UNIT_CODE = /^99\d{16}$/;

export function isLocalUnitCode(value: string): boolean {
  return LOCAL_UNIT_CODE.test(value);
}

export function localUnitCode(sequence: number | bigint | string): string {
  return `99${String(sequence).padStart(16, '0')}`;
}

/**
 * What names an organisation in the broker's API and tokens: 11 to 18 digits, the span of SOR
 * codes and local units' codes together. Deliberately not the namespace check: whether the code
 * is an organisation is the directory's answer (an unknown code is not found or denied), and test
 * and demo directories use codes outside SOR's namespace.
 */
export function isOrganisationCode(value: string): boolean {
  return /^\d{11,18}$/.test(value);
}

// ---- EAN/GLN location numbers (MedCom addresses) -------------------------------------------

/** Check digit for the first 12 digits of a GLN (weights 1,3,1,3,... from the left); throws on anything but 12 digits. */
export function glnCheckDigit(first12: string): number {
  if (!/^\d{12}$/.test(first12)) throw new RangeError('A GLN check digit needs exactly 12 digits');
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** True for 13 digits whose last digit is the GS1 check digit of the first 12. */
export function isValidGln(value: string): boolean {
  if (!/^\d{13}$/.test(value)) return false;
  return glnCheckDigit(value.slice(0, 12)) === Number(value[12]);
}

/** Completes 12 digits into a valid GLN (for generators and test builders). */
export function withGlnCheckDigit(first12: string): string {
  return first12 + String(glnCheckDigit(first12));
}
