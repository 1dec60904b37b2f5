import { BundleIndex } from './bundle-index.js';
import type { CareCommunicationInput } from './care-communication-input.js';
import {
  addRecipient,
  communication,
  messageHeader,
  organization,
  patient,
  practitioner,
  practitionerRole,
  provenance,
  withoutAttachmentContent,
} from './care-communication-resources.js';
import { formatInstant } from './datetime.js';
import { isObject, obj, objects, str, type JsonObject, type JsonValue } from './json.js';
import { EXTENSION, PROFILE, type ProvenanceActivity } from './medcom-terminology.js';

export type {
  AttachmentInput,
  CareCommunicationInput,
  OrganizationInput,
  PatientInput,
  PractitionerInput,
  RecipientInput,
} from './care-communication-input.js';

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
  add(withCarriedIdentifiers(patient(ids.patient, input.patient), input.previous));

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
  // MedCom's send protocol: a forward includes it too.
  const previousEncounter = previousIndex ? previousIndex.resolve(previousCommunication?.['encounter']) : undefined;
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

/**
 * A reply or forward is about the same child: it carries every CPR and replacement CPR the
 * previous message's Patient carried (MedCom's send protocol, multiple CPR numbers), the one it is
 * filed under first.
 */
function withCarriedIdentifiers(resource: JsonObject, previous: CareCommunicationInput['previous']): JsonObject {
  const carried = previous?.patient.identifiers ?? [];
  if (carried.length === 0) return resource;
  const own = objects(resource['identifier']);
  const seen = new Set(own.map((i) => String(i['value'])));
  const extra = carried.filter((i) => !seen.has(i.value)).map((i) => ({ system: i.system, value: i.value }));
  return { ...resource, identifier: [...own, ...extra] };
}
