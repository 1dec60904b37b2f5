import { BundleIndex } from './bundle-index.js';
import type { ParsedCareCommunication } from './care-communication-parse.js';
import { formatInstant } from './datetime.js';
import { SYSTEM } from './identifiers.js';
import { isObject, obj, objects, str, type JsonObject, type JsonValue } from './json.js';
import {
  CODE_SYSTEM,
  EVENT_CARE_COMMUNICATION,
  EXTENSION,
  MESSAGE_DEFINITION,
  PROFILE,
  sorEndpoint,
  type CareCommunicationCategory,
  type Priority,
  type ProvenanceActivity,
} from './medcom-terminology.js';
import { narrative } from './narrative.js';

export interface OrganizationInput {
  readonly sor: string;
  readonly gln: string;
  readonly name: string;
  /** MessageHeader endpoint; the SOR address MedCom's examples use when not given. */
  readonly endpoint?: string;
}

export interface PractitionerInput {
  readonly given: readonly string[];
  readonly family: string;
  /** Code from MedComCorePractitionerRoles (SKS administrative), e.g. `sygeplejerske`, `laege`. */
  readonly role: string;
  readonly roleDisplay?: string;
  readonly phone: string;
}

export interface PatientInput {
  readonly cpr?: string;
  /** Replacement CPR with the system of its issuer (defaults to the X-eCPR system). */
  readonly replacementCpr?: { readonly value: string; readonly system?: string };
  readonly family: string;
  readonly given: readonly string[];
}

export interface AttachmentInput {
  readonly contentType: string;
  readonly title: string;
  /** base64 text, or the raw bytes. */
  readonly data: string | Uint8Array;
  readonly creation?: string;
}

export type RecipientInput =
  | { readonly kind: 'practitioner'; readonly given: readonly string[]; readonly family: string; readonly role?: string }
  | { readonly kind: 'care-team'; readonly name: string };

export interface CareCommunicationInput {
  readonly kind: 'new' | 'reply' | 'forward';
  /** The message replied to or forwarded (required for reply and forward). */
  readonly previous?: ParsedCareCommunication;
  readonly sender: OrganizationInput;
  readonly receiver: OrganizationInput;
  readonly author: PractitionerInput;
  readonly patient: PatientInput;
  readonly category: CareCommunicationCategory;
  readonly topic?: string;
  readonly priority?: Priority;
  readonly text: string;
  readonly attachments?: readonly AttachmentInput[];
  readonly recipient?: RecipientInput;
  /** New UUIDs (v4, without `urn:uuid:`), injected so building is deterministic. */
  readonly ids: () => string;
  readonly clock: () => Date;
  /** Base of entry fullUrls; the IG's own examples use this one. */
  readonly fullUrlBase?: string;
}

const REPLACEMENT_CPR_DEFAULT_SYSTEM = 'urn:oid:1.2.208.176.1.6.1.1';

const ACTIVITY: Readonly<Record<CareCommunicationInput['kind'], ProvenanceActivity>> = {
  new: 'new-message',
  reply: 'reply-message',
  forward: 'forward-message',
};

/** Builds a CareCommunication 5.0 message Bundle (FHIR JSON). */
export function buildCareCommunication(input: CareCommunicationInput): JsonObject {
  if (input.kind !== 'new' && !input.previous) {
    throw new TypeError(`a ${input.kind} needs the previous message`);
  }
  if (!input.patient.cpr && !input.patient.replacementCpr) throw new TypeError('the patient needs a CPR or replacement CPR');
  const base = input.fullUrlBase ?? 'https://medcomfhir.dk/ig/carecommunication/';
  const now = formatInstant(input.clock());
  const previousIndex = input.previous ? new BundleIndex(input.previous.bundle) : undefined;
  const reuseOrgId = (sor: string): string => {
    const match = previousIndex?.ofType('Organization').find((o) => objects(o['identifier']).some((i) => i['value'] === sor));
    return str(match?.['id']) ?? input.ids();
  };
  const ids = {
    bundle: input.ids(),
    header: input.ids(),
    patient: input.ids(),
    communication: input.ids(),
    sender: reuseOrgId(input.sender.sor),
    receiver: reuseOrgId(input.receiver.sor),
    practitioner: input.ids(),
    practitionerRole: input.ids(),
    provenance: input.ids(),
  };
  const entries: JsonObject[] = [];
  const add = (resource: JsonObject): void => {
    entries.push({ fullUrl: `${base}${String(resource['resourceType'])}/${String(resource['id'])}`, resource });
  };
  const senderRef = `Organization/${ids.sender}`;
  const receiverRef = `Organization/${ids.receiver}`;
  const authorRef = `PractitionerRole/${ids.practitionerRole}`;

  add(messageHeader(ids.header, ids.communication, input, senderRef, receiverRef));
  add(patient(ids.patient, input.patient));

  const newPayloads: JsonObject[] = [];
  const payloadIds: string[] = [];
  const segment = (content: JsonObject, withContact: boolean): JsonObject => {
    const identifier = `urn:uuid:${input.ids()}`;
    payloadIds.push(identifier);
    const extension: JsonValue[] = [
      { url: EXTENSION.payloadDateTime, valueDateTime: now },
      { url: EXTENSION.payloadIdentifier, valueIdentifier: { value: identifier, assigner: { reference: senderRef } } },
      { url: EXTENSION.payloadAuthor, valueReference: { reference: authorRef } },
    ];
    if (withContact) {
      extension.push({ url: EXTENSION.payloadAuthorContact, valueContactPoint: { system: 'phone', value: input.author.phone } });
    }
    return { extension, ...content };
  };
  newPayloads.push(segment({ contentString: input.text }, true));
  for (const attachment of input.attachments ?? []) {
    const data = typeof attachment.data === 'string' ? attachment.data : Buffer.from(attachment.data).toString('base64');
    const content: JsonObject = { contentType: attachment.contentType, data, title: attachment.title };
    if (attachment.creation) content['creation'] = attachment.creation;
    newPayloads.push(segment({ contentAttachment: content }, false));
  }
  const previousCommunication = previousIndex?.ofType('Communication')[0];
  // IG: a reply repeats every earlier segment but not attachment content (the identifier points to
  // it); a forward carries the attachments in full.
  const previousPayloads = objects(previousCommunication?.['payload']).map((p) =>
    input.kind === 'reply' ? withoutAttachmentContent(p) : p,
  );
  // IG: an episode-of-care identifier received shall be included in the response.
  const previousEncounter =
    input.kind === 'reply' && previousIndex ? previousIndex.resolve(previousCommunication?.['encounter']) : undefined;
  const encounterRef = previousEncounter ? `Encounter/${String(previousEncounter['id'])}` : undefined;
  if (previousEncounter) add({ ...previousEncounter, subject: { reference: `Patient/${ids.patient}` } });
  const recipientRef = input.recipient ? addRecipient(input.recipient, input.ids, receiverRef, add) : undefined;
  // IG: the communication identifier stays the same in a reply and is renewed on forwarding.
  const communicationIdentifier =
    input.kind === 'reply' && input.previous?.communicationIdentifier
      ? input.previous.communicationIdentifier
      : `urn:uuid:${input.ids()}`;
  add(
    communication(ids.communication, ids.patient, input, {
      identifier: communicationIdentifier,
      payload: [...newPayloads, ...previousPayloads],
      recipientRef,
      encounterRef,
    }),
  );
  add(organization(ids.sender, input.sender));
  add(organization(ids.receiver, input.receiver));
  add(practitioner(ids.practitioner, input.author.given, input.author.family));
  add(practitionerRole(ids.practitionerRole, ids.practitioner, senderRef, input.author.role, input.author.roleDisplay));

  // Earlier payloads and Provenances keep their references: carry what they point at.
  const previousProvenances = previousIndex?.ofType('Provenance') ?? [];
  if (previousIndex) {
    const present = new Set(entries.map((e) => `${String(obj(e['resource'])?.['resourceType'])}/${String(obj(e['resource'])?.['id'])}`));
    for (const resource of referencedResources(previousIndex, [...previousPayloads, ...previousProvenances])) {
      const key = `${String(resource['resourceType'])}/${String(resource['id'])}`;
      const type = resource['resourceType'];
      if (present.has(key) || type === 'MessageHeader' || type === 'Patient' || type === 'Encounter') continue;
      present.add(key);
      add(resource);
    }
  }
  for (const provenance of previousProvenances) add(provenance);
  add(provenance(ids.provenance, ids.header, senderRef, ACTIVITY[input.kind], now, payloadIds, input.previous?.messageHeaderId));

  return {
    resourceType: 'Bundle',
    id: ids.bundle,
    meta: { profile: [PROFILE.careCommunicationMessage] },
    type: 'message',
    timestamp: now,
    entry: entries,
  };
}

function messageHeader(id: string, communicationId: string, input: CareCommunicationInput, senderRef: string, receiverRef: string): JsonObject {
  return {
    resourceType: 'MessageHeader',
    id,
    meta: { profile: [PROFILE.careCommunicationMessageHeader] },
    text: narrative([
      ['Event', EVENT_CARE_COMMUNICATION],
      ['Sender', input.sender.name],
      ['Receiver', input.receiver.name],
    ]),
    eventCoding: { system: CODE_SYSTEM.eventCodes, code: EVENT_CARE_COMMUNICATION },
    destination: [
      {
        extension: [{ url: EXTENSION.destinationUse, valueCoding: { system: CODE_SYSTEM.destinationUse, code: 'primary' } }],
        endpoint: input.receiver.endpoint ?? sorEndpoint(input.receiver.sor),
        receiver: { reference: receiverRef },
      },
    ],
    sender: { reference: senderRef },
    source: { endpoint: input.sender.endpoint ?? sorEndpoint(input.sender.sor) },
    focus: [{ reference: `Communication/${communicationId}` }],
    definition: MESSAGE_DEFINITION.careCommunication,
  };
}

function patient(id: string, input: PatientInput): JsonObject {
  const identifier = input.cpr
    ? { system: SYSTEM.cpr, value: input.cpr }
    : { system: input.replacementCpr?.system ?? REPLACEMENT_CPR_DEFAULT_SYSTEM, value: input.replacementCpr?.value ?? '' };
  return {
    resourceType: 'Patient',
    id,
    meta: { profile: [PROFILE.corePatient] },
    text: narrative([['Name', [...input.given, input.family].join(' ')]]),
    identifier: [identifier],
    name: [{ use: 'official', family: input.family, given: [...input.given] }],
  };
}

function withoutAttachmentContent(payload: JsonObject): JsonObject {
  const attachment = obj(payload['contentAttachment']);
  if (!attachment) return payload;
  const { data: _data, url: _url, ...kept } = attachment;
  return { ...payload, contentAttachment: kept };
}

interface CommunicationParts {
  readonly identifier: string;
  readonly payload: JsonObject[];
  readonly recipientRef?: string;
  readonly encounterRef?: string;
}

function communication(id: string, patientId: string, input: CareCommunicationInput, parts: CommunicationParts): JsonObject {
  const resource: JsonObject = {
    resourceType: 'Communication',
    id,
    meta: { profile: [PROFILE.careCommunication] },
    text: narrative([
      ['Category', input.category],
      ['Topic', input.topic],
      ['Priority', input.priority],
      ['Message', input.text],
      ...(input.attachments ?? []).map((a) => ['Attachment', a.title] as const),
    ]),
    identifier: [{ value: parts.identifier }],
    status: 'unknown',
    category: [{ coding: [{ system: CODE_SYSTEM.careCommunicationCategory, code: input.category }] }],
  };
  if (input.priority) resource['priority'] = input.priority;
  resource['subject'] = { reference: `Patient/${patientId}` };
  if (input.topic) resource['topic'] = { text: input.topic };
  if (parts.encounterRef) resource['encounter'] = { reference: parts.encounterRef };
  if (parts.recipientRef) resource['recipient'] = [{ reference: parts.recipientRef }];
  resource['payload'] = parts.payload;
  return resource;
}

function organization(id: string, input: OrganizationInput): JsonObject {
  return {
    resourceType: 'Organization',
    id,
    meta: { profile: [PROFILE.messagingOrganization] },
    text: narrative([['Name', input.name], ['SOR', input.sor], ['EAN', input.gln]]),
    identifier: [
      { system: SYSTEM.sor, value: input.sor },
      { system: SYSTEM.gln, value: input.gln },
    ],
    name: input.name,
  };
}

function practitioner(id: string, given: readonly string[], family: string): JsonObject {
  return {
    resourceType: 'Practitioner',
    id,
    meta: { profile: [PROFILE.corePractitioner] },
    text: narrative([['Name', [...given, family].join(' ')]]),
    name: [{ family, given: [...given] }],
  };
}

function practitionerRole(id: string, practitionerId: string, orgRef: string, role: string | undefined, display?: string): JsonObject {
  const resource: JsonObject = {
    resourceType: 'PractitionerRole',
    id,
    meta: { profile: [PROFILE.corePractitionerRole] },
    text: narrative([['Role', display ?? role]]),
    practitioner: { reference: `Practitioner/${practitionerId}` },
    organization: { reference: orgRef },
  };
  if (role) {
    const coding: JsonObject = { system: CODE_SYSTEM.practitionerRole, code: role };
    if (display) coding['display'] = display;
    resource['code'] = [{ coding: [coding] }];
  }
  return resource;
}

function addRecipient(recipient: RecipientInput, ids: () => string, receiverRef: string, add: (r: JsonObject) => void): string {
  if (recipient.kind === 'care-team') {
    const id = ids();
    add({
      resourceType: 'CareTeam',
      id,
      meta: { profile: [PROFILE.coreCareTeam] },
      text: narrative([['Care team', recipient.name]]),
      name: recipient.name,
      managingOrganization: [{ reference: receiverRef }],
    });
    return `CareTeam/${id}`;
  }
  const practitionerId = ids();
  const roleId = ids();
  add(practitioner(practitionerId, recipient.given, recipient.family));
  add(practitionerRole(roleId, practitionerId, receiverRef, recipient.role));
  return `PractitionerRole/${roleId}`;
}

function provenance(
  id: string,
  headerId: string,
  senderRef: string,
  activity: ProvenanceActivity,
  now: string,
  payloadIds: readonly string[],
  previousHeaderId: string | undefined,
): JsonObject {
  const entity: JsonValue[] = payloadIds.map((value) => ({ role: 'source', what: { identifier: { value } } }));
  if (activity !== 'new-message' && previousHeaderId) {
    entity.push({ role: 'revision', what: { reference: `MessageHeader/${previousHeaderId}` } });
  }
  return {
    resourceType: 'Provenance',
    id,
    meta: { profile: [PROFILE.careCommunicationProvenance] },
    text: narrative([['Activity', activity], ['Target', `MessageHeader/${headerId}`]]),
    target: [{ reference: `MessageHeader/${headerId}` }],
    occurredDateTime: now,
    recorded: now,
    activity: { coding: [{ system: CODE_SYSTEM.activityCodes, code: activity }] },
    agent: [{ who: { reference: senderRef } }],
    entity,
  };
}

/** Resources in `index` reachable by reference from `roots`, followed transitively. */
function referencedResources(index: BundleIndex, roots: readonly JsonObject[]): JsonObject[] {
  const found = new Map<string, JsonObject>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') {
        const target = index.resolve(child);
        const targetKey = `${String(target?.['resourceType'])}/${String(target?.['id'])}`;
        if (target && !found.has(targetKey)) {
          found.set(targetKey, target);
          if (target['resourceType'] !== 'MessageHeader') visit(target);
        }
      } else visit(child);
    }
  };
  roots.forEach(visit);
  return [...found.values()];
}
