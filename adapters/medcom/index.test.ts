import { describe, expect, it } from 'vitest';
import * as medcom from './index.js';

describe('adapters/medcom public API', () => {
  it.each([
    'fhirXmlToJson',
    'fhirJsonToXml',
    'parseXml',
    'readFhirMessage',
    'parseCareCommunication',
    'validateCareCommunication',
    'acknowledgementCodeFor',
    'sniffContentType',
    'buildCareCommunication',
    'buildAcknowledgement',
    'parseAcknowledgement',
    'wrapInVansEnvelope',
    'unwrapVansEnvelope',
    'detectMessageFormat',
    'isValidGln',
  ])('exports %s', (name) => {
    expect(typeof (medcom as Record<string, unknown>)[name]).toBe('function');
  });

  it('exports the typed errors', () => {
    expect(new medcom.XmlSecurityError('x')).toBeInstanceOf(Error);
    expect(new medcom.MedComFormatError('c', 'x').code).toBe('c');
  });
});
