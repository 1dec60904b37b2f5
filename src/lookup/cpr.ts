/**
 * CPR numbers as the broker accepts them. Since 2007 many valid CPR numbers fail the old
 * modulus-11 check, so only format and date are checked, never modulus 11. Replacement CPR
 * numbers (erstatningspersonnumre, e.g. `3101057JC9`) carry letters in the serial part.
 */

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
 * Parses a CPR or replacement CPR (a dash after the date is allowed and dropped). Returns null
 * for anything else; callers answer with a validation problem that does not echo the value.
 */
export function parsePersonIdentifier(input: string): PersonIdentifier | null {
  const value = input.trim().replace(/^(\d{6})-/, '$1');
  const cpr = /^(\d{2})(\d{2})(\d{2})(\d)(\d{3})$/.exec(value);
  if (cpr) {
    const [dd, mm, yy, seventh] = [Number(cpr[1]), Number(cpr[2]), Number(cpr[3]), Number(cpr[4])];
    const year = century(seventh, yy) + yy;
    if (!isDate(year, mm, dd)) return null;
    const birthDate = `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
    return { kind: 'cpr', value, birthDate };
  }
  // Replacement numbers keep a real day and month; the year's century is not encoded, so
  // 29 February is allowed in any year.
  const replacement = /^(\d{2})(\d{2})(\d{2})\d[A-Z]{2}\d$/.exec(value.toUpperCase());
  if (replacement) {
    const [dd, mm] = [Number(replacement[1]), Number(replacement[2])];
    if (!isDate(2000, mm, dd)) return null;
    return { kind: 'replacement-cpr', value: value.toUpperCase() };
  }
  return null;
}
