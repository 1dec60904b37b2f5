/**
 * Send: a new message, a reply or a forward from the caller's organisation to another one.
 * Resolve both MedCom addresses, check the agreement, check attachments by their bytes, build
 * and self-validate the Bundle, then store it, enqueue its delivery and audit it in one transaction.
 */
import {
  buildCareCommunication,
  contentMatchesDeclaredType,
  decodeBase64,
  normaliseContentType,
  parseCareCommunication,
  oioxmlLetterReference,
  validateCareCommunication,
  withOioxmlPredecessor,
  xdis91Ids,
  xdis91Limitations,
  type CareCommunicationCategory,
  type ParsedCareCommunication,
  type Priority,
  type RecipientInput,
} from '../../adapters/medcom/index.js';
import type { Decision, DecisionRequest } from '../agreements/decision.js';
import { accessSubject } from '../identity/access-subject.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { ProblemError } from '../http/problem.js';
import type { Caller } from '../identity/caller.js';
import { auditOrFail } from './audit.js';
import type { CorrespondenceContext } from './context.js';
import { DELIVER_MESSAGE, deliverMessageJob } from './jobs/deliver-message.js';
import { findMessage, insertMessage, type MessageRow } from './store.js';
import { threadKeyOf } from './thread.js';

export interface SendAttachment {
  readonly contentType: string;
  readonly title: string;
  /** base64 */
  readonly data: string;
}

export interface SendRequest {
  readonly kind: 'new' | 'reply' | 'forward';
  /** Our id of the message replied to or forwarded. */
  readonly previousMessageId?: string | undefined;
  /** Required for new and forward; a reply goes back to the other party of the previous message. */
  readonly receiverSor?: string | undefined;
  /** Required for new; a reply or forward is about the previous message's child. */
  readonly patient?: { readonly cpr?: string | undefined; readonly replacementCpr?: string | undefined; readonly given: readonly string[]; readonly family: string } | undefined;
  readonly category: CareCommunicationCategory;
  readonly topic?: string | undefined;
  readonly priority?: Priority | undefined;
  readonly text: string;
  readonly attachments?: readonly SendAttachment[] | undefined;
  readonly recipient?: RecipientInput | undefined;
  readonly author: { readonly given: readonly string[]; readonly family: string; readonly role: string; readonly phone: string };
}

export interface SendResult {
  readonly id: string;
  readonly status: 'queued';
  readonly bundleId: string;
  readonly messageHeaderId: string;
  readonly threadKey: string;
}

export interface SendDeps {
  readonly ctx: CorrespondenceContext;
  readonly audit: AuditWriter;
  readonly decide: (request: DecisionRequest) => Decision;
}

const unprocessable = (slug: string, title: string, detail: string, extensions?: Record<string, unknown>): ProblemError =>
  new ProblemError(422, slug, title, { detail, ...(extensions ? { extensions } : {}) });

export async function sendMessage(deps: SendDeps, caller: Caller, request: SendRequest, requestId: string): Promise<SendResult> {
  const { ctx } = deps;
  const now = ctx.clock();

  let previous: { row: MessageRow; parsed: ParsedCareCommunication } | undefined;
  if (request.kind !== 'new') {
    const row = request.previousMessageId ? await findMessage(ctx.db, request.previousMessageId) : undefined;
    // Another organisation's message is as unknown as a missing one.
    if (!row || row.organisation_sor !== caller.organisationSor) {
      throw unprocessable('predecessor-unknown', 'Previous message unknown', `the message to ${request.kind} to is not one of this organisation's messages`);
    }
    previous = { row, parsed: parseCareCommunication(row.bundle) };
  }
  const receiverSor = request.receiverSor ?? (request.kind === 'reply' ? previous?.row.counterpart_sor : undefined);
  if (!receiverSor) throw unprocessable('receiver-missing', 'Receiver missing', 'receiverSor is required for a new message or a forward');
  const patient = request.patient ?? (previous ? patientOf(previous.parsed) : undefined);
  if (!patient || (!patient.cpr && !patient.replacementCpr)) {
    throw unprocessable('patient-missing', 'Patient missing', 'a new message needs the child (CPR or replacement CPR and name)');
  }

  const sender = await ctx.parties.bySor(caller.organisationSor);
  if (!sender?.ean) throw unprocessable('sender-not-addressable', 'Sender has no MedCom address', 'the acting organisation has no EAN location number in the directory');
  const receiver = await ctx.parties.bySor(receiverSor);
  if (!receiver?.ean) throw unprocessable('unknown-receiver', 'Unknown receiver', 'the receiver is not an active organisation with an EAN location number in the directory');

  const auditBase = {
    occurredAt: now,
    requestId,
    actor: actorFromCaller(caller),
    purpose: caller.purposeOfUse,
    reason: null,
    patientCpr: patient.cpr ?? patient.replacementCpr ?? null,
  };
  const subject = accessSubject(caller);
  const decision: Decision = subject.ok
    ? deps.decide({ caller: subject.subject, action: 'correspondence', targetSor: receiver.sor, at: now })
    : { effect: 'deny', reasons: [subject.refusal === 'role-not-allowed' ? 'role-not-allowed' : 'purpose-not-covered'], detail: subject.detail };
  if (decision.effect === 'deny') {
    await auditOrFail(deps.audit, { ...auditBase, kind: 'correspondence-sent', outcome: 'denied', details: { counterpartSor: receiver.sor, reasons: decision.reasons } });
    throw new ProblemError(403, 'access-denied', 'Access denied', { detail: decision.detail, extensions: { reasons: decision.reasons } });
  }

  // An OIOXML-only receiver gets an XDIS91 letter: what a letter cannot carry is refused now.
  const oioxml = ctx.config.oioxmlReceivers.includes(receiver.sor);
  const limitations = oioxml ? xdis91Limitations({ cpr: patient.cpr, newAttachments: request.attachments?.length ?? 0 }) : [];
  if (limitations.length > 0) {
    throw unprocessable('oioxml-not-expressible', 'Message cannot be sent as OIOXML', `the receiver takes OIOXML letters only: ${limitations.join('; ')}`);
  }
  const attachments = (request.attachments ?? []).map((a, i) => checkAttachment(a, i, ctx.config.maxAttachmentBytes));
  const built = buildCareCommunication({
    kind: request.kind,
    previous: previous?.parsed,
    sender: { sor: sender.sor, gln: sender.ean, name: sender.name },
    receiver: { sor: receiver.sor, gln: receiver.ean, name: receiver.name },
    author: request.author,
    patient: { ...(patient.cpr ? { cpr: patient.cpr } : {}), ...(patient.replacementCpr ? { replacementCpr: { value: patient.replacementCpr } } : {}), given: patient.given, family: patient.family },
    category: request.category,
    topic: request.topic,
    priority: request.priority,
    text: request.text,
    attachments,
    recipient: request.recipient,
    ids: ctx.ids,
    clock: ctx.clock,
  });
  // A reply to a letter received as OIOXML names that letter as OIOXML parties know it.
  const bundle = previous?.row.direction === 'in' && previous.row.oioxml_letter ? withOioxmlPredecessor(built, previous.row.oioxml_letter) : built;
  const messageBytes = Buffer.byteLength(JSON.stringify(bundle), 'utf8');
  if (messageBytes > ctx.config.maxMessageBytes) {
    throw new ProblemError(413, 'message-too-large', 'Message too large', { detail: `the message is ${messageBytes} bytes; the limit is ${ctx.config.maxMessageBytes}` });
  }
  // What we send must pass the checks we apply to what we receive.
  const issues = validateCareCommunication(bundle, { maxAttachmentBytes: ctx.config.maxAttachmentBytes, maxMessageBytes: ctx.config.maxMessageBytes, messageBytes }).filter((i) => i.severity === 'error');
  if (issues.length > 0) {
    throw unprocessable('message-invalid', 'Message not valid', 'the message breaks CareCommunication rules', {
      errors: issues.map((i) => ({ rule: i.rule, code: i.code, message: i.message })),
    });
  }
  const parsed = parseCareCommunication(bundle);
  const id = ctx.ids();
  const bundleId = parsed.bundleId as string;
  const messageHeaderId = parsed.messageHeaderId as string;
  const threadKey = threadKeyOf(parsed);

  // The message, its delivery job and its audit record commit together or not at all: a message
  // that is not stored leaves no `success` record, and one not audited is not stored. Concurrent
  // sends share the transaction (group commit), each in a savepoint of its own.
  await deps.audit.writeWith(
    'the message',
    async (trx) => {
      await insertMessage(trx, {
        id,
        direction: 'out',
        organisation_sor: sender.sor,
        organisation_ean: sender.ean as string,
        counterpart_sor: receiver.sor,
        counterpart_ean: receiver.ean as string,
        patient_cpr: patient.cpr ?? patient.replacementCpr ?? '',
        kind: request.kind,
        category: request.category,
        topic: request.topic ?? null,
        bundle_id: bundleId,
        message_header_id: messageHeaderId,
        previous_message_header_id: previous?.row.message_header_id ?? null,
        episode_of_care_id: parsed.episodeOfCareIdentifier ?? null,
        thread_key: threadKey,
        status: 'queued',
        encoding: oioxml ? 'oioxml' : ctx.config.xmlReceivers.includes(receiver.sor) ? 'xml' : 'json',
        oioxml_letter: oioxml ? oioxmlLetterReference(sender.ean as string, xdis91Ids({ bundleId, messageHeaderId }).letterId) : null,
        bundle,
        created_at: now,
        request_id: requestId,
      });
      await ctx.queue.send(deliverMessageJob(ctx), { messageId: id, requestId }, { trx });
    },
    {
      ...auditBase,
      kind: 'correspondence-sent',
      outcome: 'success',
      details: { messageId: id, counterpartSor: receiver.sor, counterpartEan: receiver.ean, bundleId, messageHeaderId, kind: request.kind, category: request.category, agreements: decision.agreements },
    },
  );
  ctx.queue.wake({ name: DELIVER_MESSAGE });
  return { id, status: 'queued', bundleId, messageHeaderId, threadKey };
}

function patientOf(parsed: ParsedCareCommunication): NonNullable<SendRequest['patient']> {
  return { cpr: parsed.patient.cpr, replacementCpr: parsed.patient.replacementCpr, given: parsed.patient.given, family: parsed.patient.family ?? '' };
}

/** The bytes decide what an attachment is; a declared type that does not match them is refused. */
function checkAttachment(a: SendAttachment, index: number, maxBytes: number): { contentType: string; title: string; data: string } {
  const where = `attachment ${index + 1}`;
  const bytes = decodeBase64(a.data);
  if (!bytes) throw unprocessable('attachment-invalid', 'Attachment not valid', `${where}: the data is not valid base64`);
  if (bytes.length > maxBytes) {
    throw new ProblemError(413, 'attachment-too-large', 'Attachment too large', { detail: `${where} is ${bytes.length} bytes; the limit is ${maxBytes}` });
  }
  const declared = normaliseContentType(a.contentType) ?? a.contentType;
  if (!contentMatchesDeclaredType(declared, bytes)) {
    throw unprocessable('attachment-content-mismatch', 'Attachment content does not match its type', `${where}: the bytes are not ${declared}`);
  }
  return { contentType: declared, title: a.title, data: a.data };
}

