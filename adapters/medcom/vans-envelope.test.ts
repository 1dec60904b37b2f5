import { describe, expect, it } from 'vitest';
import { buildAcknowledgement } from './acknowledgement-build.js';
import { parseCareCommunication } from './care-communication-parse.js';
import { MedComFormatError, XmlSecurityError } from './errors.js';
import { fhirXmlToJson } from './fhir-xml.js';
import { fixedClock, fixtureBundle, fixtureBytes, sequentialIds } from '../../test/helpers/medcom-samples.js';
import { unwrapVansEnvelope, wrapInVansEnvelope } from './vans-envelope.js';

describe('unwrapVansEnvelope', () => {
  it('opens the real envelope and recognises its OIOXML XDIS22 payload', () => {
    const u = unwrapVansEnvelope(fixtureBytes('vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml'));
    expect(u.senderEan).toBe('5790001659592');
    expect(u.receiverEan).toBe('5790000121526');
    expect(u.envelopeId).toBe('068dadff-12bb-406d-8c86-083974dc0180');
    expect(u.documentName).toBe('MCM:XDIS22');
    expect(u.payload.length).toBe(6089);
    expect(u.declaredSize).toBe(6089);
    expect(u.payloadFormat).toEqual({ format: 'legacy-oioxml', detail: 'XDIS22' });
    expect(Buffer.from(u.payload).toString('utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Emessage/);
    expect(u.notes).toEqual([]);
  });

  it('refuses an envelope with a DTD, and XML that is not an envelope', () => {
    expect(() => unwrapVansEnvelope('<!DOCTYPE VANSEnvelope><VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4"/>')).toThrow(XmlSecurityError);
    expect(() => unwrapVansEnvelope(fixtureBytes('Systematic_ColumnaCis.xml'))).toThrow(MedComFormatError);
  });

  it('refuses Data that is not base64', () => {
    const xml = '<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4"><Message><Data>@@@</Data></Message></VANSEnvelope>';
    expect(() => unwrapVansEnvelope(xml)).toThrow(/base64/);
  });
});

describe('wrapInVansEnvelope', () => {
  const message = parseCareCommunication(fixtureBundle('EG_Clinea.json'));
  const base = {
    bundle: message.bundle,
    category: 'other',
    senderEan: '5790000120048',
    receiverEan: '5790000173174',
    envelopeId: 'f2b0c0de-0000-4000-8000-000000000001',
    clock: fixedClock,
  };

  it('wraps JSON with the FDIS91 name and fhir+json MIME tag, and unwraps to the same Bundle', () => {
    const xml = wrapInVansEnvelope({ ...base, encoding: 'json' });
    expect(xml).toContain('<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4">');
    expect(xml).toContain('<Name>MCM:FDIS91#other</Name>');
    expect(xml).toContain('<ServiceTag name="MCM:MIME">application/fhir+json</ServiceTag>');
    expect(xml).toContain('<SentDateTime>2026-11-23T10:00:00</SentDateTime>');
    const u = unwrapVansEnvelope(xml);
    expect(u).toMatchObject({ senderEan: '5790000120048', receiverEan: '5790000173174', documentFormat: 'HL7', documentVersion: '5.0' });
    expect(u.payloadFormat).toEqual({ format: 'fhir-json', detail: 'Bundle' });
    expect(JSON.parse(Buffer.from(u.payload).toString('utf8'))).toEqual(message.bundle);
    expect(u.declaredSize).toBe(u.payload.length);
  });

  it('wraps XML with the fhir+xml MIME tag', () => {
    const u = unwrapVansEnvelope(wrapInVansEnvelope({ ...base, encoding: 'xml' }));
    expect(u.serviceTags['MCM:MIME']).toBe('application/fhir+xml');
    expect(u.payloadFormat).toEqual({ format: 'fhir-xml', detail: 'Bundle' });
    expect(parseCareCommunication(fhirXmlToJson(u.payload).resource).messageHeaderId).toBe(message.messageHeaderId);
  });

  it('takes an explicit document name for acknowledgements', () => {
    const ack = buildAcknowledgement({ answered: message, code: 'ok', ids: sequentialIds(), clock: fixedClock });
    const xml = wrapInVansEnvelope({ ...base, bundle: ack, category: undefined, documentName: 'MCM:FCTL#ok', encoding: 'json' });
    expect(unwrapVansEnvelope(xml)).toMatchObject({ documentName: 'MCM:FCTL#ok', documentVersion: '2.0.0' });
  });
});
