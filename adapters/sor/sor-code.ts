/**
 * SOR codes are SNOMED CT extension ids in SOR's namespace `1000016`: a running item number,
 * the 7-digit namespace, a 2-digit partition and a check digit. The shortest possible code is
 * `11000016002` (11 digits); real ones seen: `311000016009` (12, Aarhus Kommune),
 * `8321000016007` (13, ONE_PRAKSIS.xml), `347831000016005` (15), `1053851000016007` (16).
 * SNOMED allows at most 18 digits. The check digit is not verified: several real codes in the
 * samples fail the Verhoeff check that SNOMED ids would pass, so rejecting them would reject SOR.
 */
const SOR_CODE = /^[1-9]\d{0,7}1000016\d{3}$/;

export function isValidSorCode(value: string): boolean {
  return SOR_CODE.test(value);
}

/** Builds a SOR-shaped code from a running item number (partition 00), for generators. */
export function sorCodeFromItem(item: number, checkDigit = item % 10): string {
  if (!Number.isSafeInteger(item) || item < 1 || item > 99_999_999) {
    throw new RangeError('SOR item numbers run from 1 to 99999999');
  }
  return `${item}100001600${checkDigit}`;
}
