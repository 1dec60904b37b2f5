import { describe, expect, it } from 'vitest';
import { isValidSorCode, sorCodeFromItem } from './sor-code.js';

describe('SOR codes', () => {
  it.each(['8321000016007', '347831000016005', '311000016009', '1053851000016007', '11000016002'])('accepts the real code %s', (code) => {
    expect(isValidSorCode(code)).toBe(true);
  });

  it.each(['1000016002', '8321000017007', '08321000016007', '1234567891000016007', '8321000016007 '])('rejects %s', (code) => {
    expect(isValidSorCode(code)).toBe(false);
  });

  it('builds codes in the SOR namespace from item numbers', () => {
    expect(sorCodeFromItem(832, 7)).toBe('8321000016007');
    expect(isValidSorCode(sorCodeFromItem(99_999_999))).toBe(true);
    expect(() => sorCodeFromItem(0)).toThrow(RangeError);
  });
});
