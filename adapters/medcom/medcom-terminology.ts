/** Canonical URLs and code systems from the MedCom FHIR implementation guides (CareCommunication 5.0). */
import { CATEGORY_CODES } from './medcom-terminology-source.js';

export {
  ATTACHMENT_MIME_TYPES,
  ATTACHMENT_MIME_TYPES_SOURCE,
  CATEGORY_DISPLAY,
  CATEGORY_SOURCE,
} from './medcom-terminology-source.js';
export type { TerminologySource } from './medcom-terminology-source.js';

export const PROFILE = {
  careCommunicationMessage: 'http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-message',
  careCommunicationMessageHeader:
    'http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-messageHeader',
  careCommunication: 'http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-communication',
  careCommunicationProvenance: 'http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-provenance',
  messagingOrganization: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization',
  messagingProvenance: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance',
  corePatient: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient',
  corePractitioner: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner',
  corePractitionerRole: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitionerrole',
  coreCareTeam: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-careteam',
  coreOrganization: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-organization',
  acknowledgementMessage: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement',
  acknowledgementHeader: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader',
  acknowledgementOperationOutcome:
    'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-acknowledgement-operationoutcome',
} as const;

export const EXTENSION = {
  destinationUse: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension',
  payloadDateTime: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-datetime-extension',
  payloadIdentifier: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-identifier-extension',
  payloadAuthor: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner-extension',
  payloadAuthorContact: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-contact-extension',
  sender: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension',
} as const;

export const CODE_SYSTEM = {
  eventCodes: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes',
  destinationUse: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse',
  activityCodes: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes',
  careCommunicationCategory: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes',
  practitionerRole: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ',
  requestPriority: 'http://hl7.org/fhir/request-priority',
  acknowledgementErrorCodes: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes',
} as const;

export const MESSAGE_DEFINITION = {
  careCommunication:
    'http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition|5.0',
  acknowledgement: 'http://medcomfhir.dk/ig/acknowledgement/medcom-acknowledgement-message-definition|2.0.0',
} as const;

/** Encounter profile, used to carry an episode-of-care identifier (forløbs-id). */
export const ENCOUNTER_PROFILE = 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-encounter';

export const EVENT_CARE_COMMUNICATION = 'care-communication-message';
export const EVENT_ACKNOWLEDGEMENT = 'acknowledgement-message';

/** Endpoint used when a party's endpoint is not known, as the messaging IG allows. */
export const UNKNOWN_ENDPOINT = 'http://medcomfhir.dk/unknown';

/** The SOR browser address MedCom examples use as MessageHeader endpoint for a SOR code. */
export function sorEndpoint(sor: string): string {
  return `https://sor2.sum.dsdn.dk/#id=${sor}`;
}

/** CodeSystem medcom-careCommunication-categoryCodes: the checked-in list with its source version. */
export const CARE_COMMUNICATION_CATEGORIES = CATEGORY_CODES;
export type CareCommunicationCategory = (typeof CARE_COMMUNICATION_CATEGORIES)[number];

/** Invariant medcom-careCommunication-5: priority only with category regarding-referral. */
export const CATEGORIES_ALLOWING_PRIORITY: readonly string[] = ['regarding-referral'];
/** CareCommunication allows priority `routine` or `asap` (IG, Communication profile intro). */
export const PRIORITY_CODES = ['routine', 'asap'] as const;
export type Priority = (typeof PRIORITY_CODES)[number];

export type ProvenanceActivity = 'new-message' | 'reply-message' | 'forward-message';

/** CodeSystem medcom-acknowledgement-error-codes (dk-medcom-terminology 1.8.1). */
export const ACK_ERROR = {
  receiverIdentifierUnknown: 'MSG_Receiver_Identifier_UNKNOWN',
  receiverIdentifierMissing: 'MSG_Receiver_Identifier_MISSING',
  receiverUnableToReceiveMessageType: 'MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE',
  valueSetValueUnknown: 'MSG_VALUESET_VALUE_UNKNOWN',
  codeSystemValueUnknown: 'MSG_CodeSystem_VALUE_UNKNOWN',
  elementTooLong: 'MSG_Element_To_Long',
  datatypeWrong: 'MSG_Datatype_Wrong',
  mailboxOutOfOperation: 'MSG_Mailbox_Out_Of_Operation',
  damagedDuringTransport: 'MSG_Damaged_durin_transport',
} as const;
export type AckErrorCode = (typeof ACK_ERROR)[keyof typeof ACK_ERROR];

export const ACK_ERROR_DISPLAY: Readonly<Record<AckErrorCode, string>> = {
  MSG_Receiver_Identifier_UNKNOWN: 'Receiver identifier unknown',
  MSG_Receiver_Identifier_MISSING: 'Receiver identifier missing',
  MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE: 'Receiver unable to receive this message type',
  MSG_VALUESET_VALUE_UNKNOWN: 'The value provided is not in the valueSet',
  MSG_CodeSystem_VALUE_UNKNOWN: 'The value provided is not in the CodeSystem',
  MSG_Element_To_Long: 'The value of the element is to long',
  MSG_Datatype_Wrong: 'The data type is wrong',
  MSG_Mailbox_Out_Of_Operation: 'The mailbox is temporary out of operation',
  MSG_Damaged_durin_transport: 'The message has been damaged during trasport',
};

/**
 * A received category code read as its CodeSystem defines it (`caseSensitive = false`): `Other`
 * is `other`. Undefined when the code is not in the current list.
 */
export function recogniseCategory(code: string | undefined): CareCommunicationCategory | undefined {
  if (!code) return undefined;
  const lower = code.trim().toLowerCase();
  return CARE_COMMUNICATION_CATEGORIES.find((c) => c === lower);
}
