import { describe, expect, it } from 'vitest';
import { parseCareCommunication } from './care-communication-parse.js';
import { fhirJsonToXml, fhirXmlToJson } from './fhir-xml.js';
import { isRepeatingElement } from './fhir-repeating-elements.js';
import { obj, objects } from './json.js';
import { fixtureBundle, fixtureBytes } from '../../test/helpers/medcom-samples.js';

describe('FHIR XML to JSON', () => {
  const cis = fhirXmlToJson(fixtureBytes('Systematic_ColumnaCis.xml')).resource;
  const entries = objects(cis['entry']);
  const resource = (type: string) => entries.map((e) => obj(e['resource'])).filter((r) => r?.['resourceType'] === type);

  it('reads a minified one-line Bundle with resources inside resource wrappers', () => {
    expect(cis['resourceType']).toBe('Bundle');
    expect(cis['type']).toBe('message');
    expect(entries).toHaveLength(11);
    expect(obj(entries[0]?.['resource'])?.['resourceType']).toBe('MessageHeader');
  });

  it('makes repeating elements arrays even with one item, and single elements plain', () => {
    const patient = resource('Patient')[0];
    expect(patient?.['identifier']).toEqual([{ use: 'official', system: 'urn:oid:1.2.208.176.1.2', value: '2509479989' }]);
    expect(patient?.['name']).toEqual([{ use: 'official', family: 'Jensen', given: ['Jesper'] }]);
    const org = resource('Organization')[0];
    expect(org?.['name']).toBe('Mave- og Tarmkirurgi - Randers');
    const header = resource('MessageHeader')[0];
    expect(Array.isArray(header?.['destination'])).toBe(true);
    expect(typeof obj(header?.['source'])?.['endpoint']).toBe('string');
    const communication = resource('Communication')[0];
    const payload = objects(communication?.['payload'])[0];
    expect(objects(payload?.['extension'])).toHaveLength(4);
    expect(obj(objects(payload?.['extension'])[0])?.['url']).toContain('medcom-core-datetime-extension');
  });

  it('keeps the narrative div as an XHTML string', () => {
    const div = obj(resource('Patient')[0]?.['text'])?.['div'];
    expect(typeof div).toBe('string');
    expect(String(div)).toMatch(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">/);
    expect(String(div)).toMatch(/<\/div>$/);
  });

  it('reads tab-indented XML exactly like the minified form', () => {
    const minified = fixtureBytes('Systematic_ColumnaCis.xml').toString('utf8');
    let depth = 0;
    const indented = minified.replace(/<(\/?)([^>]*?)(\/?)>/g, (tag, close: string, _body: string, self: string) => {
      if (close) depth -= 1;
      const out = `\n${'\t'.repeat(Math.max(depth, 0))}${tag}`;
      if (!close && !self && !tag.startsWith('<?')) depth += 1;
      return out;
    });
    expect(indented).toContain('\n\t\t<');
    const fromIndented = fhirXmlToJson(indented).resource;
    // Narrative whitespace may differ; everything else must be identical.
    const strip = (v: unknown): string => JSON.stringify(v, (k, x: unknown) => (k === 'div' ? undefined : x));
    expect(strip(fromIndented)).toBe(strip(cis));
  });

  it('reads the same Bundle behind a BOM and an iso-8859-1 declaration on UTF-8 bytes', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?>\n'),
      fixtureBytes('Flow1-CareCommunication_Ex_from_OIOXML.xml'),
    ]);
    const read = fhirXmlToJson(bytes);
    expect(read.resource).toEqual(fhirXmlToJson(fixtureBytes('Flow1-CareCommunication_Ex_from_OIOXML.xml')).resource);
    expect(read.notes).toEqual(['declared encoding iso-8859-1 but the bytes are UTF-8; read as UTF-8', 'byte-order mark removed']);
  });

  it('types numbers and booleans the FHIR JSON way', () => {
    const xml =
      '<Communication xmlns="http://hl7.org/fhir"><payload><contentAttachment><size value="42"/></contentAttachment></payload></Communication>';
    const json = fhirXmlToJson(xml).resource;
    expect(obj(obj(objects(json['payload'])[0])?.['contentAttachment'])?.['size']).toBe(42);
  });

  it('keeps id and extensions on primitives as _name, both ways', () => {
    const xml =
      '<Patient xmlns="http://hl7.org/fhir"><name><given value="Alma"><extension url="urn:x"><valueString value="kaldenavn"/></extension></given><given value="Sofie"/></name><birthDate id="b1" value="2015-03-01"/></Patient>';
    const json = fhirXmlToJson(xml).resource;
    expect(json).toEqual({
      resourceType: 'Patient',
      name: [{ given: ['Alma', 'Sofie'], _given: [{ extension: [{ url: 'urn:x', valueString: 'kaldenavn' }] }, null] }],
      birthDate: '2015-03-01',
      _birthDate: { id: 'b1' },
    });
    expect(fhirXmlToJson(fhirJsonToXml(json)).resource).toEqual(json);
  });

  it('refuses XML that is not FHIR', () => {
    expect(() => fhirXmlToJson(fixtureBytes('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'))).toThrow(/FHIR namespace/);
  });
});

describe('repeating-element table', () => {
  it('knows context: name repeats in Patient, not in Organization; identifier not in a Reference', () => {
    expect(isRepeatingElement('name', 'Patient', true)).toBe(true);
    expect(isRepeatingElement('name', 'Organization', true)).toBe(false);
    expect(isRepeatingElement('identifier', 'Patient', true)).toBe(true);
    expect(isRepeatingElement('identifier', 'Bundle', true)).toBe(false);
    expect(isRepeatingElement('identifier', 'what', false)).toBe(false);
    expect(isRepeatingElement('role', 'agent', false)).toBe(true);
    expect(isRepeatingElement('role', 'entity', false)).toBe(false);
  });
});

describe('FHIR JSON to XML', () => {
  it('round-trips a real JSON sample losslessly', () => {
    const bundle = fixtureBundle('Systematic_ColumnaCura.json');
    expect(fhirXmlToJson(fhirJsonToXml(bundle)).resource).toEqual(bundle);
  });

  it('writes FHIR XML conventions: value attributes, url attribute, one element per repeat', () => {
    const xml = fhirJsonToXml(fixtureBundle('EG_Clinea.json'));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Bundle xmlns="http://hl7.org/fhir">')).toBe(true);
    expect(xml).toContain('<type value="message"/>');
    expect(xml).toContain('<extension url="http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension">');
    expect(xml).toContain('<resource><MessageHeader>');
    expect(xml).toContain('<div xmlns="http://www.w3.org/1999/xhtml">');
  });

  it('keeps what the reader uses when a sample goes JSON -> XML -> JSON', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    const { bundle: _a, ...before } = parseCareCommunication(bundle);
    const { bundle: _b, ...after } = parseCareCommunication(fhirXmlToJson(fhirJsonToXml(bundle)).resource);
    expect(after).toEqual(before);
  });

  it('writes line breaks in values as &#xA; so they survive a parser', () => {
    const communication = { resourceType: 'Communication', payload: [{ contentString: 'linje 1\nlinje 2\tslut' }] };
    const xml = fhirJsonToXml(communication);
    expect(xml).toContain('<contentString value="linje 1&#xA;linje 2&#x9;slut"/>');
    expect(fhirXmlToJson(xml).resource).toEqual(communication);
  });

  it('refuses a narrative carrying a declaration', () => {
    const bad = { resourceType: 'Patient', text: { status: 'generated', div: '<!DOCTYPE x><div>x</div>' } };
    expect(() => fhirJsonToXml(bad)).toThrow();
  });
});
