import { MedComFormatError } from './errors.js';
import { fhirXmlToJson } from './fhir-xml.js';
import { isObject, type JsonObject } from './json.js';
import { detectMessageFormat } from './message-format.js';

export interface ReadFhirMessage {
  readonly bundle: JsonObject;
  readonly encoding: 'json' | 'xml';
  readonly notes: string[];
}

/** Reads received FHIR bytes, JSON or XML, into the FHIR JSON shape. Anything else is refused. */
export function readFhirMessage(input: Uint8Array | string): ReadFhirMessage {
  const detected = detectMessageFormat(input);
  if (detected.format === 'fhir-xml') {
    const { resource, notes } = fhirXmlToJson(input);
    return { bundle: resource, encoding: 'xml', notes };
  }
  if (detected.format === 'fhir-json') {
    const text = (typeof input === 'string' ? input : Buffer.from(input).toString('utf8')).replace(/^\ufeff/, '');
    const json: unknown = JSON.parse(text);
    if (isObject(json)) return { bundle: json, encoding: 'json', notes: [] };
  }
  throw new MedComFormatError(
    detected.format === 'legacy-oioxml' ? 'legacy-oioxml-refused' : 'not-fhir',
    detected.format === 'legacy-oioxml'
      ? `legacy OIOXML (${detected.detail ?? 'unknown type'}) is not accepted; FHIR is required`
      : 'the payload is not a FHIR message',
  );
}
