import { describe, expect, it } from 'vitest';
import { parseCareCommunication } from './care-communication-parse.js';
import { validateCareCommunication } from './care-communication-validate.js';
import { buildXctl03, danishLocalTime, readXctl03, readXdis91, xdis91ToCareCommunication } from './oioxml.js';
import { fixtureBundle, fixtureBytes } from '../../test/helpers/medcom-samples.js';

const PARTIES = { senderSor: '359001000016000', receiverSor: '328051000016008' };

describe("XDIS91 -> CareCommunication, as MedCom's Flow1 conversion example", () => {
  const letter = readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
  const expected = parseCareCommunication(fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml'));
  const converted = xdis91ToCareCommunication(letter, PARTIES);
  const ours = parseCareCommunication(converted);

  it('reads the letter (declared iso-8859-1, bytes UTF-8: the Danish letters survive)', () => {
    expect(letter).toMatchObject({ envelopeId: 'KuvNrerwerwe99', letterId: 'Brevt23400929', versionCode: 'XD9134L', acknowledgementCode: 'pluspositivkvitt', sender: { ean: '5790001382445' }, receiver: { ean: '5790000121441' }, subject: 'Forundersøgelse', priority: 'høj_prioritet' });
    expect(letter.text).toContain('Røntgen af hofte i to planer.<br/>Blodtryksresultat');
    expect(letter.binaries).toEqual([{ objectIdentifier: 'c39ea6b2605245e4a207415e0205ab6f', objectCode: 'billede', extensionCode: 'pdf', size: 4297 }]);
  });

  it('maps to the same message MedCom converts it to', () => {
    expect(ours).toMatchObject({
      eventCode: 'care-communication-message',
      category: 'other',
      topic: 'Forundersøgelse',
      timestamp: '2023-11-20T16:45:00Z',
      sender: { sor: expected.sender.sor, gln: expected.sender.gln },
      receiver: { sor: expected.receiver.sor, gln: expected.receiver.gln, name: expected.receiver.name },
      patient: { cpr: expected.patient.cpr, family: expected.patient.family, given: expected.patient.given },
    });
    expect(Date.parse(ours.timestamp ?? '')).toBe(Date.parse(expected.timestamp ?? ''));
    expect(ours.payloads.map((p) => Date.parse(p.date ?? ''))).toEqual(expected.payloads.map((p) => Date.parse(p.date ?? '')));
    // MedCom's example text has lost its Danish letters (U+FFFD); compare the rest.
    const comparable = (t: string | undefined) => (t ?? '').replace(/[^\x20-\x7e]/g, '?');
    expect(comparable(ours.payloads[0]?.text)).toBe(comparable(expected.payloads[0]?.text));
    expect(ours.payloads[0]?.text?.startsWith('Denne meddelelse har høj prioritet. <br/> ')).toBe(true);
    expect(ours.attachments.map((a) => [a.title, a.contentType])).toEqual(expected.attachments.map((a) => [a.title, a.contentType]));
    expect(ours.payloads[1]?.identifier).toBe(expected.payloads[1]?.identifier);
    expect(ours.provenances.map((p) => p.activity)).toEqual(['new-message']);
  });

  it('is a valid CareCommunication, and the same letter always converts to the same ids', () => {
    expect(validateCareCommunication(converted).filter((i) => i.severity === 'error')).toEqual([]);
    const again = parseCareCommunication(xdis91ToCareCommunication(readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml')), PARTIES));
    expect([again.bundleId, again.messageHeaderId]).toEqual([ours.bundleId, ours.messageHeaderId]);
    // A resend in a new envelope: a new Bundle.id, the same MessageHeader.id (a duplicate).
    const resent = parseCareCommunication(xdis91ToCareCommunication({ ...letter, envelopeId: 'KuvNrAndet0001' }, PARTIES));
    expect(resent.messageHeaderId).toBe(ours.messageHeaderId);
    expect(resent.bundleId).not.toBe(ours.bundleId);
  });

  it.each([
    ['2023-11-20', '17:45', '2023-11-20T16:45:00.000Z'], // winter time, +01:00
    ['2024-07-01', '09:30', '2024-07-01T07:30:00.000Z'], // summer time, +02:00
  ])('Danish local time %s %s is %s', (date, time, iso) => {
    expect(danishLocalTime(date, time).toISOString()).toBe(iso);
  });

  it('refuses what is not an XDIS91 letter', () => {
    expect(() => readXdis91(fixtureBytes('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'))).toThrow(/XDIS91/);
  });
});

describe("XCTL03 positive receipt, as MedCom's Flow2 example", () => {
  it('answers the letter with its envelope and letter identifiers, in ISO-8859-1', () => {
    const letter = readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
    const xml = buildXctl03({ original: letter, envelopeId: 'KuvertNr1256', letterId: 'BrevNr5698', clock: () => new Date('2023-11-20T16:46:00Z') });
    expect(xml.toString('latin1')).toMatch(/^<\?xml version="1.0" encoding="ISO-8859-1"\?>/);
    const ours = readXctl03(xml);
    const example = readXctl03(fixtureBytes('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'));
    expect(ours).toEqual({ ...example });
    expect(xml.toString('latin1')).toContain('<Date>2023-11-20</Date>');
    expect(xml.toString('latin1')).toContain('<Time>17:46</Time>');
  });
});
