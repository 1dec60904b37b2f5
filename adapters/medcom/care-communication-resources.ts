import type { CareCommunicationInput, PatientInput, RecipientInput } from './care-communication-input.js';
import { SYSTEM } from './identifiers.js';
import { obj, type JsonObject, type JsonValue } from './json.js';
import {
  CODE_SYSTEM,
  EVENT_CARE_COMMUNICATION,
  EXTENSION,
  MESSAGE_DEFINITION,
  PROFILE,
  sorEndpoint,
  type ProvenanceActivity,
} from './medcom-terminology.js';
import { narrative } from './narrative.js';

/** The resources of a CareCommunication message, each with its IG profile and a narrative. */

const REPLACEMENT_CPR_DEFAULT_SYSTEM = 'urn:oid:1.2.208.176.1.6.1.1';

export function messageHeader(id: string, communicationId: string, input: CareCommunicationInput, senderRef: string, receiverRef: string): JsonObject {
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

export function patient(id: string, input: PatientInput): JsonObject {
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

export function withoutAttachmentContent(payload: JsonObject): JsonObject {
  const attachment = obj(payload['contentAttachment']);
  if (!attachment) return payload;
  // The content stays behind; a link is not content and stays with its title and identifier.
  const { data: _data, ...kept } = attachment;
  return { ...payload, contentAttachment: kept };
}

export interface CommunicationParts {
  readonly identifier: string;
  readonly payload: JsonObject[];
  readonly recipientRef?: string;
  readonly encounterRef?: string;
}

export function communication(id: string, patientId: string, input: CareCommunicationInput, parts: CommunicationParts): JsonObject {
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

/** A MedCom messaging Organization with its SOR and GLN identifiers (both care communications and acknowledgements). */
export function organization(id: string, party: { readonly sor?: string; readonly gln?: string; readonly name?: string }): JsonObject {
  const resource: JsonObject = {
    resourceType: 'Organization',
    id,
    meta: { profile: [PROFILE.messagingOrganization] },
    text: narrative([['Name', party.name], ['SOR', party.sor], ['EAN', party.gln]]),
    identifier: [
      ...(party.sor ? [{ system: SYSTEM.sor, value: party.sor }] : []),
      ...(party.gln ? [{ system: SYSTEM.gln, value: party.gln }] : []),
    ],
  };
  if (party.name) resource['name'] = party.name;
  return resource;
}

export function practitioner(id: string, given: readonly string[], family: string): JsonObject {
  return {
    resourceType: 'Practitioner',
    id,
    meta: { profile: [PROFILE.corePractitioner] },
    text: narrative([['Name', [...given, family].join(' ')]]),
    name: [{ family, given: [...given] }],
  };
}

export function practitionerRole(id: string, practitionerId: string, orgRef: string, role: string | undefined, display?: string): JsonObject {
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

export function addRecipient(recipient: RecipientInput, ids: () => string, receiverRef: string, add: (r: JsonObject) => void): string {
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

export function provenance(
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
