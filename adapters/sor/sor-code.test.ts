import { describe, expect, it } from 'vitest';
import { isValidSorCode, sorCodeFromItem } from './sor-code.js';

describe('SOR code generator', () => {
  it('builds codes in the SOR namespace from item numbers', () => {
    expect(sorCodeFromItem(832, 7)).toBe('8321000016007');
    expect(isValidSorCode(sorCodeFromItem(99_999_999))).toBe(true);
    expect(() => sorCodeFromItem(0)).toThrow(RangeError);
  });
});
