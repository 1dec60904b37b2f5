import { BundleIndex } from './bundle-index.js';
import { MedComFormatError } from './errors.js';
import { isObject, obj, objects, str } from './json.js';
import { ACK_ERROR_DISPLAY, EVENT_ACKNOWLEDGEMENT, type AckErrorCode } from './medcom-terminology.js';
import { firstCoding, readMessageHeader, type MessageHeaderView } from './message-parts.js';
import type { AcknowledgementCode } from './acknowledgement-build.js';

export interface AcknowledgementError {
  readonly severity?: string;
  readonly code?: string;
  readonly system?: string;
  /** The code's display, the details text, or the diagnostics, whichever the sender gave. */
  readonly text?: string;
  readonly diagnostics?: string;
}

export interface ParsedAcknowledgement extends MessageHeaderView {
  readonly code?: AcknowledgementCode;
  readonly answeredMessageHeaderId?: string;
  readonly errors: AcknowledgementError[];
  readonly notes: string[];
}

/** Reads a MedCom Acknowledgement Bundle (FHIR JSON shape). */
export function parseAcknowledgement(bundle: unknown): ParsedAcknowledgement {
  if (!isObject(bundle) || bundle['resourceType'] !== 'Bundle') {
    throw new MedComFormatError('not-a-bundle', 'the acknowledgement is not a FHIR Bundle');
  }
  const notes: string[] = [];
  const index = new BundleIndex(bundle);
  const header = readMessageHeader(bundle, index, notes);
  if (header.eventCode !== EVENT_ACKNOWLEDGEMENT) {
    throw new MedComFormatError('not-an-acknowledgement', 'the message is not a MedCom acknowledgement');
  }
  const messageHeader = index.ofType('MessageHeader')[0];
  const response = obj(messageHeader?.['response']);
  const rawCode = str(response?.['code']);
  const code = rawCode === 'ok' || rawCode === 'transient-error' || rawCode === 'fatal-error' ? rawCode : undefined;
  if (rawCode !== undefined && code === undefined) notes.push('acknowledgement response code is not a FHIR response code');
  const outcome = index.resolve(response?.['details']) ?? index.ofType('OperationOutcome')[0];
  const errors: AcknowledgementError[] = objects(outcome?.['issue']).map((issue) => {
    const details = obj(issue['details']);
    const coding = firstCoding(details);
    const diagnostics = str(issue['diagnostics']);
    const fallback = coding.code && coding.code in ACK_ERROR_DISPLAY ? ACK_ERROR_DISPLAY[coding.code as AckErrorCode] : undefined;
    return {
      severity: str(issue['severity']),
      code: coding.code,
      system: coding.system,
      text: coding.display ?? str(details?.['text']) ?? diagnostics ?? fallback,
      diagnostics,
    };
  });
  return { ...header, code, answeredMessageHeaderId: str(response?.['identifier']), errors, notes };
}
