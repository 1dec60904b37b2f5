import { describe, expect, it } from 'vitest';
import { buildCareCommunication } from './care-communication-build.js';
import { parseCareCommunication } from './care-communication-parse.js';
import { validateCareCommunication } from './care-communication-validate.js';
import { readXdis91, xdis91ToCareCommunication } from './oioxml.js';
import {
  careCommunicationToXdis91,
  oioxmlLetterReference,
  readOioxmlLetterReference,
  withOioxmlPredecessor,
  wrapXdis91InVansEnvelope,
  xdis91Ids,
  xdis91Limitations,
} from './oioxml-send.js';
import { unwrapVansEnvelope } from './vans-envelope.js';
import { parseXml, type XmlElement } from './xml-document.js';
import { fixtureBytes } from '../../test/helpers/medcom-samples.js';

/** Every element path of an XML document (`Emessage/ClinicalEmail/Letter/Identifier` …). */
function elementPaths(xml: Uint8Array | string): Set<string> {
  const out = new Set<string>();
  const walk = (el: XmlElement, prefix: string) => {
    const here = prefix ? `${prefix}/${el.name}` : el.name;
    out.add(here);
    for (const c of el.children) if (c.kind === 'element') walk(c, here);
  };
  walk(parseXml(xml).root, '');
  return out;
}

const EXAMPLE = fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml');
const PARTIES = { senderSor: '359001000016000', receiverSor: '328051000016008' };
const AT = new Date('2023-11-20T16:50:00Z');

/** A message from Hjemmeplejen (5790000121441) to MedCom testcenter (5790001382445). */
function message(overrides: { text?: string; priority?: 'asap'; category?: 'regarding-referral' | 'other'; given?: string[]; family?: string } = {}) {
  let n = 0;
  const bundle = buildCareCommunication({
    kind: 'new',
    sender: { sor: PARTIES.receiverSor, gln: '5790000121441', name: 'Hjemmeplejen, Odense Kommune' },
    receiver: { sor: PARTIES.senderSor, gln: '5790001382445', name: 'MedCom testcenter' },
    author: { given: ['Ole'], family: 'Madsen', role: 'sygeplejerske', phone: '66131372' },
    patient: { cpr: '2512489996', given: overrides.given ?? ['Nancy', 'Ann'], family: overrides.family ?? 'Berggren' },
    category: overrides.category ?? 'other',
    topic: 'Forundersøgelse',
    ...(overrides.priority ? { priority: overrides.priority } : {}),
    text: overrides.text ?? 'Røntgen af hofte i to planer.\nBlodtryksresultat',
    attachments: [],
    ids: () => `00000000-0000-4000-8000-${String((n += 1)).padStart(12, '0')}`,
    clock: () => AT,
  });
  return parseCareCommunication(bundle);
}

describe("CareCommunication -> XDIS91, MedCom's Flow1 mapping the other way", () => {
  const parsed = message();
  const ids = xdis91Ids({ bundleId: parsed.bundleId as string, messageHeaderId: parsed.messageHeaderId as string });
  const xml = careCommunicationToXdis91({ message: parsed, ids, sentAt: AT });
  const letter = readXdis91(xml);

  it('declares iso-8859-1 as the legacy examples do, and its bytes are ISO-8859-1', () => {
    expect(xml.toString('latin1')).toMatch(/^<\?xml version="1.0" encoding="iso-8859-1"\?>/);
    expect(xml.includes(Buffer.from('Røntgen', 'latin1'))).toBe(true);
    expect(xml.includes(Buffer.from('Røntgen', 'utf8'))).toBe(false);
  });

  it("uses only elements of MedCom's XDIS91 example, and every one a letter needs", () => {
    const example = elementPaths(EXAMPLE);
    const ours = elementPaths(xml);
    expect([...ours].filter((p) => !example.has(p))).toEqual([]);
    for (const required of [
      'Emessage/Envelope/Sent/Date', 'Emessage/Envelope/Sent/Time', 'Emessage/Envelope/Identifier', 'Emessage/Envelope/AcknowledgementCode',
      'Emessage/ClinicalEmail/Letter/Identifier', 'Emessage/ClinicalEmail/Letter/VersionCode', 'Emessage/ClinicalEmail/Letter/StatisticalCode',
      'Emessage/ClinicalEmail/Letter/Authorisation/Date', 'Emessage/ClinicalEmail/Letter/TypeCode', 'Emessage/ClinicalEmail/Letter/StatusCode',
      'Emessage/ClinicalEmail/Sender/EANIdentifier', 'Emessage/ClinicalEmail/Receiver/EANIdentifier', 'Emessage/ClinicalEmail/Patient/CivilRegistrationNumber',
      'Emessage/ClinicalEmail/AdditionalInformation/Subject', 'Emessage/ClinicalEmail/ClinicalInformation/Text01', 'Emessage/ClinicalEmail/ClinicalInformation/Text01/br',
    ]) expect(ours.has(required)).toBe(true);
    expect(parseXml(xml).root.ns).toBe(parseXml(EXAMPLE).root.ns);
  });

  it('carries parties, patient, subject, text with its line breaks and the signature', () => {
    expect(letter).toMatchObject({
      envelopeId: ids.envelopeId,
      letterId: ids.letterId,
      versionCode: 'XD9134L',
      acknowledgementCode: 'pluspositivkvitt',
      statusCode: 'nytbrev',
      sentDate: '2023-11-20',
      sentTime: '17:50',
      sender: { ean: '5790000121441', name: 'Hjemmeplejen, Odense Kommune' },
      receiver: { ean: '5790001382445', name: 'MedCom testcenter' },
      patient: { cpr: '2512489996', surname: 'Ann Berggren', given: 'Nancy' },
      subject: 'Forundersøgelse',
      binaries: [],
    });
    expect(letter.priority).toBeUndefined();
    expect(letter.text).toBe('Røntgen af hofte i to planer.<br/>Blodtryksresultat<br/><br/>Ole Madsen, sygeplejerske<br/>tlf. 66131372');
  });

  it("reads back, through the receive side's Flow1 mapping, as the same patient, topic and parties", () => {
    const back = parseCareCommunication(xdis91ToCareCommunication(letter, { senderSor: PARTIES.receiverSor, receiverSor: PARTIES.senderSor }));
    expect(back.patient).toMatchObject({ cpr: parsed.patient.cpr, family: parsed.patient.family, given: parsed.patient.given });
    expect([back.topic, back.sender.gln, back.receiver.gln]).toEqual([parsed.topic, parsed.sender.gln, parsed.receiver.gln]);
    expect(back.payloads[0]?.plainText).toContain('Røntgen af hofte i to planer.\nBlodtryksresultat');
  });

  it.each([
    ['asap (regarding-referral) is høj_prioritet', { priority: 'asap' as const, category: 'regarding-referral' as const }, 'høj_prioritet'],
    ['no priority, no Priority element', {}, undefined],
  ])('%s', (_what, overrides, expected) => {
    const m = message(overrides);
    const out = readXdis91(careCommunicationToXdis91({ message: m, ids, sentAt: AT }));
    expect(out.priority).toBe(expected);
  });

  it.each([
    ['a character ISO-8859-1 lacks becomes a character reference', 'Pris 20 €', 'Pris 20 €'],
    ['markup characters are escaped, not markup', 'a < b & "c"', 'a &lt; b &amp; &quot;c&quot;'],
  ])('%s', (_what, text, expected) => {
    const out = careCommunicationToXdis91({ message: message({ text }), ids, sentAt: AT });
    expect(out.toString('latin1')).not.toMatch(/[^\x00-\xff]/);
    expect(readXdis91(out).text.startsWith(expected)).toBe(true);
  });

  it.each([
    ['one given name', ['Nancy'], 'Berggren', { surname: 'Berggren', given: 'Nancy' }],
    ['three given names', ['Nancy', 'Ann', 'Marie'], 'Berggren', { surname: 'Ann Marie Berggren', given: 'Nancy' }],
  ])('patient name: %s', (_what, given, family, expected) => {
    expect(readXdis91(careCommunicationToXdis91({ message: message({ given, family }), ids, sentAt: AT })).patient).toMatchObject(expected);
  });
});

describe('OIOXML identifiers and references', () => {
  it('envelope ids follow the Bundle.id, letter ids the MessageHeader.id; at most 14 characters', () => {
    const a = xdis91Ids({ bundleId: 'b-1', messageHeaderId: 'h-1' });
    const resend = xdis91Ids({ bundleId: 'b-2', messageHeaderId: 'h-1' });
    expect(a).toEqual(xdis91Ids({ bundleId: 'b-1', messageHeaderId: 'h-1' }));
    expect(resend.letterId).toBe(a.letterId);
    expect(resend.envelopeId).not.toBe(a.envelopeId);
    for (const id of [a.envelopeId, a.letterId]) expect(id).toMatch(/^[A-Z0-9]{14}$/);
  });

  it.each([
    ['5790001382445#Brevt23400929', { ean: '5790001382445', letterId: 'Brevt23400929' }],
    ['5790001382445#', undefined],
    ['579000138244#Brevt23400929', undefined],
    ['5790001382445#a#b', undefined],
    ['urn:uuid:c39ea6b2-6052-45e4-a207-415e0205ab6f', undefined],
  ])('reads %s', (reference, expected) => {
    expect(readOioxmlLetterReference(reference)).toEqual(expected);
  });

  it('writes [lokationsnummer]#[brevid]', () => {
    expect(oioxmlLetterReference('5790001382445', 'Brevt23400929')).toBe('5790001382445#Brevt23400929');
  });

  it.each([
    ['CPR, no attachments', { cpr: '2512489996', newAttachments: 0 }, 0],
    ['replacement CPR only', { cpr: undefined, newAttachments: 0 }, 1],
    ['an attachment', { cpr: '2512489996', newAttachments: 1 }, 1],
    ['both', { cpr: undefined, newAttachments: 2 }, 2],
  ])('limitations: %s', (_what, input, count) => {
    expect(xdis91Limitations(input)).toHaveLength(count);
  });
});

describe('a reply to a letter received as XDIS91', () => {
  it("names the letter in its own Provenance as MedCom's send protocol S2.A3 asks, and stays valid", () => {
    const received = parseCareCommunication(xdis91ToCareCommunication(readXdis91(EXAMPLE), PARTIES));
    let n = 0;
    const reply = buildCareCommunication({
      kind: 'reply',
      previous: received,
      sender: { sor: PARTIES.receiverSor, gln: '5790000121441', name: 'Hjemmeplejen' },
      receiver: { sor: PARTIES.senderSor, gln: '5790001382445', name: 'MedCom testcenter' },
      author: { given: ['Ole'], family: 'Madsen', role: 'sygeplejerske', phone: '66131372' },
      patient: { cpr: '2512489996', given: ['Nancy', 'Ann'], family: 'Berggren' },
      category: 'other',
      topic: 'Svar',
      text: 'Svar på brevet.',
      attachments: [],
      ids: () => `10000000-0000-4000-8000-${String((n += 1)).padStart(12, '0')}`,
      clock: () => AT,
    });
    const named = withOioxmlPredecessor(reply, '5790001382445#Brevt23400929');
    const parsed = parseCareCommunication(named);
    const own = parsed.provenances.find((p) => p.targetMessageHeaderId === parsed.messageHeaderId);
    expect(own).toMatchObject({ activity: 'reply-message', previousNonFhirMessage: '5790001382445#Brevt23400929', previousMessageHeaderId: received.messageHeaderId });
    expect(parsed.provenances.filter((p) => p.previousNonFhirMessage)).toHaveLength(1);
    expect(validateCareCommunication(named).filter((i) => i.severity === 'error')).toEqual([]);
    // As a letter: only the reply's own text, not the letter it answers.
    const letter = readXdis91(careCommunicationToXdis91({ message: parsed, ids: xdis91Ids({ bundleId: 'b', messageHeaderId: 'h' }), sentAt: AT }));
    expect(letter.text).toBe('Svar på brevet.<br/><br/>Ole Madsen, sygeplejerske<br/>tlf. 66131372');
  });
});

describe('the VANSEnvelope around a letter', () => {
  it("is Format XML, Name MCM:XDIS91, as MedCom's XDIS22 sample carries its letter; the payload is the letter's bytes", () => {
    const xml = careCommunicationToXdis91({ message: message(), ids: xdis91Ids({ bundleId: 'b', messageHeaderId: 'h' }), sentAt: AT });
    const opened = unwrapVansEnvelope(wrapXdis91InVansEnvelope({ letter: xml, senderEan: '5790000121441', receiverEan: '5790001382445', envelopeId: 'e-1', clock: () => AT }));
    expect(opened).toMatchObject({ senderEan: '5790000121441', receiverEan: '5790001382445', envelopeId: 'e-1', documentFormat: 'XML', documentName: 'MCM:XDIS91', documentVersion: 'XD9134L', declaredSize: xml.byteLength });
    expect(opened.payloadFormat).toMatchObject({ format: 'legacy-oioxml', detail: 'XDIS91' });
    expect(Buffer.from(opened.payload).equals(xml)).toBe(true);
    expect(opened.notes).toEqual([]);
    const sample = unwrapVansEnvelope(fixtureBytes('vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml'));
    expect([sample.documentFormat, sample.documentName?.startsWith('MCM:')]).toEqual(['XML', true]);
  });
});
