/**
 * Receive: what the MedCom gateway posts. Unwrap (VANSEnvelope or bare Bundle, JSON or XML),
 * refuse what cannot be processed safely, then either store a CareCommunication for the
 * receiving organisation and answer it with an Acknowledgement, or apply a received
 * Acknowledgement to the message it answers. Duplicates (same MessageHeader.id, or same Bundle.id)
 * are answered with the original acknowledgement and never stored twice.
 */
import {
  ACK_ERROR,
  BundleIndex,
  DEFAULT_XML_LIMITS,
  EVENT_ACKNOWLEDGEMENT,
  MedComFormatError,
  XmlLimitError,
  XmlParseError,
  XmlSecurityError,
  buildAcknowledgement,
  buildXctl03,
  classifyXmlRoot,
  fhirXmlRootToJson,
  oioxmlReceiptIds,
  openVansEnvelope,
  parseAcknowledgement,
  parseCareCommunication,
  parseXml,
  oioxmlLetterReference,
  readXctl03Root,
  readXdis91Root,
  validateCareCommunication,
  xdis91ToCareCommunication,
  type AcknowledgementCode,
  type AcknowledgementIssueInput,
  type JsonObject,
  type MedComParty,
  type ParsedAcknowledgement,
  type ParsedCareCommunication,
  type Xctl03Receipt,
  type Xdis91Letter,
  type XmlElement,
} from '../../adapters/medcom/index.js';
import { inspectJson } from '../platform/storable-text.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { AcknowledgementReceivedRecord, CorrespondenceReceivedRecord } from '../audit/audit-record.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { auditOrFail as failClosed } from '../audit/fail-closed.js';
import { ProblemError } from '../http/problem.js';
import type { Caller } from '../identity/caller.js';
import { checkAcknowledgementSender } from './acknowledgement-sender.js';
import { auditOrFail } from './audit.js';
import type { CorrespondenceContext } from './context.js';
import { ackTimeoutJob, TRANSIENT_ERROR } from './jobs/ack-timeout.js';
import { DELIVER_ACKNOWLEDGEMENT, deliverAcknowledgementJob } from './jobs/deliver-acknowledgement.js';
import { checkXctl03Receipt, receiptLetterReference } from './oioxml-receipt.js';
import { findInbound, findOutboundByHeader, findOutboundByOioxmlLetter, insertMessage, lockMessage, updateMessage, type MessageRow } from './store.js';
import { messageKindOf, previousHeaderOf, threadKeyOf } from './thread.js';

export interface ReceiveDeps {
  readonly ctx: CorrespondenceContext;
  readonly audit: AuditWriter;
}

/** The answer to a received CareCommunication: an Acknowledgement, in the sender's encoding. */
export interface CareCommunicationReceipt {
  readonly type: 'care-communication';
  readonly outcome: 'stored' | 'duplicate' | 'rejected';
  readonly code: AcknowledgementCode;
  readonly acknowledgement: JsonObject;
  readonly encoding: 'json' | 'xml';
  /** Set when the message came in a VANSEnvelope: the answer goes back in one. */
  readonly envelope?: { readonly ourEan: string; readonly theirEan: string };
  readonly messageId?: string;
  /** Set when the message was an OIOXML XDIS91 letter: its XCTL03 positive receipt (ISO-8859-1). */
  readonly oioxmlReceipt?: Buffer;
}

export interface AcknowledgementReceipt {
  readonly type: 'acknowledgement';
  readonly messageId: string;
  readonly code: AcknowledgementCode | 'unknown';
  readonly status: MessageRow['status'];
}

export type InboundReceipt = CareCommunicationReceipt | AcknowledgementReceipt;

const badRequest = (slug: string, title: string, detail: string, extensions?: Record<string, unknown>): ProblemError =>
  new ProblemError(400, slug, title, { detail, ...(extensions ? { extensions } : {}) });

export async function receiveInbound(deps: ReceiveDeps, caller: Caller, body: Uint8Array, requestId: string): Promise<InboundReceipt> {
  let read: ReadPayload;
  let envelope: { senderEan?: string | undefined; receiverEan?: string | undefined } | undefined;
  const notes: string[] = [];
  // Bare FHIR JSON, the common case, is parsed once; XML is parsed once too (under limits) and
  // identified by its root: envelope, FHIR, legacy OIOXML.
  const json = readJson(body);
  if (json) read = json;
  else {
    const parsed = parseXmlOrRefuse(body);
    if (classifyXmlRoot(parsed.root).format === 'vans-envelope') {
      let opened: ReturnType<typeof openVansEnvelope>;
      try {
        opened = openVansEnvelope(parsed.root, parsed.notes);
      } catch (error) {
        throw refusal(error);
      }
      envelope = { senderEan: opened.senderEan, receiverEan: opened.receiverEan };
      notes.push(...opened.notes);
      const payload = opened.payload;
      const inner = readJson(payload) ?? parseXmlOrRefuse(payload);
      if ('root' in inner && isXdis91(inner.root)) return receiveXdis91(deps, caller, inner, envelope, notes, requestId);
      if ('root' in inner && isXctl03(inner.root)) return receiveXctl03(deps, caller, inner.root, requestId);
      read = 'root' in inner ? readXml(inner) : inner;
      const mime = opened.serviceTags['MCM:MIME'];
      if (mime && !mime.includes(read.encoding)) notes.push('MCM:MIME service tag does not match the payload');
    } else if (isXdis91(parsed.root)) {
      return receiveXdis91(deps, caller, parsed, undefined, notes, requestId);
    } else if (isXctl03(parsed.root)) {
      return receiveXctl03(deps, caller, parsed.root, requestId);
    } else read = readXml(parsed);
  }
  const { bundle, encoding, bytes } = read;
  notes.push(...read.notes);
  const eventCoding = new BundleIndex(bundle).ofType('MessageHeader')[0]?.['eventCoding'];
  const event = eventCoding && typeof eventCoding === 'object' && !Array.isArray(eventCoding) ? eventCoding['code'] : undefined;
  if (event === EVENT_ACKNOWLEDGEMENT) {
    if (read.unstorableText > 0) throw badRequest('unstorable-text', 'Unstorable text', 'the acknowledgement holds characters that cannot be stored (NUL or an unpaired UTF-16 surrogate)');
    return receiveAcknowledgement(deps, caller, bundle, requestId);
  }
  return receiveCareCommunication(deps, caller, { bundle, encoding, notes, envelope, bytes, unstorableText: read.unstorableText }, requestId);
}

interface ReadPayload {
  readonly bundle: JsonObject;
  readonly encoding: 'json' | 'xml';
  readonly notes: readonly string[];
  readonly bytes: number;
  /** Strings that held NUL or unpaired surrogates, replaced by U+FFFD: the message is answered fatal-error, never stored. */
  readonly unstorableText: number;
}

const JSON_LIMITS = { maxDepth: 64, maxNodes: 1_000_000 } as const;

const tooComplex = (): ProblemError =>
  badRequest('message-too-complex', 'Message too complex', 'the message nests deeper or holds more elements than a MedCom message may; it was not read');

/** FHIR JSON read with one parse; undefined when the bytes are not JSON at all. */
function readJson(bytes: Uint8Array): ReadPayload | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\ufeff/, '');
  if (!text.trimStart().startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest('not-a-medcom-message', 'Not a MedCom message', 'the body is not well-formed JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json) || typeof (json as JsonObject)['resourceType'] !== 'string') {
    throw badRequest('not-a-medcom-message', 'Not a MedCom message', 'the JSON is not a FHIR resource');
  }
  // JSON can carry NUL or a lone surrogate only as a \u escape. Such text is replaced here, so that
  // neither the acknowledgement nor the audit record carries it, and the message is refused.
  const found = inspectJson(json, { ...JSON_LIMITS, replace: true, text: text.includes('\\u') });
  if (found.exceeded) throw tooComplex();
  return { bundle: json as JsonObject, encoding: 'json', notes: [], bytes: bytes.byteLength, unstorableText: found.unstorable };
}

/** Parses received XML once, under the tree limits, or refuses it. */
function parseXmlOrRefuse(bytes: Uint8Array): { root: XmlElement; notes: string[]; bytes?: number } {
  try {
    return { ...parseXml(bytes, DEFAULT_XML_LIMITS), bytes: bytes.byteLength };
  } catch (error) {
    throw refusal(error);
  }
}

/** FHIR XML from its parsed root, or the refusal its root calls for (legacy OIOXML, other). */
function readXml(xml: { root: XmlElement; notes: string[]; bytes?: number }): ReadPayload {
  const detected = classifyXmlRoot(xml.root);
  if (detected.format === 'legacy-oioxml') throw refusal(new MedComFormatError('legacy-oioxml-refused', 'legacy OIOXML'));
  if (detected.format !== 'fhir-xml') throw refusal(new MedComFormatError('not-fhir', 'the payload is not a FHIR message'));
  try {
    // XML 1.0 cannot carry NUL or unpaired surrogates (the parser refuses them, also as references).
    return { bundle: fhirXmlRootToJson(xml.root), encoding: 'xml', notes: xml.notes, bytes: xml.bytes ?? 0, unstorableText: 0 };
  } catch (error) {
    throw refusal(error);
  }
}

function refusal(error: unknown): ProblemError {
  if (error instanceof XmlSecurityError) {
    return badRequest('xml-refused', 'XML refused', 'XML with a DOCTYPE, entity declaration or similar construct is refused; nothing was fetched');
  }
  if (error instanceof XmlLimitError) return tooComplex();
  if (error instanceof MedComFormatError && error.code === 'legacy-oioxml-refused') {
    return new ProblemError(422, 'legacy-oioxml-refused', 'Legacy OIOXML not accepted', {
      detail: 'of OIOXML only XDIS91 letters and XCTL03 positive receipts are accepted (not other receipts or letters); send MedCom FHIR CareCommunication 5.0',
    });
  }
  if (error instanceof MedComFormatError || error instanceof XmlParseError || error instanceof SyntaxError) {
    return badRequest('not-a-medcom-message', 'Not a MedCom message', 'the body is not a FHIR message, a VANSEnvelope carrying one, or it is damaged');
  }
  return error instanceof ProblemError ? error : badRequest('not-a-medcom-message', 'Not a MedCom message', 'the body could not be read');
}

interface Incoming {
  readonly bundle: JsonObject;
  readonly encoding: 'json' | 'xml';
  readonly notes: readonly string[];
  readonly envelope: { senderEan?: string | undefined; receiverEan?: string | undefined } | undefined;
  readonly bytes: number;
  readonly unstorableText: number;
  /** The OIOXML letter this Bundle was converted from: its sender is answered with a receipt, not a FHIR Acknowledgement. */
  readonly legacy?: Xdis91Letter;
}

async function receiveCareCommunication(deps: ReceiveDeps, caller: Caller, incoming: Incoming, requestId: string): Promise<CareCommunicationReceipt> {
  const { ctx } = deps;
  let parsed: ParsedCareCommunication;
  try {
    parsed = parseCareCommunication(incoming.bundle, [...incoming.notes]);
  } catch (error) {
    throw refusal(error);
  }
  const issues = validateCareCommunication(incoming.bundle, {
    maxAttachmentBytes: ctx.config.maxAttachmentBytes,
    maxMessageBytes: ctx.config.maxMessageBytes,
    messageBytes: incoming.bytes,
    unstorableText: incoming.unstorableText,
  }).filter((i) => i.severity === 'error');
  const ackIssues: AcknowledgementIssueInput[] = issues.map((i) => ({ code: i.code, message: i.message }));

  // The receiver: by SOR code, else by GLN (own EAN of a served organisation).
  const receiver =
    (parsed.receiver.sor ? await ctx.parties.bySor(parsed.receiver.sor) : null) ??
    (parsed.receiver.gln ? await ctx.parties.byEan(parsed.receiver.gln) : null);
  const receiverIdentified = !issues.some((i) => i.rule === 'receiver-identifier-missing' || i.rule === 'receiver-gln-check-digit');
  if (!receiver && receiverIdentified) {
    ackIssues.push({ code: ACK_ERROR.receiverIdentifierUnknown, message: 'The receiver is not an organisation this broker serves.' });
  }
  const answeredReceiver: MedComParty = { ...parsed.receiver, sor: parsed.receiver.sor ?? receiver?.sor, gln: parsed.receiver.gln ?? receiver?.ean ?? undefined };
  const theirEan = parsed.sender.gln ?? incoming.envelope?.senderEan;
  const ourEan = answeredReceiver.gln ?? incoming.envelope?.receiverEan;
  const messageHeaderId = parsed.messageHeaderId;
  const bundleId = parsed.bundleId;
  // Without both ids and both parties' identifiers no acknowledgement can be addressed.
  if (!messageHeaderId || !bundleId || !parsed.sender.sor || !parsed.sender.gln || !answeredReceiver.sor || !answeredReceiver.gln) {
    await auditOrFail(deps.audit, auditOf(caller, requestId, parsed, receiver?.sor ?? null, 'failed', { rules: issues.map((i) => i.rule), acknowledgeable: false }));
    throw new ProblemError(422, 'message-not-acknowledgeable', 'Message cannot be acknowledged', {
      detail: 'the message lacks the ids or party identifiers an acknowledgement needs',
      extensions: { errors: issues.map((i) => ({ rule: i.rule, code: i.code, message: i.message })) },
    });
  }
  const envelope = incoming.envelope && ourEan && theirEan ? { ourEan, theirEan } : undefined;

  if (receiver) {
    const existing = await findInbound(ctx.db, receiver.sor, { messageHeaderId, bundleId });
    if (existing) return answerDuplicate(deps, caller, parsed, existing, incoming, envelope, requestId);
  }

  const code: AcknowledgementCode = ackIssues.length > 0 ? 'fatal-error' : 'ok';
  const acknowledgement = buildAcknowledgement({
    answered: { messageHeaderId, sender: parsed.sender, receiver: answeredReceiver, bundle: incoming.bundle },
    code,
    issues: ackIssues,
    ids: ctx.ids,
    clock: ctx.clock,
  });
  const ackJob = { acknowledgement, code, encoding: incoming.encoding, ourEan: answeredReceiver.gln, theirEan: theirEan ?? parsed.sender.gln, requestId };

  if (code !== 'ok' || !receiver) {
    await auditOrFail(deps.audit, auditOf(caller, requestId, parsed, receiver?.sor ?? null, 'failed', { code, rules: issues.map((i) => i.rule), errorCodes: ackIssues.map((i) => i.code) }));
    if (!incoming.legacy) await ctx.queue.send(deliverAcknowledgementJob(ctx), ackJob);
    return { type: 'care-communication', outcome: 'rejected', code, acknowledgement, encoding: incoming.encoding, ...(envelope ? { envelope } : {}) };
  }

  const id = ctx.ids();
  const now = ctx.clock();
  try {
    // The message, its acknowledgement job and its audit record commit together: a copy that
    // loses the race to store the same message leaves no `success` record for a message never stored.
    // Shared with concurrent messages (group commit), each in a savepoint of its own.
    await deps.audit.writeWith(
      'the message',
      async (trx) => {
        await insertMessage(trx, {
          id,
          direction: 'in',
          organisation_sor: receiver.sor,
          organisation_ean: answeredReceiver.gln as string,
          counterpart_sor: parsed.sender.sor as string,
          counterpart_ean: parsed.sender.gln as string,
          patient_cpr: parsed.patient.cpr ?? parsed.patient.replacementCpr ?? '',
          kind: messageKindOf(parsed),
          category: parsed.category ?? 'other',
          topic: parsed.topic ?? null,
          bundle_id: bundleId,
          message_header_id: messageHeaderId,
          previous_message_header_id: previousHeaderOf(parsed),
          episode_of_care_id: parsed.episodeOfCareIdentifier ?? null,
          thread_key: threadKeyOf(parsed),
          status: 'received',
          encoding: incoming.encoding,
          bundle: incoming.bundle,
          acknowledgement_sent: acknowledgement,
          acknowledgement_code: code,
          created_at: now,
          acknowledged_at: now,
          request_id: requestId,
          oioxml_letter: incoming.legacy ? oioxmlLetterReference(incoming.legacy.sender.ean, incoming.legacy.letterId) : null,
        });
        if (!incoming.legacy) await ctx.queue.send(deliverAcknowledgementJob(ctx), ackJob, { trx });
      },
      auditOf(caller, requestId, parsed, receiver.sor, 'success', { messageId: id, code, notes: parsed.notes }),
    );
    if (!incoming.legacy) ctx.queue.wake({ name: DELIVER_ACKNOWLEDGEMENT });
  } catch (error) {
    // A concurrent copy of the same message won the insert: answer (and audit) as a duplicate.
    const winner = await findInbound(ctx.db, receiver.sor, { messageHeaderId, bundleId });
    if (winner) return answerDuplicate(deps, caller, parsed, winner, incoming, envelope, requestId);
    throw error;
  }
  return { type: 'care-communication', outcome: 'stored', code, acknowledgement, encoding: incoming.encoding, messageId: id, ...(envelope ? { envelope } : {}) };
}

/**
 * MedCom: the same MessageHeader.id again (with the same or a new Bundle.id) is a resend: answer
 * with the original acknowledgement. A known Bundle.id under another MessageHeader.id is an error.
 */
async function answerDuplicate(
  deps: ReceiveDeps,
  caller: Caller,
  parsed: ParsedCareCommunication,
  existing: MessageRow,
  incoming: Incoming,
  envelope: CareCommunicationReceipt['envelope'],
  requestId: string,
): Promise<CareCommunicationReceipt> {
  const { ctx } = deps;
  if (existing.message_header_id !== parsed.messageHeaderId) {
    const acknowledgement = buildAcknowledgement({
      answered: { messageHeaderId: parsed.messageHeaderId, sender: parsed.sender, receiver: { ...parsed.receiver, sor: existing.organisation_sor, gln: existing.organisation_ean }, bundle: incoming.bundle },
      code: 'fatal-error',
      issues: [{ code: ACK_ERROR.datatypeWrong, message: 'Bundle.id was already used by another message.' }],
      ids: ctx.ids,
      clock: ctx.clock,
    });
    await auditOrFail(deps.audit, auditOf(caller, requestId, parsed, existing.organisation_sor, 'failed', { code: 'fatal-error', rules: ['bundle-id-reused'] }));
    return { type: 'care-communication', outcome: 'rejected', code: 'fatal-error', acknowledgement, encoding: incoming.encoding, ...(envelope ? { envelope } : {}) };
  }
  const acknowledgement = existing.acknowledgement_sent as JsonObject;
  const code = (existing.acknowledgement_code ?? 'ok') as AcknowledgementCode;
  await auditOrFail(deps.audit, auditOf(caller, requestId, parsed, existing.organisation_sor, 'success', { messageId: existing.id, duplicate: true, code }));
  if (!incoming.legacy) await ctx.queue.send(deliverAcknowledgementJob(ctx), {
    acknowledgement,
    code,
    encoding: existing.encoding === 'json' ? 'json' : 'xml',
    ourEan: existing.organisation_ean,
    theirEan: existing.counterpart_ean,
    requestId,
  });
  return { type: 'care-communication', outcome: 'duplicate', code, acknowledgement, encoding: incoming.encoding, messageId: existing.id, ...(envelope ? { envelope } : {}) };
}

function auditOf(
  caller: Caller,
  requestId: string,
  parsed: ParsedCareCommunication,
  receiverSor: string | null,
  outcome: 'success' | 'failed',
  details: Omit<CorrespondenceReceivedRecord['details'], 'receiverSor' | 'counterpartSor' | 'counterpartEan' | 'bundleId' | 'messageHeaderId' | 'category'>,
): CorrespondenceReceivedRecord {
  return {
    kind: 'correspondence-received',
    outcome,
    occurredAt: new Date(),
    requestId,
    actor: actorFromCaller(caller),
    purpose: null,
    reason: null,
    patientCpr: parsed.patient.cpr ?? parsed.patient.replacementCpr ?? null,
    details: {
      receiverSor,
      counterpartSor: parsed.sender.sor ?? null,
      counterpartEan: parsed.sender.gln ?? null,
      bundleId: parsed.bundleId ?? null,
      messageHeaderId: parsed.messageHeaderId ?? null,
      category: parsed.category ?? null,
      ...details,
    },
  };
}

async function receiveAcknowledgement(deps: ReceiveDeps, caller: Caller, bundle: JsonObject, requestId: string): Promise<AcknowledgementReceipt> {
  const { ctx } = deps;
  let ack;
  try {
    ack = parseAcknowledgement(bundle);
  } catch (error) {
    throw refusal(error);
  }
  const answered = ack.answeredMessageHeaderId;
  const row = answered ? await findOutboundByHeader(ctx.db, answered) : undefined;
  const base = { occurredAt: new Date(), requestId, actor: actorFromCaller(caller), purpose: null, reason: null };
  const unknownMessage = () =>
    new ProblemError(422, 'unknown-message', 'Acknowledgement for an unknown message', {
      detail: 'the acknowledgement answers no message this broker sent to its sender',
    });
  if (!row) {
    await auditOrFail(deps.audit, {
      ...base,
      kind: 'acknowledgement-received',
      outcome: 'failed',
      patientCpr: null,
      details: { answeredMessageHeaderId: answered ?? null, acknowledgementBundleId: ack.bundleId ?? null, code: ack.code ?? null, reason: 'unknown-message' },
    });
    throw unknownMessage();
  }
  // Only the message's receiver may settle it. Anyone else gets the unknown-message answer (no
  // oracle for which messages exist); the security log and the audit record say what happened.
  const expectedSender = { sor: row.counterpart_sor, gln: row.counterpart_ean };
  const senderCheck = checkAcknowledgementSender(ack.sender, expectedSender);
  if (!senderCheck.ok) {
    const namedSender = { sor: ack.sender.sor ?? null, gln: ack.sender.gln ?? null };
    ctx.logger.warn(
      { security: 'acknowledgement-sender-mismatch', requestId, messageId: row.id, because: senderCheck.because, namedSender, expectedSender, issuer: caller.issuer, subject: caller.subject },
      "acknowledgement refused: its sender is not the answered message's receiver; the message is unchanged",
    );
    await auditOrFail(deps.audit, {
      ...base,
      kind: 'acknowledgement-received',
      outcome: 'failed',
      patientCpr: row.patient_cpr,
      details: {
        messageId: row.id,
        answeredMessageHeaderId: answered ?? null,
        acknowledgementBundleId: ack.bundleId ?? null,
        code: ack.code ?? null,
        reason: 'sender-not-receiver',
        because: senderCheck.because,
        namedSender,
        expectedSender,
        status: row.status,
      },
    });
    throw unknownMessage();
  }
  const status = await settleOutbound(deps, row, { code: ack.code, errors: ack.errors, received: bundle }, requestId, (settled) => ({
    ...base,
    kind: 'acknowledgement-received',
    outcome: 'success',
    patientCpr: row.patient_cpr,
    details: {
      messageId: row.id,
      counterpartSor: row.counterpart_sor,
      answeredMessageHeaderId: answered ?? null,
      acknowledgementBundleId: ack.bundleId ?? null,
      code: ack.code ?? null,
      errorCodes: ack.errors.map((e) => e.code ?? null),
      status: settled,
    },
  }));
  return { type: 'acknowledgement', messageId: row.id, code: ack.code ?? 'unknown', status };
}

/**
 * An answer to a message we sent (a FHIR Acknowledgement, or an OIOXML receipt mapped to its
 * code) applied under the row lock: ok -> acknowledged, fatal-error -> rejected, transient-error
 * brings the resend forward. The first final answer wins; a repeated one changes nothing. The
 * answer's audit record is written last in the same transaction: both commit or neither does.
 */
async function settleOutbound(
  deps: ReceiveDeps,
  row: MessageRow,
  answer: { readonly code: AcknowledgementCode | undefined; readonly errors: ParsedAcknowledgement['errors']; readonly received: JsonObject },
  requestId: string,
  auditRecord: (status: MessageRow['status']) => AcknowledgementReceivedRecord,
): Promise<MessageRow['status']> {
  const { ctx } = deps;
  let status = row.status;
  await ctx.db.transaction().execute(async (trx) => {
    const current = await lockMessage(trx, row.id);
    if (current) {
      status = current.status;
      if (current.status !== 'acknowledged' && current.status !== 'rejected') status = await applyAnswer(ctx, trx, current, answer, requestId);
    }
    await failClosed('the acknowledgement', () => deps.audit.writeIn(trx, auditRecord(status)));
  });
  return status;
}

async function applyAnswer(
  ctx: CorrespondenceContext,
  trx: Parameters<typeof lockMessage>[0],
  current: MessageRow,
  answer: { readonly code: AcknowledgementCode | undefined; readonly errors: ParsedAcknowledgement['errors']; readonly received: JsonObject },
  requestId: string,
): Promise<MessageRow['status']> {
  let status = current.status;
  const now = ctx.clock();
  if (answer.code === 'ok') status = 'acknowledged';
  else if (answer.code === 'fatal-error') status = 'rejected';
  const errorCodes = answer.errors.map((e) => e.code ?? e.text ?? 'error').join(', ');
  await updateMessage(trx, current.id, {
    status,
    acknowledgement_received: answer.received,
    acknowledgement_code: answer.code ?? 'unknown',
    acknowledged_at: now,
    ...(answer.code === 'fatal-error' ? { failure: errorCodes } : {}),
    ...(answer.code === 'transient-error' ? { failure: `${TRANSIENT_ERROR}: ${errorCodes}` } : {}),
  });
  // "Try again later": resend this Bundle's message soon rather than at the acknowledgement
  // timeout. The resend is the timeout job's, keyed to the current Bundle.id, so whichever
  // comes first resends and the other finds itself stale.
  if (answer.code === 'transient-error' && current.status === 'sent') {
    await ctx.queue.send(ackTimeoutJob(ctx), { messageId: current.id, bundleId: current.bundle_id, requestId }, { trx, startAfterSeconds: ctx.config.transientResendSeconds });
  }
  return status;
}

const isXctl03 = (root: XmlElement): boolean => {
  const detected = classifyXmlRoot(root);
  return detected.format === 'legacy-oioxml' && detected.detail === 'XCTL03';
};

/**
 * An XCTL03 positive receipt from an OIOXML receiver: it settles the letter we sent as a FHIR
 * Acknowledgement `ok` would. The letter is found by the `[lokationsnummer]#[brevid]` the receipt
 * names; a receipt for no letter of ours, or not from that letter's receiver, changes nothing and
 * is answered like an acknowledgement for an unknown message (no oracle for which letters exist).
 */
async function receiveXctl03(deps: ReceiveDeps, caller: Caller, root: XmlElement, requestId: string): Promise<AcknowledgementReceipt> {
  const { ctx } = deps;
  let receipt: Xctl03Receipt;
  try {
    receipt = readXctl03Root(root);
  } catch (error) {
    if (error instanceof MedComFormatError) throw new ProblemError(422, 'oioxml-invalid', 'OIOXML receipt not readable', { detail: error.message });
    throw refusal(error);
  }
  const letter = receiptLetterReference(receipt);
  const row = letter ? await findOutboundByOioxmlLetter(ctx.db, letter) : undefined;
  const base = { occurredAt: new Date(), requestId, actor: actorFromCaller(caller), purpose: null, reason: null, kind: 'acknowledgement-received' as const };
  const named = { letter: letter ?? null, originalEnvelopeId: receipt.originalEnvelopeId ?? null, senderEan: receipt.senderEan ?? null, receiverEan: receipt.receiverEan ?? null };
  const check = row ? checkXctl03Receipt(receipt, { organisationEan: row.organisation_ean, counterpartEan: row.counterpart_ean }) : undefined;
  if (!row || !check?.ok) {
    const because = !row ? 'unknown-letter' : check && !check.ok ? check.because : 'unknown-letter';
    if (row) {
      ctx.logger.warn(
        { security: 'oioxml-receipt-refused', requestId, messageId: row.id, because, senderEan: receipt.senderEan ?? null, issuer: caller.issuer, subject: caller.subject },
        "OIOXML receipt refused: it does not come from the letter's receiver; the message is unchanged",
      );
    }
    await auditOrFail(deps.audit, {
      ...base,
      outcome: 'failed',
      patientCpr: row?.patient_cpr ?? null,
      details: { format: 'XCTL03', ...named, ...(row ? { messageId: row.id, status: row.status } : {}), answeredMessageHeaderId: null, acknowledgementBundleId: null, code: null, reason: because },
    });
    throw new ProblemError(422, 'unknown-message', 'Acknowledgement for an unknown message', {
      detail: 'the receipt answers no letter this broker sent to its sender',
    });
  }
  const status = await settleOutbound(deps, row, { code: 'ok', errors: [], received: { format: 'XCTL03', ...named } }, requestId, (settled) => ({
    ...base,
    outcome: 'success',
    patientCpr: row.patient_cpr,
    details: { format: 'XCTL03', messageId: row.id, counterpartSor: row.counterpart_sor, ...named, answeredMessageHeaderId: null, acknowledgementBundleId: null, code: 'ok', status: settled },
  }));
  return { type: 'acknowledgement', messageId: row.id, code: 'ok', status };
}

const isXdis91 = (root: XmlElement): boolean => {
  const detected = classifyXmlRoot(root);
  return detected.format === 'legacy-oioxml' && detected.detail === 'XDIS91';
};

/**
 * An OIOXML XDIS91 letter, from its root as parsed once under the limits: converted to the
 * CareCommunication MedCom's conversion makes of it (parties' SOR codes from the directory by their
 * EAN numbers), then received exactly like a FHIR message (validation, duplicates by the ids derived
 * from the letter, audit and storage in one transaction), and answered with an XCTL03 positive
 * receipt. A letter that would be answered fatal-error is refused (422).
 */
async function receiveXdis91(
  deps: ReceiveDeps,
  caller: Caller,
  xml: { root: XmlElement; notes: string[]; bytes?: number },
  envelope: { senderEan?: string | undefined; receiverEan?: string | undefined } | undefined,
  notes: readonly string[],
  requestId: string,
): Promise<CareCommunicationReceipt> {
  let letter: Xdis91Letter;
  try {
    letter = readXdis91Root(xml.root);
  } catch (error) {
    if (error instanceof MedComFormatError) throw new ProblemError(422, 'oioxml-invalid', 'OIOXML letter not readable', { detail: error.message });
    throw refusal(error);
  }
  const [sender, receiver] = await Promise.all([deps.ctx.parties.byEan(letter.sender.ean), deps.ctx.parties.byEan(letter.receiver.ean)]);
  if (!sender || !receiver) {
    throw new ProblemError(422, 'oioxml-party-unknown', 'OIOXML party unknown', {
      detail: `the letter's ${!receiver ? 'receiver' : 'sender'} EAN number names no organisation in the directory`,
    });
  }
  const bundle = xdis91ToCareCommunication(letter, { senderSor: sender.sor, receiverSor: receiver.sor });
  const receipt = await receiveCareCommunication(
    deps,
    caller,
    {
      bundle,
      encoding: 'xml',
      notes: [...notes, ...xml.notes, 'received as OIOXML XDIS91 and converted to CareCommunication'],
      envelope,
      bytes: xml.bytes ?? 0,
      // XML 1.0 cannot carry NUL or unpaired surrogates (the parser refuses them, also as references).
      unstorableText: 0,
      legacy: letter,
    },
    requestId,
  );
  if (receipt.code !== 'ok') {
    throw new ProblemError(422, 'oioxml-rejected', 'OIOXML letter rejected', {
      detail: 'the letter cannot be accepted; a negative OIOXML receipt is not built by this broker',
      extensions: { errors: parseAcknowledgement(receipt.acknowledgement).errors.map((e) => ({ code: e.code ?? null, message: e.diagnostics ?? e.text ?? null })) },
    });
  }
  // The same receipt for the letter and any resend of it, as for FHIR duplicates: same ids, and
  // the time of the acknowledgement stored with the first copy.
  const ids = oioxmlReceiptIds(letter);
  return { ...receipt, oioxmlReceipt: buildXctl03({ original: letter, ...ids, clock: answeredAt(receipt.acknowledgement, deps.ctx.clock) }) };
}

/** The time an acknowledgement was made (its Bundle.timestamp), so a resend is answered as the original. */
function answeredAt(acknowledgement: JsonObject, clock: () => Date): () => Date {
  const stamp = acknowledgement['timestamp'];
  const at = typeof stamp === 'string' ? new Date(stamp) : undefined;
  return at && Number.isFinite(at.getTime()) ? () => at : clock;
}
