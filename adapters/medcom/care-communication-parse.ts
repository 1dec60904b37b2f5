import { BundleIndex } from './bundle-index.js';
import { judgeContent, sniffContentType } from './content-sniff.js';
import { readDateTime } from './datetime.js';
import { MedComFormatError } from './errors.js';
import { looksLikeCpr, looksLikeReplacementCpr, recogniseSystem } from './identifiers.js';
import { isObject, obj, objects, str, type JsonObject } from './json.js';
import { CODE_SYSTEM, EXTENSION, recogniseCategory } from './medcom-terminology.js';
import { extensionsByUrl, firstCoding, readMessageHeader, type MessageHeaderView } from './message-parts.js';

export interface PatientIdentifier {
  readonly kind: 'cpr' | 'replacement-cpr';
  readonly value: string;
  /** The system as written. */
  readonly system: string;
}

export interface PatientView {
  readonly resourceId?: string;
  /** The first CPR: the number the message is filed under. */
  readonly cpr?: string;
  readonly replacementCpr?: string;
  /** Every CPR and replacement CPR the Patient carries (MedCom's R-Tek-CPR cases hold up to three). */
  readonly identifiers: PatientIdentifier[];
  readonly family?: string;
  readonly given: string[];
}

export interface PersonView {
  readonly kind: 'PractitionerRole' | 'Practitioner' | 'CareTeam';
  readonly name?: string;
  readonly role?: string;
  readonly roleDisplay?: string;
  /** The organisation the person acts for (PractitionerRole.organization), to sign a segment with. */
  readonly organizationName?: string;
  readonly organizationSor?: string;
}

export interface AttachmentView {
  readonly contentType?: string;
  /** What the bytes are, when recognisable; the type to show and serve the attachment as. */
  readonly actualContentType?: string;
  readonly title?: string;
  /** base64 as received. */
  readonly data?: string;
  readonly url?: string;
  /** Decoded size in bytes when the data decodes; otherwise the declared size, if any. */
  readonly size?: number;
  readonly creation?: string;
}

export interface PayloadSegment {
  readonly identifier?: string;
  readonly date?: string;
  readonly author?: PersonView;
  readonly authorContact?: string;
  /** The organisation the segment is signed for: its identifier's assigner, else the author's organisation. */
  readonly organization?: { readonly name?: string; readonly sor?: string };
  /** The text as sent (may hold the XHTML subset MedCom allows, e.g. `<br/>`). */
  readonly text?: string;
  /** The text with markup line breaks turned into newlines and character references decoded. */
  readonly plainText?: string;
  readonly attachment?: AttachmentView;
}

export interface ParsedCareCommunication extends MessageHeaderView {
  readonly communicationId?: string;
  readonly communicationIdentifier?: string;
  readonly patient: PatientView;
  readonly patientCount: number;
  readonly category?: string;
  readonly categorySystem?: string;
  readonly topic?: string;
  readonly priority?: string;
  /** A more specific addressee than the receiving organisation (Communication.recipient). */
  readonly recipient?: PersonView;
  /** A more specific sender (Communication sender extension). */
  readonly senderPerson?: PersonView;
  readonly payloads: PayloadSegment[];
  readonly attachments: AttachmentView[];
  readonly episodeOfCareIdentifier?: string;
  /** What the tolerant reader accepted although it was irregular; never personal data. */
  readonly notes: string[];
  /** The Bundle read, kept so replies, forwards and acknowledgements can carry parts of it. */
  readonly bundle: JsonObject;
}

/** Reads a CareCommunication message Bundle (FHIR JSON shape) into a domain view. */
export function parseCareCommunication(bundleJson: unknown, initialNotes: string[] = []): ParsedCareCommunication {
  if (!isObject(bundleJson) || bundleJson['resourceType'] !== 'Bundle') {
    throw new MedComFormatError('not-a-bundle', 'the message is not a FHIR Bundle');
  }
  const notes = [...initialNotes];
  const index = new BundleIndex(bundleJson);
  const header = readMessageHeader(bundleJson, index, notes);
  const messageHeader = index.ofType('MessageHeader')[0];
  const focus = objects(messageHeader?.['focus'])[0];
  const communication = index.resolve(focus) ?? index.ofType('Communication')[0];
  const patients = index.ofType('Patient');
  const subject = index.resolve(communication?.['subject']);
  const patient = readPatient(subject ?? patients[0], notes);
  const category = firstCoding(objects(communication?.['category'])[0]);
  const payloads = objects(communication?.['payload']).map((p, i) => readPayload(index, p, i, notes));
  const encounter = index.resolve(communication?.['encounter']) ?? index.ofType('Encounter')[0];
  const episodeOfCare = objects(encounter?.['episodeOfCare'])
    .map((e) => str(obj(e['identifier'])?.['value']))
    .find((v) => v !== undefined);
  const narrative = str(obj(communication?.['text'])?.['div']);
  if (narrative && !/^\s*<div/.test(narrative)) notes.push('Communication narrative is escaped or not XHTML');
  const priority = str(communication?.['priority']);
  const categoryRaw = category.code ?? str(obj(objects(communication?.['category'])[0])?.['text']);
  const categoryKnown = recogniseCategory(categoryRaw);
  if (categoryKnown && categoryKnown !== categoryRaw) notes.push('Communication.category code written in another case or with spaces');
  return {
    ...header,
    communicationId: str(communication?.['id']),
    communicationIdentifier: str(objects(communication?.['identifier'])[0]?.['value']),
    patient,
    patientCount: patients.length,
    category: categoryKnown ?? categoryRaw,
    categorySystem: category.system,
    topic: str(obj(communication?.['topic'])?.['text']),
    priority,
    recipient: readPerson(index, objects(communication?.['recipient'])[0]),
    senderPerson: readPerson(index, obj(extensionsByUrl(communication, EXTENSION.sender)[0]?.['valueReference'])),
    payloads,
    attachments: payloads.flatMap((p) => (p.attachment ? [p.attachment] : [])),
    episodeOfCareIdentifier: episodeOfCare,
    notes,
    bundle: bundleJson,
  };
}

function readPatient(patient: JsonObject | undefined, notes: string[]): PatientView {
  let cpr: string | undefined;
  let replacementCpr: string | undefined;
  const identifiers: PatientIdentifier[] = [];
  for (const identifier of objects(patient?.['identifier'])) {
    const value = str(identifier['value'])?.trim();
    if (!value) continue;
    const system = recogniseSystem(str(identifier['system']), value);
    if (system.kind === 'cpr' || system.kind === 'replacement-cpr') identifiers.push({ kind: system.kind, value, system: str(identifier['system']) ?? '' });
    if (system.kind === 'cpr' && !cpr) {
      if (!looksLikeCpr(value)) notes.push('patient CPR identifier is not 10 digits');
      cpr = value;
    } else if (system.kind === 'replacement-cpr' && !replacementCpr) {
      if (!looksLikeReplacementCpr(value) && !looksLikeCpr(value)) notes.push('patient replacement CPR has an unusual form');
      replacementCpr = value;
      notes.push('patient identified by a replacement CPR');
    } else continue;
    if (system.irregular) notes.push(`patient identifier system written irregularly (${system.kind})`);
  }
  if (patient && !cpr && !replacementCpr) notes.push('patient has no recognised CPR or replacement CPR identifier');
  const names = objects(patient?.['name']);
  const name = names.find((n) => n['use'] === 'official') ?? names[0];
  const given = Array.isArray(name?.['given']) ? name['given'].map((g) => str(g)).filter((g): g is string => !!g) : [];
  if (identifiers.length > 1) notes.push(`patient carries ${identifiers.length} CPR or replacement CPR identifiers`);
  return { resourceId: str(patient?.['id']), cpr, replacementCpr, identifiers, family: str(name?.['family']), given };
}

export function humanName(resource: JsonObject | undefined): string | undefined {
  const n = objects(resource?.['name'])[0];
  if (!n) return typeof resource?.['name'] === 'string' ? resource['name'] : undefined;
  if (str(n['text'])) return str(n['text']);
  const given = Array.isArray(n['given']) ? n['given'].map((g) => str(g) ?? '') : [];
  const parts = [...given, str(n['family']) ?? ''].filter((p) => p.length > 0);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function readPerson(index: BundleIndex, reference: JsonObject | undefined): PersonView | undefined {
  if (!reference) return undefined;
  const resource = index.resolve(reference);
  const display = str(reference['display']);
  if (!resource) return display ? { kind: 'Practitioner', name: display } : undefined;
  const type = resource['resourceType'];
  if (type === 'PractitionerRole') {
    const practitioner = index.resolve(resource['practitioner']);
    const code = objects(resource['code'])[0];
    // Senders add local role codings (e.g. a regional EHR's own role list): prefer MedCom's.
    const codings = objects(code?.['coding']);
    const chosen = codings.find((c) => c['system'] === CODE_SYSTEM.practitionerRole) ?? codings[0];
    const coding = { code: str(chosen?.['code']), display: str(chosen?.['display']) };
    const organization = index.resolve(resource['organization']);
    const organizationSor = objects(organization?.['identifier'])
      .map((i) => ({ kind: recogniseSystem(str(i['system']), str(i['value'])).kind, value: str(i['value']) }))
      .find((i) => i.kind === 'sor')?.value;
    const organizationName = str(organization?.['name']) ?? str(obj(resource['organization'])?.['display']);
    return {
      kind: 'PractitionerRole',
      name: humanName(practitioner) ?? str(obj(resource['practitioner'])?.['display']),
      role: coding.code ?? str(code?.['text']),
      roleDisplay: coding.display ?? str(code?.['text']),
      ...(organizationName ? { organizationName } : {}),
      ...(organizationSor ? { organizationSor } : {}),
    };
  }
  if (type === 'Practitioner') return { kind: 'Practitioner', name: humanName(resource) };
  if (type === 'CareTeam') return { kind: 'CareTeam', name: str(resource['name']) };
  return undefined;
}

function readPayload(index: BundleIndex, payload: JsonObject, position: number, notes: string[]): PayloadSegment {
  const dateRaw = str(extensionsByUrl(payload, EXTENSION.payloadDateTime)[0]?.['valueDateTime']);
  const date = dateRaw ? readDateTime(dateRaw, `payload ${position + 1} date`) : undefined;
  if (date?.note) notes.push(date.note);
  const valueIdentifier = obj(extensionsByUrl(payload, EXTENSION.payloadIdentifier)[0]?.['valueIdentifier']);
  const identifier = str(valueIdentifier?.['value']);
  const author = readPerson(index, obj(extensionsByUrl(payload, EXTENSION.payloadAuthor)[0]?.['valueReference']));
  const assigner = index.resolve(valueIdentifier?.['assigner']);
  const assignerSor = objects(assigner?.['identifier'])
    .map((i) => ({ kind: recogniseSystem(str(i['system']), str(i['value'])).kind, value: str(i['value']) }))
    .find((i) => i.kind === 'sor')?.value;
  const organizationName = str(assigner?.['name']) ?? author?.organizationName;
  const organizationSor = assignerSor ?? author?.organizationSor;
  const organization = organizationName || organizationSor ? { ...(organizationName ? { name: organizationName } : {}), ...(organizationSor ? { sor: organizationSor } : {}) } : undefined;
  const authorContact = str(obj(extensionsByUrl(payload, EXTENSION.payloadAuthorContact)[0]?.['valueContactPoint'])?.['value']);
  const text = str(payload['contentString']);
  const attachment = obj(payload['contentAttachment']);
  if (text !== undefined && /&(lt|gt|amp|quot|#\d+);/.test(text)) notes.push(`payload ${position + 1} text holds escaped markup`);
  if (text?.includes('\ufffd')) notes.push(`payload ${position + 1} text holds replacement characters (damaged character encoding)`);
  return {
    identifier,
    date: date?.value,
    author,
    authorContact,
    ...(organization ? { organization } : {}),
    text,
    plainText: text === undefined ? undefined : plainText(text),
    attachment: attachment ? readAttachment(attachment, position, notes) : undefined,
  };
}

function readAttachment(attachment: JsonObject, position: number, notes: string[]): AttachmentView {
  const data = str(attachment['data']);
  const declared = typeof attachment['size'] === 'number' ? attachment['size'] : Number(str(attachment['size']) ?? NaN);
  const bytes = data ? decodeBase64(data) : undefined;
  const decoded = bytes?.length;
  const contentType = str(attachment['contentType']);
  const actualContentType = bytes ? sniffContentType(bytes) : undefined;
  if (contentType && bytes && judgeContent(contentType, bytes) === 'mislabelled-image') {
    notes.push(`payload ${position + 1} attachment is ${actualContentType ?? 'another type'} but declared ${contentType}`);
  }
  return {
    contentType,
    ...(actualContentType ? { actualContentType } : {}),
    title: str(attachment['title']),
    data,
    url: str(attachment['url']),
    size: decoded ?? (Number.isFinite(declared) ? declared : undefined),
    creation: str(attachment['creation']),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 strictly (whitespace allowed); undefined when it is not base64. */
export function decodeBase64(data: string): Uint8Array | undefined {
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}


const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };

export function plainText(text: string): string {
  let out = text.replace(/<br\s*\/?>/gi, '\n').replace(/<\/?(p|div|b|i|u|strong|em|span)[^>]*>/gi, '');
  // Senders escape twice (&amp;quot;); decode until stable, at most twice.
  for (let i = 0; i < 2; i++) {
    out = out.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, ref: string) => {
      if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
      return ENTITIES[ref.toLowerCase()] ?? whole;
    });
  }
  return out;
}

