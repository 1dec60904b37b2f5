import { describe, expect, it } from 'vitest';
import { MedComFormatError } from './errors.js';
import { readFhirMessage } from './fhir-message-read.js';
import { detectMessageFormat } from './message-format.js';
import { fixtureBytes } from '../../test/helpers/medcom-samples.js';

describe('detectMessageFormat', () => {
  it.each([
    ['EG_Clinea.json', { format: 'fhir-json', detail: 'Bundle' }],
    ['ack/Ack_3.4.4_A_AE.json', { format: 'fhir-json', detail: 'Bundle' }],
    ['Systematic_ColumnaCis.xml', { format: 'fhir-xml', detail: 'Bundle' }],
    ['ack/Ack_3.3.1.1_A-AA.xml', { format: 'fhir-xml', detail: 'Bundle' }],
    ['Flow1-XDIS91_Ex_to_FHIR.xml', { format: 'legacy-oioxml', detail: 'XDIS91' }],
    ['Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml', { format: 'legacy-oioxml', detail: 'XCTL03' }],
    ['vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml', { format: 'vans-envelope' }],
  ])('%s', (name, expected) => {
    expect(detectMessageFormat(fixtureBytes(name))).toEqual(expected);
  });

  it('says unknown for other things, and for XML with a DTD', () => {
    expect(detectMessageFormat('hello').format).toBe('unknown');
    expect(detectMessageFormat('{"a":1}')).toEqual({ format: 'unknown', detail: 'json-without-resource-type' });
    expect(detectMessageFormat('{not json')).toEqual({ format: 'unknown', detail: 'malformed-json' });
    expect(detectMessageFormat('<html><body/></html>')).toEqual({ format: 'unknown', detail: 'unrecognised-xml-root' });
    expect(detectMessageFormat('<!DOCTYPE x><x/>')).toEqual({ format: 'unknown', detail: 'xml-declaration-refused' });
  });

  it('sees through a byte-order mark and leading whitespace', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n  '), fixtureBytes('EG_Clinea.json')]);
    expect(detectMessageFormat(bytes).format).toBe('fhir-json');
  });
});

describe('readFhirMessage', () => {
  it('reads JSON and XML into the same shape', () => {
    expect(readFhirMessage(fixtureBytes('EG_Clinea.json')).encoding).toBe('json');
    const xml = readFhirMessage(fixtureBytes('Systematic_ColumnaCis.xml'));
    expect(xml.encoding).toBe('xml');
    expect(xml.bundle['resourceType']).toBe('Bundle');
  });

  it('refuses legacy OIOXML clearly', () => {
    try {
      readFhirMessage(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MedComFormatError);
      expect((err as MedComFormatError).code).toBe('legacy-oioxml-refused');
      expect((err as MedComFormatError).message).toContain('XDIS91');
    }
  });
});
