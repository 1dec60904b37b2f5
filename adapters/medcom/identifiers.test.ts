import { describe, expect, it } from 'vitest';
import { isValidGln, recogniseSystem } from './identifiers.js';
import { readDateTime } from './datetime.js';

describe('isValidGln', () => {
  it('accepts the GLNs of the real samples and rejects a wrong check digit', () => {
    for (const gln of ['5790001348120', '5790000173174', '5790000120048', '5790002015748', '5790001382445']) {
      expect(isValidGln(gln)).toBe(true);
    }
    expect(isValidGln('5790001348121')).toBe(false);
    expect(isValidGln('579000134812')).toBe(false);
    expect(isValidGln('579000134812X')).toBe(false);
  });
});

describe('recogniseSystem', () => {
  it.each([
    ['urn:oid:1.2.208.176.1.2', 'cpr', false],
    ['1.2.208.176.1.2', 'cpr', true],
    ['urn:oid:1.2.208.176.1.1/', 'sor', true],
    ['https://www.gs1.org/gln', 'gln', false],
    ['http://www.gs1.org/gln/', 'gln', true],
    ['urn:oid:1.2.208.176.1.6.1.1', 'replacement-cpr', false],
    ['urn:oid:1.2.208.176.1.6.1.3', 'replacement-cpr', false],
    ['urn:oid:1.2.208.176.1.22', 'other', false],
  ])('%s -> %s', (system, kind, irregular) => {
    expect(recogniseSystem(system)).toEqual({ kind, irregular });
  });
});

describe('readDateTime', () => {
  it('keeps a regular value untouched', () => {
    expect(readDateTime('2026-06-17T09:16:01+02:00', 'x')).toEqual({ value: '2026-06-17T09:16:01+02:00' });
    expect(readDateTime('2024-12-05T11:09:00Z', 'x')).toEqual({ value: '2024-12-05T11:09:00Z' });
  });
  it('repairs what is unambiguous and says so', () => {
    expect(readDateTime('2026-06-17T09:16+0200', 'x')).toEqual({
      value: '2026-06-17T09:16:00+02:00',
      note: 'x: seconds missing, offset written without colon or minutes',
    });
    expect(readDateTime('2026-06-17T09:16:01.123456789Z', 'x').value).toBe('2026-06-17T09:16:01.123Z');
  });
  it('flags what it cannot read', () => {
    expect(readDateTime('17-06-2026 09:16', 'x').note).toBe('x: not a recognisable dateTime');
    expect(readDateTime('2026-06-17T09:16:01', 'x').note).toBe('x: no time zone offset');
  });
});
