import { describe, expect, it } from 'vitest';
import { glnCheckDigit, isValidGln, withGlnCheckDigit } from './identifiers.js';

describe('GLN / EAN location numbers', () => {
  it.each(['5790001348120', '5790000141227', '5790002021442', '5790002288289'])('accepts the real MedCom address %s', (ean) => {
    expect(isValidGln(ean)).toBe(true);
  });

  it('computes the check digit of real numbers', () => {
    expect(glnCheckDigit('579000134812')).toBe(0);
    expect(glnCheckDigit('579000014122')).toBe(7);
    expect(withGlnCheckDigit('579000202144')).toBe('5790002021442');
  });

  it.each([
    ['a wrong check digit', '5790001348121'],
    ['12 digits', '579000134812'],
    ['14 digits', '57900013481200'],
    ['letters', '579000134812O'],
    ['spaces', ' 5790001348120'],
  ])('rejects %s', (_label, value) => {
    expect(isValidGln(value)).toBe(false);
  });

  it('refuses to compute a check digit for anything but 12 digits', () => {
    expect(() => glnCheckDigit('57900013481')).toThrow(RangeError);
  });
});
