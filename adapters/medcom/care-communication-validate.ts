import { BundleIndex } from './bundle-index.js';
import { decodeBase64, parseCareCommunication } from './care-communication-parse.js';
import { judgeContent, normaliseContentType, sniffContentType } from './content-sniff.js';
import { MedComFormatError } from './errors.js';
import { isSorCode, isValidGln } from './identifiers.js';
import { isObject, obj, objects } from './json.js';
import {
  ACK_ERROR,
  ATTACHMENT_MIME_TYPES,
  CATEGORIES_ALLOWING_PRIORITY,
  EVENT_CARE_COMMUNICATION,
  PRIORITY_CODES,
  recogniseCategory,
  type AckErrorCode,
} from './medcom-terminology.js';
import type { MedComParty } from './message-parts.js';

/** Our name for each rule, stable for callers and tests; several rules share one MedCom code. */
export type ValidationRule =
  | 'not-a-bundle'
  | 'bundle-type'
  | 'first-entry-not-message-header'
  | 'message-id-missing'
  | 'event-code'
  | 'patient-count'
  | 'patient-identifier-missing'
  | 'sender-identifier-missing'
  | 'receiver-identifier-missing'
  | 'sender-gln-check-digit'
  | 'receiver-gln-check-digit'
  | 'provenance-missing'
  | 'communication-missing'
  | 'communication-identifier-missing'
  | 'category-unknown'
  | 'topic-missing-for-other'
  | 'priority-not-allowed'
  | 'priority-unknown'
  | 'text-payload-missing'
  | 'payload-date-missing'
  | 'payload-author-missing'
  | 'payload-identifier-missing'
  | 'attachment-title-missing'
  | 'attachment-content-type-unknown'
  | 'attachment-not-base64'
  | 'attachment-content-mismatch'
  | 'attachment-content-mislabelled'
  | 'attachment-too-large'
  | 'message-too-large'
  | 'text-not-storable';

export interface ValidationIssue {
  readonly severity: 'error' | 'warning';
  readonly rule: ValidationRule;
  /** From CodeSystem medcom-acknowledgement-error-codes, for the Acknowledgement's OperationOutcome. */
  readonly code: AckErrorCode;
  /** Names elements and positions only: never personal data. */
  readonly message: string;
}

export interface ValidationLimits {
  /** Decoded bytes per attachment. Our default; the IG sets no number. */
  readonly maxAttachmentBytes: number;
  /** Bytes of the whole message as received (or as JSON when not given). */
  readonly maxMessageBytes: number;
  /** Content types accepted for attachments (ValueSet medcom-core-attachmentMimeTypes by default). */
  readonly allowedContentTypes: readonly string[];
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxMessageBytes: 20 * 1024 * 1024,
  allowedContentTypes: ATTACHMENT_MIME_TYPES,
};

/** Checks a CareCommunication Bundle against the rules a receiver must enforce before accepting it. */
export function validateCareCommunication(
  bundle: unknown,
  options: Partial<ValidationLimits> & { messageBytes?: number; /** Strings the reader found holding NUL or unpaired surrogates (and replaced). */ unstorableText?: number } = {},
): ValidationIssue[] {
  const limits = { ...DEFAULT_LIMITS, ...options };
  const issues: ValidationIssue[] = [];
  const error = (rule: ValidationRule, code: AckErrorCode, message: string): void => {
    issues.push({ severity: 'error', rule, code, message });
  };
  const warning = (rule: ValidationRule, code: AckErrorCode, message: string): void => {
    issues.push({ severity: 'warning', rule, code, message });
  };
  if ((options.unstorableText ?? 0) > 0) {
    error('text-not-storable', ACK_ERROR.datatypeWrong, 'The message holds characters that cannot be stored (NUL or an unpaired UTF-16 surrogate).');
  }
  if (!isObject(bundle) || bundle['resourceType'] !== 'Bundle') {
    error('not-a-bundle', ACK_ERROR.datatypeWrong, 'The message is not a FHIR Bundle.');
    return issues;
  }
  if (bundle['type'] !== 'message') {
    error('bundle-type', ACK_ERROR.valueSetValueUnknown, 'Bundle.type must be "message".');
  }
  const firstResource = obj(objects(bundle['entry'])[0]?.['resource']);
  if (firstResource?.['resourceType'] !== 'MessageHeader') {
    error('first-entry-not-message-header', ACK_ERROR.datatypeWrong, 'The first Bundle entry must be a MessageHeader.');
  }
  let parsed;
  try {
    parsed = parseCareCommunication(bundle);
  } catch (err) {
    if (err instanceof MedComFormatError) {
      error('not-a-bundle', ACK_ERROR.datatypeWrong, 'The message is not a FHIR Bundle.');
      return issues;
    }
    throw err;
  }
  if (!parsed.bundleId || !parsed.messageHeaderId) {
    // Duplicates are recognised by these two ids; without them the message cannot be acknowledged safely.
    error('message-id-missing', ACK_ERROR.datatypeWrong, 'Bundle.id and MessageHeader.id are required.');
  }
  if (parsed.eventCode !== EVENT_CARE_COMMUNICATION) {
    error('event-code', ACK_ERROR.receiverUnableToReceiveMessageType, 'MessageHeader.eventCoding must be care-communication-message.');
  }
  if (parsed.patientCount !== 1) {
    error('patient-count', ACK_ERROR.datatypeWrong, `The message must hold exactly one Patient; it holds ${parsed.patientCount}.`);
  }
  if (parsed.patientCount === 1 && !parsed.patient.cpr && !parsed.patient.replacementCpr) {
    error('patient-identifier-missing', ACK_ERROR.datatypeWrong, 'The Patient has no CPR or replacement CPR identifier.');
  }
  checkParty(parsed.sender, 'sender', error);
  checkParty(parsed.receiver, 'receiver', error);

  if (!parsed.provenances.some((p) => p.targetMessageHeaderId !== undefined && p.targetMessageHeaderId === parsed.messageHeaderId)) {
    error('provenance-missing', ACK_ERROR.datatypeWrong, 'No Provenance describes this message (none targets its MessageHeader).');
  }

  const index = new BundleIndex(bundle);
  const communication = index.ofType('Communication')[0];
  if (!communication) {
    error('communication-missing', ACK_ERROR.datatypeWrong, 'The message holds no Communication.');
    return issues;
  }
  if (!parsed.communicationIdentifier) {
    // Older MedCom examples omit it; not a reason to reject the message.
    warning('communication-identifier-missing', ACK_ERROR.datatypeWrong, 'Communication.identifier is missing.');
  }
  if (!recogniseCategory(parsed.category)) {
    error('category-unknown', ACK_ERROR.codeSystemValueUnknown, 'Communication.category is not a MedCom CareCommunication category.');
  }
  if (parsed.category === 'other' && !parsed.topic?.trim()) {
    error('topic-missing-for-other', ACK_ERROR.datatypeWrong, 'Communication.topic is required when the category is "other".');
  }
  if (parsed.priority !== undefined) {
    if (!CATEGORIES_ALLOWING_PRIORITY.includes(parsed.category ?? '')) {
      error('priority-not-allowed', ACK_ERROR.valueSetValueUnknown, 'Communication.priority is only allowed with category "regarding-referral".');
    } else if (!(PRIORITY_CODES as readonly string[]).includes(parsed.priority)) {
      error('priority-unknown', ACK_ERROR.valueSetValueUnknown, 'Communication.priority is not a request priority code.');
    }
  }

  const payloads = objects(communication['payload']);
  if (!payloads.some((p) => typeof p['contentString'] === 'string')) {
    error('text-payload-missing', ACK_ERROR.datatypeWrong, 'At least one payload segment with message text is required.');
  }
  parsed.payloads.forEach((segment, i) => {
    const where = `payload ${i + 1}`;
    if (!segment.date) error('payload-date-missing', ACK_ERROR.datatypeWrong, `${where}: the date extension is missing.`);
    if (!segment.identifier) {
      error('payload-identifier-missing', ACK_ERROR.datatypeWrong, `${where}: the identifier extension is missing.`);
    }
    if (segment.text !== undefined && !segment.author) {
      error('payload-author-missing', ACK_ERROR.datatypeWrong, `${where}: the author extension is missing or does not resolve.`);
    }
    const attachment = segment.attachment;
    if (!attachment) return;
    if (!attachment.title) error('attachment-title-missing', ACK_ERROR.datatypeWrong, `${where}: the attachment has no title.`);
    const declared = attachment.contentType;
    const allowed = limits.allowedContentTypes.map((t) => normaliseContentType(t) ?? t);
    if (attachment.data !== undefined && (!declared || !allowed.includes(normaliseContentType(declared) ?? declared))) {
      error('attachment-content-type-unknown', ACK_ERROR.valueSetValueUnknown, `${where}: the attachment content type is not allowed.`);
    }
    if (attachment.data === undefined) return;
    const bytes = decodeBase64(attachment.data);
    if (!bytes) {
      error('attachment-not-base64', ACK_ERROR.damagedDuringTransport, `${where}: the attachment data is not valid base64.`);
      return;
    }
    const verdict = declared ? judgeContent(declared, bytes) : 'not-judged';
    if (verdict === 'mismatch') {
      error('attachment-content-mismatch', ACK_ERROR.damagedDuringTransport, `${where}: the attachment content does not match its declared content type.`);
    } else if (verdict === 'mislabelled-image' && allowed.includes(sniffContentType(bytes) ?? '')) {
      warning('attachment-content-mislabelled', ACK_ERROR.valueSetValueUnknown, `${where}: the attachment is an image of another type than declared; it is shown as what its bytes are.`);
    } else if (verdict === 'mislabelled-image') {
      error('attachment-content-mismatch', ACK_ERROR.damagedDuringTransport, `${where}: the attachment content does not match its declared content type.`);
    }
    if (bytes.length > limits.maxAttachmentBytes) {
      error('attachment-too-large', ACK_ERROR.elementTooLong, `${where}: the attachment is ${bytes.length} bytes; the limit is ${limits.maxAttachmentBytes}.`);
    }
  });
  const messageBytes = options.messageBytes ?? Buffer.byteLength(JSON.stringify(bundle), 'utf8');
  if (messageBytes > limits.maxMessageBytes) {
    error('message-too-large', ACK_ERROR.elementTooLong, `The message is ${messageBytes} bytes; the limit is ${limits.maxMessageBytes}.`);
  }
  return issues;
}

function checkParty(
  party: MedComParty,
  role: 'sender' | 'receiver',
  error: (rule: ValidationRule, code: AckErrorCode, message: string) => void,
): void {
  const missingCode = role === 'receiver' ? ACK_ERROR.receiverIdentifierMissing : ACK_ERROR.datatypeWrong;
  if (!party.sor || !isSorCode(party.sor)) {
    error(`${role}-identifier-missing`, missingCode, `The ${role} organisation has no valid SOR identifier.`);
  }
  if (!party.gln) {
    error(`${role}-identifier-missing`, missingCode, `The ${role} organisation has no GLN (EAN location number).`);
  } else if (!isValidGln(party.gln)) {
    const code = role === 'receiver' ? ACK_ERROR.receiverIdentifierUnknown : ACK_ERROR.datatypeWrong;
    error(`${role}-gln-check-digit`, code, `The ${role} GLN fails the GS1 check digit.`);
  }
}

/** The Acknowledgement code a set of issues calls for. */
export function acknowledgementCodeFor(issues: readonly ValidationIssue[]): 'ok' | 'fatal-error' {
  return issues.some((i) => i.severity === 'error') ? 'fatal-error' : 'ok';
}

