// MedCom protocol library: pure functions over CareCommunication, Acknowledgement and VANSEnvelope.
export { XmlSecurityError, XmlParseError, XmlLimitError, MedComFormatError } from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
export { decodeXmlBytes, assertNoDtd, parseXml, DEFAULT_XML_LIMITS } from './xml-document.js';
export type { XmlElement, XmlNode, XmlText, DecodedXml, XmlLimits } from './xml-document.js';
export { fhirXmlToJson, fhirXmlRootToJson, fhirJsonToXml, FHIR_NS, XHTML_NS } from './fhir-xml.js';
export type { FhirXmlReadResult } from './fhir-xml.js';
export { isRepeatingElement } from './fhir-repeating-elements.js';
export { readFhirMessage } from './fhir-message-read.js';
export type { ReadFhirMessage } from './fhir-message-read.js';
export { readDateTime, formatInstant } from './datetime.js';
export { SYSTEM, recogniseSystem, isValidGln, isSorCode, looksLikeCpr, looksLikeReplacementCpr } from './identifiers.js';
export type { IdentifierKind, RecognisedSystem } from './identifiers.js';
export * from './medcom-terminology.js';
export type { MedComParty, ProvenanceView, MessageHeaderView } from './message-parts.js';
export { BundleIndex, referenceId } from './bundle-index.js';
export { parseCareCommunication, decodeBase64, plainText } from './care-communication-parse.js';
export type {
  ParsedCareCommunication,
  PatientView,
  PatientIdentifier,
  PersonView,
  PayloadSegment,
  AttachmentView,
} from './care-communication-parse.js';
export { validateCareCommunication, acknowledgementCodeFor, DEFAULT_LIMITS } from './care-communication-validate.js';
export type { ValidationIssue, ValidationRule, ValidationLimits } from './care-communication-validate.js';
export { sniffContentType, contentMatchesDeclaredType, normaliseContentType } from './content-sniff.js';
export type { SniffedContentType } from './content-sniff.js';
export { buildCareCommunication } from './care-communication-build.js';
export type {
  CareCommunicationInput,
  OrganizationInput,
  PractitionerInput,
  PatientInput,
  AttachmentInput,
  RecipientInput,
} from './care-communication-build.js';
export { buildAcknowledgement } from './acknowledgement-build.js';
export type {
  AcknowledgementCode,
  AnsweredMessage,
  AcknowledgementIssueInput,
  BuildAcknowledgementInput,
} from './acknowledgement-build.js';
export { parseAcknowledgement } from './acknowledgement-parse.js';
export type { AcknowledgementError, ParsedAcknowledgement } from './acknowledgement-parse.js';
export { wrapInVansEnvelope, unwrapVansEnvelope, openVansEnvelope } from './vans-envelope.js';
export type { WrapInVansEnvelopeInput, UnwrappedVansEnvelope } from './vans-envelope.js';
export { detectMessageFormat, classifyXmlRoot, VANS_NAMESPACE } from './message-format.js';
export type { MessageFormat, DetectedFormat } from './message-format.js';
export {
  readXdis91,
  readXdis91Root,
  xdis91ToCareCommunication,
  buildXctl03,
  readXctl03,
  readXctl03Root,
  oioxmlReceiptIds,
  danishDateTime,
  danishLocalTime,
  XDIS91_NAMESPACE,
  XCTL03_NAMESPACE,
} from './oioxml.js';
export type { Xdis91Letter, Xdis91Binary, Xdis91Parties, Xctl03Input, Xctl03Receipt } from './oioxml.js';
export {
  careCommunicationToXdis91,
  oioxmlLetterReference,
  readOioxmlLetterReference,
  withOioxmlPredecessor,
  wrapXdis91InVansEnvelope,
  xdis91Ids,
  xdis91Limitations,
  XDIS91_VERSION_CODE,
} from './oioxml-send.js';
export type { CareCommunicationToXdis91Input, WrapXdis91Input, Xdis91Ids } from './oioxml-send.js';
