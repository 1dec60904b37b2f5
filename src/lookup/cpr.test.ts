import { describe, expect, it } from 'vitest';
import { parsePersonIdentifier } from './cpr.js';

describe('parsePersonIdentifier', () => {
  it.each([
    ['0707614285', '1961-07-07'],
    ['070761-4285', '1961-07-07'],
    // Fails modulus 11 but is a valid CPR since 2007: accepted.
    ['0101001234', '1900-01-01'],
    ['1503124013', '2012-03-15'],
    ['2902405012', '2040-02-29'],
    ['0101584000', '1958-01-01'],
    ['0101585000', '1858-01-01'],
    ['3112369999', '2036-12-31'],
  ])('accepts %s (born %s)', (input, birthDate) => {
    expect(parsePersonIdentifier(input)).toMatchObject({ kind: 'cpr', birthDate });
  });

  it.each([['3101057JC9'], ['1208117KD4'], ['1208117kd4']])('accepts replacement CPR %s', (input) => {
    expect(parsePersonIdentifier(input)).toEqual({ kind: 'replacement-cpr', value: input.toUpperCase() });
  });

  it.each([
    ['too short', '070761428'],
    ['too long', '07076142851'],
    ['letters', '07O7614285'],
    ['day 32', '3201614285'],
    ['month 13', '0113614285'],
    ['31 April', '3104614285'],
    ['29 Feb in a non-leap year', '2902614285'],
    ['day 00', '0001614285'],
    ['replacement with impossible date', '3102057JC9'],
    ['empty', ''],
    ['spaces', '070761 4285'],
  ])('refuses %s', (_why, input) => {
    expect(parsePersonIdentifier(input)).toBeNull();
  });
});
