import { create } from 'xmlbuilder2';
import { MedComFormatError } from './errors.js';
import { fhirJsonToXml } from './fhir-xml.js';
import type { JsonObject } from './json.js';
import { detectMessageFormat, VANS_NAMESPACE, type DetectedFormat } from './message-format.js';
import { childElements, parseXml, textContent, type XmlElement } from './xml-document.js';
import { decodeBase64 } from './care-communication-parse.js';

export interface WrapInVansEnvelopeInput {
  readonly bundle: JsonObject;
  readonly encoding: 'json' | 'xml';
  /**
   * CareCommunication category: Document/Name becomes `MCM:FDIS91#<category>` as MedCom's envelope
   * guide says. Give `documentName` instead for other messages (Acknowledgement: `MCM:FCTL#<code>`).
   */
  readonly category?: string;
  readonly documentName?: string;
  /**
   * Document/Version from MedCom's standards catalogue. By default 5.0 for CareCommunication and
   * 2.0.0 for Acknowledgement (`MCM:FCTL…`), as MedCom's envelope guide lists them.
   */
  readonly documentVersion?: string;
  readonly senderEan: string;
  readonly receiverEan: string;
  readonly envelopeId: string;
  readonly clock: () => Date;
}

const MIME = { json: 'application/fhir+json', xml: 'application/fhir+xml' } as const;

/** Local time without offset, as in VANSEnvelope SentDateTime samples. */
function sentDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '');
}

/** Wraps a FHIR message in a VANSEnvelope 1.0.4 with the payload base64-encoded. */
export function wrapInVansEnvelope(input: WrapInVansEnvelopeInput): string {
  const name = input.documentName ?? (input.category ? `MCM:FDIS91#${input.category}` : undefined);
  if (!name) throw new TypeError('a VANS envelope needs a category or a document name');
  const payload =
    input.encoding === 'json' ? JSON.stringify(input.bundle) : fhirJsonToXml(input.bundle, { prettyPrint: false });
  const bytes = Buffer.from(payload, 'utf8');
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele(VANS_NAMESPACE, 'VANSEnvelope');
  root.ele('SenderID').att('EndPointType', 'EAN').txt(input.senderEan);
  root.ele('ReceiverID').att('EndPointType', 'EAN').txt(input.receiverEan);
  root.ele('EnvelopeIdentifier').txt(input.envelopeId);
  root.ele('SentDateTime').txt(sentDateTime(input.clock()));
  const message = root.ele('Message');
  const meta = message.ele('MetaInformation');
  meta.ele('Identifier').txt(input.envelopeId);
  const document = meta.ele('Document');
  document.ele('Format').txt('HL7');
  document.ele('Name').txt(name);
  document.ele('Version').txt(input.documentVersion ?? (name.startsWith('MCM:FCTL') ? '2.0.0' : '5.0'));
  document.ele('SizeInBytes').txt(String(bytes.length));
  const transport = meta.ele('Transport');
  transport.ele('Type').txt('reliable');
  transport.ele('TransformMessage').txt('false');
  transport.ele('ServiceTag').att('name', 'MCM:MIME').txt(MIME[input.encoding]);
  message.ele('Data').txt(bytes.toString('base64'));
  return doc.end({ prettyPrint: true });
}

export interface UnwrappedVansEnvelope {
  readonly senderEan?: string;
  readonly receiverEan?: string;
  readonly envelopeId?: string;
  readonly sentDateTime?: string;
  readonly documentFormat?: string;
  readonly documentName?: string;
  readonly documentVersion?: string;
  readonly declaredSize?: number;
  /** ServiceTag values by name (e.g. MCM:MIME, MCM:STATISTIC). */
  readonly serviceTags: Readonly<Record<string, string>>;
  readonly payload: Uint8Array;
  /** What the decoded payload actually is; the envelope's own claims are not trusted for this. */
  readonly payloadFormat: DetectedFormat;
  readonly notes: string[];
}

function text(parent: XmlElement | undefined, name: string): string | undefined {
  const el = parent ? childElements(parent, name)[0] : undefined;
  return el ? textContent(el).trim() : undefined;
}

/** Opens a VANSEnvelope: checks it, decodes the base64 payload and identifies its format. */
export function unwrapVansEnvelope(xml: Uint8Array | string): UnwrappedVansEnvelope {
  const { root, notes } = parseXml(xml);
  const opened = openVansEnvelope(root, notes);
  const payloadFormat = detectMessageFormat(opened.payload);
  const mime = opened.serviceTags['MCM:MIME'];
  if (mime && payloadFormat.format !== 'unknown' && !mime.includes(payloadFormat.format === 'fhir-json' ? 'json' : 'xml')) {
    opened.notes.push('MCM:MIME service tag does not match the payload');
  }
  return { ...opened, payloadFormat };
}

/** Opens an already parsed VANSEnvelope; the payload is not read (the caller parses it, once). */
export function openVansEnvelope(root: XmlElement, notes: string[] = []): Omit<UnwrappedVansEnvelope, 'payloadFormat'> {
  if (root.name !== 'VANSEnvelope' || root.ns !== VANS_NAMESPACE) {
    throw new MedComFormatError('not-a-vans-envelope', 'the XML is not a VANSEnvelope 1.0.4');
  }
  const message = childElements(root, 'Message')[0];
  const meta = message ? childElements(message, 'MetaInformation')[0] : undefined;
  const document = meta ? childElements(meta, 'Document')[0] : undefined;
  const transport = meta ? childElements(meta, 'Transport')[0] : undefined;
  const data = text(message, 'Data');
  if (!data) throw new MedComFormatError('vans-no-data', 'the VANSEnvelope carries no Data');
  const payload = decodeBase64(data);
  if (!payload) throw new MedComFormatError('vans-data-not-base64', 'the VANSEnvelope Data is not valid base64');
  const serviceTags: Record<string, string> = {};
  for (const tag of transport ? childElements(transport, 'ServiceTag') : []) {
    const name = tag.attrs['name'];
    if (name) serviceTags[name] = textContent(tag).trim();
  }
  const sizeText = text(document, 'SizeInBytes');
  const declaredSize = sizeText !== undefined && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  if (declaredSize !== undefined && declaredSize !== payload.length) notes.push('declared SizeInBytes differs from the payload size');
  return {
    senderEan: text(root, 'SenderID'),
    receiverEan: text(root, 'ReceiverID'),
    envelopeId: text(root, 'EnvelopeIdentifier'),
    sentDateTime: text(root, 'SentDateTime'),
    documentFormat: text(document, 'Format'),
    documentName: text(document, 'Name'),
    documentVersion: text(document, 'Version'),
    declaredSize,
    serviceTags,
    payload,
    notes,
  };
}
