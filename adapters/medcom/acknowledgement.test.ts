import { describe, expect, it } from 'vitest';
import { buildAcknowledgement } from './acknowledgement-build.js';
import { parseAcknowledgement } from './acknowledgement-parse.js';
import { parseCareCommunication } from './care-communication-parse.js';
import { MedComFormatError } from './errors.js';
import { fhirJsonToXml, fhirXmlToJson } from './fhir-xml.js';
import { obj, objects, type JsonObject } from './json.js';
import { PROFILE } from './medcom-terminology.js';
import { fixedClock, fixtureBundle, sequentialIds } from '../../test/helpers/medcom-samples.js';

describe('parseAcknowledgement on the real samples', () => {
  it('Ack_3.3.1.1_A-AA.xml: ok', () => {
    const a = parseAcknowledgement(fixtureBundle('ack/Ack_3.3.1.1_A-AA.xml'));
    expect(a.code).toBe('ok');
    expect(a.answeredMessageHeaderId).toBe('42cb9200-f421-4d08-8391-7d51a2503cb4');
    expect(a.messageHeaderId).toBe('0746dd4e-faec-4525-b968-1aeab18d4465');
    expect(a.sender).toMatchObject({ sor: '953741000016009', gln: '5790001348120', name: 'Sender Organization' });
    expect(a.receiver).toMatchObject({ sor: '265161000016000', gln: '5790000209354', name: 'Receiver Organization' });
    expect(a.errors).toEqual([]);
  });

  it.each(['ack/Ack_3.3.2.1_A_AE.xml', 'ack/Ack_3.4.4_A_AE.json'])('%s: fatal-error with its MedCom error code', (name) => {
    const a = parseAcknowledgement(fixtureBundle(name));
    expect(a.code).toBe('fatal-error');
    expect(a.answeredMessageHeaderId).toBe('53128d9b-cede-4c7f-8904-809eab322d7d');
    expect(a.sender.gln).toBe('5790001348120');
    expect(a.receiver.gln).toBe('5790000209354');
    expect(a.errors).toEqual([
      {
        severity: 'error',
        code: 'MSG_VALUESET_VALUE_UNKNOWN',
        system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes',
        text: 'The value provided is not in the valueSet',
        diagnostics: undefined,
      },
    ]);
  });

  it('Flow2-Acknowledgement_Ex_to_OIOXML.xml: ok, organisations without names', () => {
    const a = parseAcknowledgement(fixtureBundle('Flow2-Acknowledgement_Ex_to_OIOXML.xml'));
    expect(a.code).toBe('ok');
    expect(a.answeredMessageHeaderId).toBe('60098c38-6fe1-41ba-aa92-d4809022de88');
    expect(a.sender).toMatchObject({ sor: '328051000016008', gln: '5790000121441' });
    expect(a.receiver).toMatchObject({ sor: '359001000016000', gln: '5790001382445' });
    expect(a.provenances.map((p) => p.activity)).toEqual(['new-message', 'acknowledgement']);
  });

  it('refuses a CareCommunication offered as an acknowledgement', () => {
    expect(() => parseAcknowledgement(fixtureBundle('EG_Clinea.json'))).toThrow(MedComFormatError);
  });
});

describe('buildAcknowledgement', () => {
  const answered = parseCareCommunication(fixtureBundle('EG_Clinea.json'));

  it('builds an ok acknowledgement with sender and receiver swapped', () => {
    const ack = buildAcknowledgement({ answered, code: 'ok', ids: sequentialIds('c'), clock: fixedClock });
    expect(obj(ack['meta'])?.['profile']).toEqual([PROFILE.acknowledgementMessage]);
    const header = obj(objects(ack['entry'])[0]?.['resource']);
    expect(header?.['resourceType']).toBe('MessageHeader');
    expect(obj(header?.['response'])).toEqual({ identifier: answered.messageHeaderId, code: 'ok' });
    const a = parseAcknowledgement(ack);
    expect(a.code).toBe('ok');
    expect(a.answeredMessageHeaderId).toBe('0299fc10-b86a-4fcf-bb41-ba3940027497');
    expect(a.sender).toMatchObject({ sor: answered.receiver.sor, gln: answered.receiver.gln });
    expect(a.receiver).toMatchObject({ sor: answered.sender.sor, gln: answered.sender.gln });
    expect(a.errors).toEqual([]);
    // The answered message's Provenance travels along, then ours.
    expect(a.provenances.map((p) => p.activity)).toEqual(['new-message', 'acknowledgement']);
    expect(a.provenances[1]?.previousMessageHeaderId).toBe(answered.messageHeaderId);
  });

  it('builds a fatal-error acknowledgement with an OperationOutcome that reads back', () => {
    const ack = buildAcknowledgement({
      answered,
      code: 'fatal-error',
      issues: [{ code: 'MSG_Receiver_Identifier_UNKNOWN', message: 'The receiver GLN fails the GS1 check digit.' }],
      ids: sequentialIds('d'),
      clock: fixedClock,
    });
    const outcome = objects(ack['entry']).map((e) => obj(e['resource'])).find((r) => r?.['resourceType'] === 'OperationOutcome') as JsonObject;
    expect(obj(outcome['meta'])?.['profile']).toEqual([PROFILE.acknowledgementOperationOutcome]);
    const a = parseAcknowledgement(fhirXmlToJson(fhirJsonToXml(ack)).resource);
    expect(a.code).toBe('fatal-error');
    expect(a.errors).toEqual([
      {
        severity: 'error',
        code: 'MSG_Receiver_Identifier_UNKNOWN',
        system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes',
        text: 'Receiver identifier unknown',
        diagnostics: 'The receiver GLN fails the GS1 check digit.',
      },
    ]);
  });

  it('answers each real acknowledgement sample shape: ok and error codes round-trip through XML', () => {
    for (const code of ['ok', 'transient-error', 'fatal-error'] as const) {
      const ack = buildAcknowledgement({
        answered,
        code,
        issues: code === 'ok' ? [] : [{ code: 'MSG_Mailbox_Out_Of_Operation' }],
        ids: sequentialIds('e'),
        clock: fixedClock,
      });
      expect(parseAcknowledgement(fhirXmlToJson(fhirJsonToXml(ack)).resource).code).toBe(code);
    }
  });

  it('refuses an error acknowledgement without issues', () => {
    expect(() => buildAcknowledgement({ answered, code: 'fatal-error', ids: sequentialIds(), clock: fixedClock })).toThrow(/issue/);
  });
});
