/**
 * The older OIOXML correspondence: XDIS91 letters and XCTL03 positive receipts, read with saxes
 * (the shared hardened tree: no DTD, iso-8859-1 declared on UTF-8 bytes handled) and written with
 * xmlbuilder2. The mapping to and from CareCommunication follows MedCom's conversion examples
 * (Flow1-XDIS91_Ex_to_FHIR / Flow1-CareCommunication_Ex_from_OIOXML, Flow2-XCTL03_Ex_from_FHIR_XDIS91).
 */
import { createHash } from 'node:crypto';
import { create } from 'xmlbuilder2';
import { buildCareCommunication } from './care-communication-build.js';
import { MedComFormatError } from './errors.js';
import type { JsonObject } from './json.js';
import { childElements, escapeXmlText, parseXml, textContent, type XmlElement } from './xml-document.js';

export const XDIS91_NAMESPACE = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/';
export const XCTL03_NAMESPACE = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/';
/** The XCTL03 version MedCom's example carries. */
export const XCTL03_VERSION_CODE = 'XC0330Q';

export interface Xdis91Binary {
  readonly objectIdentifier: string;
  readonly objectCode?: string;
  readonly extensionCode?: string;
  readonly size?: number;
}

export interface Xdis91Letter {
  readonly envelopeId: string;
  /** Sent date and time as written (Danish local time, no offset). */
  readonly sentDate: string;
  readonly sentTime: string;
  /** `pluspositivkvitt`: the sender wants a positive receipt. */
  readonly acknowledgementCode?: string;
  readonly letterId: string;
  readonly versionCode: string;
  readonly statusCode?: string;
  readonly sender: { readonly ean: string; readonly name?: string; readonly department?: string };
  readonly receiver: { readonly ean: string; readonly name?: string };
  readonly patient: { readonly cpr: string; readonly surname?: string; readonly given?: string };
  readonly priority?: string;
  readonly subject?: string;
  /** The letter text with its `<br/>` line breaks kept, as MedCom's conversion carries it. */
  readonly text: string;
  readonly binaries: readonly Xdis91Binary[];
}

const child = (element: XmlElement | undefined, name: string): XmlElement | undefined =>
  element ? childElements(element, name)[0] : undefined;
const text = (element: XmlElement | undefined, name: string): string | undefined => {
  const found = child(element, name);
  const value = found ? textContent(found).trim() : undefined;
  return value ? value : undefined;
};

/** Reads an XDIS91 letter; throws MedComFormatError when it is not one or lacks what must be there. */
export function readXdis91(input: Uint8Array | string): Xdis91Letter {
  return readXdis91Root(parseXml(input).root);
}

/** Reads an already parsed XDIS91 letter (so a receiver parses the bytes once, under its limits). */
export function readXdis91Root(root: XmlElement): Xdis91Letter {
  const email = child(root, 'ClinicalEmail');
  const letter = child(email, 'Letter');
  if (root.name !== 'Emessage' || !email || text(letter, 'StatisticalCode') !== 'XDIS91') {
    throw new MedComFormatError('not-xdis91', 'not an OIOXML XDIS91 letter');
  }
  const envelope = child(root, 'Envelope');
  const sent = child(envelope, 'Sent');
  const sender = child(email, 'Sender');
  const receiver = child(email, 'Receiver');
  const patient = child(email, 'Patient');
  const info = child(email, 'AdditionalInformation');
  const required = {
    envelopeId: text(envelope, 'Identifier'),
    sentDate: text(sent, 'Date'),
    sentTime: text(sent, 'Time'),
    letterId: text(letter, 'Identifier'),
    versionCode: text(letter, 'VersionCode'),
    senderEan: text(sender, 'EANIdentifier'),
    receiverEan: text(receiver, 'EANIdentifier'),
    cpr: text(patient, 'CivilRegistrationNumber'),
  };
  const missing = Object.entries(required).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) throw new MedComFormatError('xdis91-incomplete', `the XDIS91 letter lacks ${missing.join(', ')}`);
  const body = child(child(email, 'ClinicalInformation'), 'Text01');
  const binaries = childElements(email, 'Reference')
    .map((r) => child(r, 'BIN'))
    .filter((b): b is XmlElement => b !== undefined)
    .map((b) => {
      const size = Number(text(b, 'OriginalObjectSize'));
      return {
        objectIdentifier: text(b, 'ObjectIdentifier') ?? '',
        ...(text(b, 'ObjectCode') ? { objectCode: text(b, 'ObjectCode') } : {}),
        ...(text(b, 'ObjectExtensionCode') ? { extensionCode: text(b, 'ObjectExtensionCode') } : {}),
        ...(Number.isFinite(size) ? { size } : {}),
      };
    })
    .filter((b) => b.objectIdentifier.length > 0);
  const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    envelopeId: required.envelopeId as string,
    sentDate: required.sentDate as string,
    sentTime: required.sentTime as string,
    ...optional('acknowledgementCode', text(envelope, 'AcknowledgementCode')),
    letterId: required.letterId as string,
    versionCode: required.versionCode as string,
    ...optional('statusCode', text(letter, 'StatusCode')),
    sender: { ean: required.senderEan as string, ...optional('name', text(sender, 'OrganisationName')), ...optional('department', text(sender, 'DepartmentName')) },
    receiver: { ean: required.receiverEan as string, ...optional('name', text(receiver, 'OrganisationName')) },
    patient: { cpr: required.cpr as string, ...optional('surname', text(patient, 'PersonSurnameName')), ...optional('given', text(patient, 'PersonGivenName')) },
    ...optional('priority', text(info, 'Priority')),
    ...optional('subject', text(info, 'Subject')),
    text: body ? letterText(body) : '',
    binaries,
  };
}

/** Text01's content with its line-break elements kept as `<br/>`, outer whitespace trimmed. */
function letterText(element: XmlElement): string {
  // Kept as markup, as MedCom's conversion does: characters escaped as in the letter (quotes too).
  const escape = (t: string): string => escapeXmlText(t).replace(/"/g, '&quot;');
  return element.children
    .map((c) => (c.kind === 'text' ? escape(c.text) : c.name === 'br' ? '<br/>' : escape(textContent(c))))
    .join('')
    .trim();
}

/** Danish local date and time (OIOXML carries no offset) as an instant with Copenhagen's offset then. */
export function danishLocalTime(date: string, time: string): Date {
  const [h = '00', m = '00', s = '00'] = time.split(':');
  const local = Date.parse(`${date}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:${s.padStart(2, '0')}Z`);
  if (!Number.isFinite(local)) throw new MedComFormatError('xdis91-incomplete', 'the XDIS91 letter has no readable sent date and time');
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(local - offsetHours * 3_600_000);
    const shown = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(candidate);
    if (shown === `${h.padStart(2, '0')}:${m.padStart(2, '0')}`) return candidate;
  }
  return new Date(local - 3_600_000);
}

/** An instant as OIOXML writes it: Danish local date (YYYY-MM-DD) and time (HH:MM), no offset. */
export function danishDateTime(at: Date): { date: string; time: string } {
  const [date = '', time = ''] = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(at)
    .split(' ');
  return { date, time };
}

/** A stable UUID for an OIOXML identifier, so a resent letter converts to the same ids (UUID v5 layout over SHA-256). */
export function oioxmlUuid(...parts: string[]): string {
  const h = createHash('sha256').update(`oioxml:${parts.join('#')}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp',
};

/** `c39ea6b2605245e4a207415e0205ab6f` -> `urn:uuid:c39ea6b2-6052-45e4-a207-415e0205ab6f`, as MedCom's conversion does. */
function binaryIdentifier(objectIdentifier: string, letterKey: string): string {
  const hex = objectIdentifier.toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `urn:uuid:${oioxmlUuid(letterKey, 'bin', objectIdentifier)}`;
}

export interface Xdis91Parties {
  /** SOR codes of the two parties, found in the directory by their EAN numbers. */
  readonly senderSor: string;
  readonly receiverSor: string;
}

/**
 * The CareCommunication MedCom's conversion makes of an XDIS91 letter: category `other` with the
 * Subject as topic, high priority said in the text (CareCommunication allows priority only for
 * `regarding-referral`), the sender organisation as author, the letter's sent time for every
 * timestamp, referenced BIN objects as attachment segments by title and identifier (their bytes
 * travel separately). Ids derive from sender EAN and letter (MessageHeader) and envelope (Bundle)
 * identifiers, so a resent letter is recognised as the same message.
 */
export function xdis91ToCareCommunication(letter: Xdis91Letter, parties: Xdis91Parties): JsonObject {
  const letterKey = `${letter.sender.ean}#${letter.letterId}`;
  let n = 0;
  const fixed = [oioxmlUuid(letter.sender.ean, 'envelope', letter.envelopeId), oioxmlUuid(letterKey, 'header')];
  const ids = (): string => fixed.shift() ?? oioxmlUuid(letterKey, String((n += 1)));
  const sent = danishLocalTime(letter.sentDate, letter.sentTime);
  const words = (letter.patient.surname ?? '').split(/\s+/).filter((w) => w.length > 0);
  const family = words.pop() ?? '';
  const given = [...(letter.patient.given ? [letter.patient.given] : []), ...words];
  const senderName = [letter.sender.name, letter.sender.department].filter((p) => p).join(', ') || letter.sender.ean;
  const high = letter.priority !== undefined && /h(ø|oe)j/i.test(letter.priority);
  const attachments = letter.binaries.map((b) => ({
    contentType: EXTENSION_TYPES[(b.extensionCode ?? '').toLowerCase()] ?? 'application/pdf',
    title: b.objectCode ?? b.objectIdentifier,
    data: '',
  }));
  const bundle = buildCareCommunication({
    kind: 'new',
    sender: { sor: parties.senderSor, gln: letter.sender.ean, name: senderName },
    receiver: { sor: parties.receiverSor, gln: letter.receiver.ean, name: letter.receiver.name ?? letter.receiver.ean },
    author: { given: [], family: letter.sender.name ?? senderName, role: '', phone: '' },
    patient: { cpr: letter.patient.cpr, family: family || letter.patient.cpr, given },
    category: 'other',
    topic: letter.subject ?? 'Korrespondance',
    text: `${high ? 'Denne meddelelse har høj prioritet. <br/> ' : ''}${letter.text}`,
    attachments,
    ids,
    clock: () => sent,
  });
  // No phone and no bytes in the letter: drop the empty contact and data the builder wrote.
  let json = JSON.stringify(bundle, (key, value: unknown) => {
    if (key === 'data' && value === '') return undefined;
    return value;
  });
  const parsed = JSON.parse(json) as JsonObject;
  for (const entry of parsed['entry'] as JsonObject[]) {
    const resource = entry['resource'] as JsonObject;
    if (resource['resourceType'] !== 'Communication') continue;
    for (const payload of resource['payload'] as JsonObject[]) {
      payload['extension'] = (payload['extension'] as JsonObject[]).filter((e) => !(e['valueContactPoint'] && (e['valueContactPoint'] as JsonObject)['value'] === ''));
    }
  }
  json = JSON.stringify(parsed);
  // Attachment segments keep the BIN object's identifier, as MedCom's conversion does.
  const payloads = ((parsed['entry'] as JsonObject[]).map((e) => e['resource'] as JsonObject).find((r) => r['resourceType'] === 'Communication')?.['payload'] ?? []) as JsonObject[];
  const attachmentIds = payloads
    .filter((p) => p['contentAttachment'])
    .map((p) => ((p['extension'] as JsonObject[]).find((e) => e['valueIdentifier'])?.['valueIdentifier'] as JsonObject | undefined)?.['value'] as string | undefined);
  letter.binaries.forEach((b, i) => {
    const generated = attachmentIds[i];
    if (generated) json = json.split(generated).join(binaryIdentifier(b.objectIdentifier, letterKey));
  });
  return JSON.parse(json) as JsonObject;
}

export interface Xctl03Input {
  /** The letter answered. */
  readonly original: Pick<Xdis91Letter, 'envelopeId' | 'letterId' | 'versionCode' | 'sender' | 'receiver'>;
  /** Identifiers of the receipt itself (at most 14 characters in OIOXML). */
  readonly envelopeId: string;
  readonly letterId: string;
  readonly clock: () => Date;
}

/** A positive receipt (XCTL03) for a letter, in ISO-8859-1 as MedCom's example. */
export function buildXctl03(input: Xctl03Input): Buffer {
  const local = danishDateTime(input.clock());
  const doc = create({ version: '1.0', encoding: 'ISO-8859-1' }).ele(XCTL03_NAMESPACE, 'Emessage');
  const envelope = doc.ele('Envelope');
  const sent = envelope.ele('Sent');
  sent.ele('Date').txt(local.date);
  sent.ele('Time').txt(local.time);
  envelope.ele('Identifier').txt(input.envelopeId);
  envelope.ele('AcknowledgementCode').txt('minuspositivkvitt');
  const receipt = doc.ele('PositiveReceipt');
  const letter = receipt.ele('Letter');
  letter.ele('Identifier').txt(input.letterId);
  letter.ele('VersionCode').txt(XCTL03_VERSION_CODE);
  letter.ele('StatisticalCode').txt('XCTL03');
  receipt.ele('Sender').ele('EANIdentifier').txt(input.original.receiver.ean);
  receipt.ele('Receiver').ele('EANIdentifier').txt(input.original.sender.ean);
  const original = receipt.ele('OriginalEmessage');
  original.ele('OriginalEnvelopeIdentifier').txt(input.original.envelopeId);
  original.ele('OriginalSender').ele('EANIdentifier').txt(input.original.sender.ean);
  original.ele('OriginalReceiver').ele('EANIdentifier').txt(input.original.receiver.ean);
  const originalLetter = original.ele('OriginalLetter');
  originalLetter.ele('OriginalLetterIdentifier').txt(input.original.letterId);
  originalLetter.ele('OriginalVersionCode').txt(input.original.versionCode);
  return Buffer.from(doc.end({ prettyPrint: true }), 'latin1');
}

export interface Xctl03Receipt {
  readonly senderEan?: string;
  readonly receiverEan?: string;
  readonly originalEnvelopeId?: string;
  readonly originalLetterId?: string;
  readonly originalSenderEan?: string;
  readonly originalReceiverEan?: string;
}

/** Reads a positive receipt (XCTL03): which letter it answers. */
export function readXctl03(input: Uint8Array | string): Xctl03Receipt {
  return readXctl03Root(parseXml(input).root);
}

/** Reads an already parsed positive receipt (XCTL03). */
export function readXctl03Root(root: XmlElement): Xctl03Receipt {
  const receipt = child(root, 'PositiveReceipt');
  if (root.name !== 'Emessage' || !receipt || text(child(receipt, 'Letter'), 'StatisticalCode') !== 'XCTL03') {
    throw new MedComFormatError('not-xctl03', 'not an OIOXML XCTL03 receipt');
  }
  const original = child(receipt, 'OriginalEmessage');
  const out: Record<string, string | undefined> = {
    senderEan: text(child(receipt, 'Sender'), 'EANIdentifier'),
    receiverEan: text(child(receipt, 'Receiver'), 'EANIdentifier'),
    originalEnvelopeId: text(original, 'OriginalEnvelopeIdentifier'),
    originalLetterId: text(child(original, 'OriginalLetter'), 'OriginalLetterIdentifier'),
    originalSenderEan: text(child(original, 'OriginalSender'), 'EANIdentifier'),
    originalReceiverEan: text(child(original, 'OriginalReceiver'), 'EANIdentifier'),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Xctl03Receipt;
}

/** Receipt identifiers for a letter (14 characters, as OIOXML allows): the same for a resend of it. */
export function oioxmlReceiptIds(letter: Pick<Xdis91Letter, 'sender' | 'letterId'>): { envelopeId: string; letterId: string } {
  const digest = (what: string): string =>
    BigInt(`0x${createHash('sha256').update(`xctl03:${what}:${letter.sender.ean}#${letter.letterId}`).digest('hex').slice(0, 20)}`).toString(36).toUpperCase().padStart(13, '0').slice(0, 13);
  return { envelopeId: `K${digest('envelope')}`, letterId: `B${digest('letter')}` };
}
