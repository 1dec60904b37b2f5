/**
 * Sending to OIOXML-only parties: the stored CareCommunication written as an XDIS91 letter, the
 * reverse of MedCom's Flow1 conversion (Flow1-CareCommunication_Ex_from_OIOXML ->
 * Flow1-XDIS91_Ex_to_FHIR), declared iso-8859-1 as the legacy examples are, in a VANSEnvelope.
 * Pure: no I/O. What an XDIS91 letter cannot carry is refused before anything is stored
 * (xdis91Limitations), not silently dropped.
 */
import { createHash } from 'node:crypto';
import { create } from 'xmlbuilder2';
import type { ParsedCareCommunication, PayloadSegment } from './care-communication-parse.js';
import { MedComFormatError } from './errors.js';
import type { JsonObject } from './json.js';
import { VANS_NAMESPACE } from './message-format.js';
import { danishDateTime, XDIS91_NAMESPACE } from './oioxml.js';

/** The XDIS91 version MedCom's example carries. */
export const XDIS91_VERSION_CODE = 'XD9134L';

export interface Xdis91Ids {
  /** Envelope/Identifier: one per Bundle.id, so a resend travels in a new envelope. */
  readonly envelopeId: string;
  /** Letter/Identifier: one per MessageHeader.id, so a resend is the same letter (a duplicate to the receiver). */
  readonly letterId: string;
}

const base36 = (what: string): string =>
  BigInt(`0x${createHash('sha256').update(what).digest('hex').slice(0, 20)}`).toString(36).toUpperCase().padStart(13, '0').slice(0, 13);

/**
 * OIOXML identifiers (at most 14 characters) for a message: the envelope from the Bundle.id, the
 * letter from the MessageHeader.id, the same mapping the receive side makes the other way.
 */
export function xdis91Ids(message: { readonly bundleId: string; readonly messageHeaderId: string }): Xdis91Ids {
  return { envelopeId: `K${base36(`xdis91:envelope:${message.bundleId}`)}`, letterId: `B${base36(`xdis91:letter:${message.messageHeaderId}`)}` };
}

/** `[lokationsnummer]#[brevid]`: how MedCom names an OIOXML letter from FHIR (test protocol S2.A3). */
export function oioxmlLetterReference(ean: string, letterId: string): string {
  return `${ean}#${letterId}`;
}

/** The sender EAN and letter id of a `[lokationsnummer]#[brevid]` reference; undefined when it is not one. */
export function readOioxmlLetterReference(reference: string): { ean: string; letterId: string } | undefined {
  const match = /^(\d{13})#([^#\s]{1,35})$/.exec(reference);
  return match ? { ean: match[1] as string, letterId: match[2] as string } : undefined;
}

/** What makes a message impossible to send as XDIS91, as readable reasons (empty: it can be sent). */
export function xdis91Limitations(message: {
  readonly cpr?: string | undefined;
  readonly newAttachments: number;
}): string[] {
  const reasons: string[] = [];
  // The letter's patient is a CivilRegistrationNumber; no replacement-CPR element is documented.
  if (!message.cpr) reasons.push('an XDIS91 letter identifies the patient by CPR only; a replacement CPR cannot be sent to an OIOXML party');
  // Files travel beside an OIOXML letter as separate BIN objects, which this broker does not send.
  if (message.newAttachments > 0) reasons.push('attachments cannot be sent to an OIOXML party (OIOXML sends files as separate BIN objects)');
  return reasons;
}

/** The segments this message adds: those its own Provenance names; else the last text segment. */
function newTextSegments(message: ParsedCareCommunication): PayloadSegment[] {
  const own = message.provenances.find((p) => p.targetMessageHeaderId === message.messageHeaderId);
  const ids = new Set(own?.payloadIdentifiers ?? []);
  const named = message.payloads.filter((p) => p.text !== undefined && p.identifier !== undefined && ids.has(p.identifier));
  if (named.length > 0) return named;
  const last = [...message.payloads].reverse().find((p) => p.text !== undefined);
  return last ? [last] : [];
}

function signature(segment: PayloadSegment): string[] {
  const who = [segment.author?.name, segment.author?.roleDisplay ?? segment.author?.role].filter((v): v is string => Boolean(v && v.trim())).join(', ');
  return [who, segment.authorContact ? `tlf. ${segment.authorContact}` : ''].filter((l) => l.length > 0);
}

/** Characters ISO-8859-1 cannot hold, as character references (the declared encoding stays true). */
const toLatin1 = (xml: string): Buffer =>
  Buffer.from(xml.replace(/[^\u0000-\u00ff]/gu, (c) => `&#x${(c.codePointAt(0) as number).toString(16).toUpperCase()};`), 'latin1');

export interface CareCommunicationToXdis91Input {
  readonly message: ParsedCareCommunication;
  readonly ids: Xdis91Ids;
  /** When the letter is sent (Envelope/Sent). */
  readonly sentAt: Date;
}

/**
 * The XDIS91 letter for a CareCommunication: parties by EAN (lokationsnummer) and name, the
 * patient's CPR and name (surname = the further given names and the family name, as Flow1 reads
 * it), topic as Subject, `asap` as høj_prioritet, the new segment's text with its line breaks as
 * `<br/>` and the author's signature after it, as OIOXML letters sign in their text.
 */
export function careCommunicationToXdis91(input: CareCommunicationToXdis91Input): Buffer {
  const { message, ids } = input;
  const senderEan = message.sender.gln;
  const receiverEan = message.receiver.gln;
  if (!senderEan || !receiverEan) throw new MedComFormatError('oioxml-not-expressible', 'an XDIS91 letter needs both parties\' EAN location numbers');
  const segments = newTextSegments(message);
  const limits = xdis91Limitations({ cpr: message.patient.cpr, newAttachments: 0 });
  if (limits.length > 0) throw new MedComFormatError('oioxml-not-expressible', limits.join('; '));
  const sent = danishDateTime(input.sentAt);
  const signed = danishDateTime(new Date(segments[0]?.date ?? message.timestamp ?? input.sentAt.toISOString()));

  const doc = create({ version: '1.0', encoding: 'iso-8859-1' }).ele(XDIS91_NAMESPACE, 'Emessage');
  const envelope = doc.ele('Envelope');
  const sentEl = envelope.ele('Sent');
  sentEl.ele('Date').txt(sent.date);
  sentEl.ele('Time').txt(sent.time);
  envelope.ele('Identifier').txt(ids.envelopeId);
  envelope.ele('AcknowledgementCode').txt('pluspositivkvitt');
  const email = doc.ele('ClinicalEmail');
  const letter = email.ele('Letter');
  letter.ele('Identifier').txt(ids.letterId);
  letter.ele('VersionCode').txt(XDIS91_VERSION_CODE);
  letter.ele('StatisticalCode').txt('XDIS91');
  const authorisation = letter.ele('Authorisation');
  authorisation.ele('Date').txt(signed.date);
  authorisation.ele('Time').txt(signed.time);
  letter.ele('TypeCode').txt('XDIS91');
  letter.ele('StatusCode').txt('nytbrev');
  const party = (name: 'Sender' | 'Receiver', ean: string, orgName: string | undefined) => {
    const el = email.ele(name);
    el.ele('EANIdentifier').txt(ean);
    el.ele('Identifier').txt(ean);
    el.ele('IdentifierCode').txt('lokationsnummer');
    el.ele('OrganisationName').txt(orgName ?? ean);
    return el;
  };
  party('Sender', senderEan, message.sender.name).ele('MedicalSpecialityCode').txt('ikkeklassificeret');
  party('Receiver', receiverEan, message.receiver.name);
  const patient = email.ele('Patient');
  patient.ele('CivilRegistrationNumber').txt(message.patient.cpr as string);
  const [first, ...further] = message.patient.given;
  patient.ele('PersonSurnameName').txt([...further, message.patient.family ?? ''].filter((w) => w).join(' '));
  if (first) patient.ele('PersonGivenName').txt(first);
  const info = email.ele('AdditionalInformation');
  if (message.priority === 'asap') info.ele('Priority').txt('høj_prioritet');
  info.ele('Subject').txt(message.topic ?? 'Korrespondance');
  const text = email.ele('ClinicalInformation').ele('Text01');
  const lines = segments.flatMap((s, i) => [...(i > 0 ? [''] : []), ...(s.plainText ?? s.text ?? '').split(/\r?\n/), '', ...signature(s)]);
  lines.forEach((line, i) => {
    if (i > 0) text.ele('br');
    if (line.length > 0) text.txt(line);
  });
  // Not pretty-printed: indentation inside Text01's mixed content would become part of the letter's text.
  return toLatin1(doc.end({ prettyPrint: false }));
}

export interface WrapXdis91Input {
  readonly letter: Uint8Array;
  readonly senderEan: string;
  readonly receiverEan: string;
  /** The VANS envelope's identifier (the broker uses the Bundle.id the letter was made from). */
  readonly envelopeId: string;
  readonly clock: () => Date;
}

/** A VANSEnvelope 1.0.4 carrying the letter, as MedCom's XDIS22 sample carries its OIOXML letter (Format XML, Name MCM:<code>). */
export function wrapXdis91InVansEnvelope(input: WrapXdis91Input): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele(VANS_NAMESPACE, 'VANSEnvelope');
  root.ele('SenderID').att('EndPointType', 'EAN').txt(input.senderEan);
  root.ele('ReceiverID').att('EndPointType', 'EAN').txt(input.receiverEan);
  root.ele('EnvelopeIdentifier').txt(input.envelopeId);
  root.ele('SentDateTime').txt(input.clock().toISOString().replace(/\.\d{3}Z$/, ''));
  const message = root.ele('Message');
  const meta = message.ele('MetaInformation');
  meta.ele('Identifier').txt(input.envelopeId);
  const document = meta.ele('Document');
  document.ele('Format').txt('XML');
  document.ele('Name').txt('MCM:XDIS91');
  document.ele('Version').txt(XDIS91_VERSION_CODE);
  document.ele('SizeInBytes').txt(String(input.letter.byteLength));
  const transport = meta.ele('Transport');
  transport.ele('Type').txt('reliable');
  transport.ele('TransformMessage').txt('false');
  message.ele('Data').txt(Buffer.from(input.letter).toString('base64'));
  return doc.end({ prettyPrint: true });
}

/**
 * A reply (or forward) to a message received as an OIOXML letter names that letter as MedCom's
 * send protocol S2.A3 asks: `[lokationsnummer]#[brevid]` in Provenance.entity.what.identifier of
 * the message's own Provenance (role revision). The entity pointing at the converted
 * MessageHeader stays, so the thread holds together on the FHIR side too.
 */
export function withOioxmlPredecessor(bundle: JsonObject, reference: string): JsonObject {
  const copy = structuredClone(bundle);
  const entries = (Array.isArray(copy['entry']) ? copy['entry'] : []) as JsonObject[];
  const resources = entries.map((e) => e['resource'] as JsonObject | undefined).filter((r): r is JsonObject => r !== undefined);
  const header = resources.find((r) => r['resourceType'] === 'MessageHeader');
  const target = `MessageHeader/${String(header?.['id'])}`;
  const own = resources.find((r) => r['resourceType'] === 'Provenance' && Array.isArray(r['target']) && (r['target'] as JsonObject[]).some((t) => t['reference'] === target));
  if (!own) throw new TypeError('the message has no Provenance of its own');
  own['entity'] = [...((own['entity'] as JsonObject[] | undefined) ?? []), { role: 'revision', what: { identifier: { value: reference } } }];
  return copy;
}
