import { describe, expect, it } from 'vitest';
import { isLocalUnitCode, isOrganisationCode, isValidSorCode, localUnitCode, parsePersonIdentifier } from './identifiers.js';

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

  // Structures seen in MedCom's test protocol examples and the demo data.
  it.each([['3101057JC9'], ['1208117KD4'], ['1208117kd4'], ['0703921VJ5'], ['1206550VK8'], ['010101ABCD'], ['0101011A23']])('accepts replacement CPR %s', (input) => {
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
    ['replacement with punctuation', '310105-7J.9'],
    ['replacement too short', '3101057JC'],
  ])('refuses %s', (_why, input) => {
    expect(parsePersonIdentifier(input)).toBeNull();
  });
});

describe('SOR codes', () => {
  it.each(['8321000016007', '347831000016005', '311000016009', '1053851000016007', '11000016002'])('accepts the real code %s', (code) => {
    expect(isValidSorCode(code)).toBe(true);
    expect(isOrganisationCode(code)).toBe(true);
  });

  it.each(['1000016002', '8321000017007', '08321000016007', '1234567891000016007', '8321000016007 ', '123456'])('rejects %s as a SOR code', (code) => {
    expect(isValidSorCode(code)).toBe(false);
  });

  it.each([['123456', false], ['1000016002', false], ['8321000016007 ', false], ['1234567891000016007', false], ['8321000017007', true], ['100000000000010', true]])(
    'takes %s as an organisation code in the API: %s (the directory decides whether it exists)',
    (code, ok) => {
      expect(isOrganisationCode(code)).toBe(ok);
    },
  );

  it('gives local units codes outside SOR\'s namespace that the API still accepts', () => {
    const code = localUnitCode(42);
    expect(code).toBe('990000000000000042');
    expect(isValidSorCode(code)).toBe(false);
    expect(isLocalUnitCode(code)).toBe(true);
    expect(isOrganisationCode(code)).toBe(true);
    expect(isLocalUnitCode('9900000000000000421')).toBe(false);
  });
});

