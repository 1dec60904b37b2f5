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

describe('recogniseSystem: identifier-system variants seen in real messages', () => {
  it.each([
    // system as written, kind, irregular
    ['urn:oid:1.2.208.176.1.1', 'sor', false],
    ['1.2.208.176.1.1', 'sor', true], // OID without urn:oid:
    ['urn:oid:1.2.208.176.1.1/', 'sor', true],
    ['URN:OID:1.2.208.176.1.1', 'sor', true],
    ['urn:oid:1.2.208.176.11', 'sor', true], // a separator missing
    ['urn:oid:1220817611', 'sor', true], // every separator missing
    ['urn:oid1.2.208.176.1.1', 'sor', true], // one character missing: the prefix colon
    ['urn:oi:1.2.208.176.1.1', 'sor', true], // one character missing in the prefix
    ['urn:oid:1.2.28.176.1.1', 'sor', true], // one digit missing
    ['oid:1.2.208.176.1.1', 'sor', true],
    ['urn:oid:1.2.208.176.1.', 'other', false], // SOR, CPR or ydernummer with its last digit missing: ambiguous
    ['urn:oid:1.2.208.176.1', 'other', false], // the parent arc
    ['urn:oid:1.2.208.176.1.22', 'other', false],
    ['urn:oid:1.2.208.176.1.2', 'cpr', false],
    ['1.2.208.176.1.2', 'cpr', true],
    ['urn:oid:1.2.208.176.12', 'cpr', true],
    ['urn:oid:1.2.208.176.1.4', 'ydernummer', false],
    ['urn:oid:1.2.208.176.1.6.1.1', 'replacement-cpr', false], // X-eCPR
    ['urn:oid:1.2.208.176.1.6.1.3', 'replacement-cpr', false], // D-eCPR
    ['urn:oid:1.2.208.176.1.6.1.3.177', 'replacement-cpr', false], // with the issuer suffix (R-Tek-B)
    ['1.2.208.176.1.6.1.3.177', 'replacement-cpr', true],
    ['urn:oid:1.2.208.176.1.6.1.', 'other', false],
    ['https://www.gs1.org/gln', 'gln', false],
    ['http://www.gs1.org/gln/', 'gln', true],
    ['https://gs1.org/gln', 'gln', true],
    ['www.gs1.org/gln', 'gln', true],
    ['urn:oid:1.3.88', 'gln', true], // GS1's OID for the GLN
    ['http://www.rm.dk/ColumnaPractitionerRoles', 'other', false], // a local role code system (Columna CIS)
    ['http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ', 'other', false],
    ['https://sor2.sum.dsdn.dk/#id=441211000016000', 'other', false],
    ['', 'other', false],
  ])('%j -> %s (irregular %s)', (system, kind, irregular) => {
    expect(recogniseSystem(system)).toEqual({ kind, irregular });
  });

  it.each([
    // an irregular system is only trusted when the value has that system's shape
    ['1.2.208.176.1.1', '441211000016000', 'sor'],
    ['urn:oid:1.2.208.176.11', '330461000016004', 'sor'],
    ['urn:oid:1.2.208.176.11', '0101201234', 'other'], // a CPR-shaped value under a damaged SOR system
    ['1.2.208.176.1.2', '0101201234', 'cpr'],
    ['1.2.208.176.1.2', '441211000016000', 'other'],
    ['http://www.gs1.org/gln', '5790001353308', 'gln'],
    ['http://www.gs1.org/gln', '57900013533', 'other'],
    ['1.2.208.176.1.6.1.1', '0101017AB1', 'replacement-cpr'],
    // a regular system is not second-guessed: the validator judges the value
    ['urn:oid:1.2.208.176.1.1', 'x', 'sor'],
  ])('%j with value %j -> %s', (system, value, kind) => {
    expect(recogniseSystem(system, value).kind).toBe(kind);
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
