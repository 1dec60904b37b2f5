/** SOR codes for SOR's own files: the rule is the domain's; the generator builds codes for tests and benches. */
import { isValidSorCode } from '../../domain/identifiers.js';

export { isValidSorCode };

/** Builds a SOR-shaped code from a running item number (partition 00), for generators. */
export function sorCodeFromItem(item: number, checkDigit = item % 10): string {
  if (!Number.isSafeInteger(item) || item < 1 || item > 99_999_999) {
    throw new RangeError('SOR item numbers run from 1 to 99999999');
  }
  return `${item}100001600${checkDigit}`;
}
