/**
 * GS1 GLN/EAN-13 location numbers (MedCom addresses): 13 digits, the last a mod-10 check digit
 * over the first 12 with weights 1,3,1,3,... from the left.
 */

/** Check digit for the first 12 digits of a GLN; throws on anything but 12 digits. */
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
