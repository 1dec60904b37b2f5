/**
 * Correspondence API for integrations: send, search the organisation's messages (the child's CPR
 * goes in the body), read one (marks it read), follow a conversation, fetch an attachment.
 * Only the organisation a message belongs to sees it; anything else is "not found".
 */
import { createRoute, z } from '@hono/zod-openapi';
import { actorFromCaller } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { requireRole } from '../http/middleware.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import type { Caller } from '../identity/caller.js';
import { decodeBase64, parseCareCommunication } from '../../adapters/medcom/index.js';
import { auditOrFail } from './audit.js';
import type { CorrespondenceContext } from './context.js';
import { messageDetail, messageSummary, searchBody, sendBody, sendResult, threadItem } from './schemas.js';
import { sendMessage, type SendDeps } from './send.js';
import { findMessage, searchMessages, threadMessages, updateMessage, type MessageRow } from './store.js';
import { toDetail, toSummary, toThread, unnamedSegmentOrganisations } from './views.js';

const idParam = z.object({ id: z.uuid() });
const notFound = (): ProblemError => new ProblemError(404, 'not-found', 'Not found', { detail: 'no such message for this organisation' });

async function ownMessage(ctx: CorrespondenceContext, caller: Caller, id: string): Promise<MessageRow> {
  const row = await findMessage(ctx.db, id);
  if (!row || row.organisation_sor !== caller.organisationSor) throw notFound();
  return row;
}

const encodeCursor = (row: MessageRow): string => Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string' && /^[0-9a-f-]{36}$/.test(value[1])) {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ProblemError(400, 'invalid-cursor', 'Invalid cursor', { detail: 'cursor is not one this API issued' });
}

export function correspondenceRoutes(deps: SendDeps & { readonly audit: AuditWriter }) {
  const { ctx } = deps;
  const router = createRouter();
  router.use('*', requireRole('clinician', 'caseworker'));
  // Every read about a child (a search by CPR, a conversation, a message, an attachment) is an
  // access to the child's data, audited like a lookup before anything is answered (fail closed).
  const auditRead = (requestId: string, caller: Caller, patientCpr: string, details: { read: 'search' | 'thread' | 'message' | 'attachment' } & Record<string, unknown>) =>
    auditOrFail(deps.audit, {
      kind: 'correspondence-read',
      outcome: 'success',
      occurredAt: new Date(),
      requestId,
      actor: actorFromCaller(caller),
      purpose: caller.purposeOfUse,
      reason: null,
      patientCpr,
      details,
    });

  router.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['correspondence'],
      summary: 'Send a MedCom CareCommunication (new, reply or forward) to another organisation',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: sendBody } }, required: true } },
      responses: {
        202: { description: 'stored and queued for delivery', content: { 'application/json': { schema: sendResult } } },
        ...problemResponses,
        413: { description: 'attachment or message too large (problem+json)' },
        422: { description: 'unknown receiver, unknown predecessor, attachment refused, message breaks a rule (problem+json)' },
      },
    }),
    async (c) => {
      const result = await sendMessage(deps, c.get('caller'), c.req.valid('json'), c.get('requestId'));
      return c.json(result, 202);
    },
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/search',
      tags: ['correspondence'],
      summary: "List the organisation's sent and received messages, newest first",
      description: 'A search for a child (patientCpr) is audited (correspondence-read) before it answers, also when it finds nothing; 503 audit-unavailable and no items when it cannot be.',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: searchBody } }, required: true } },
      responses: {
        200: { description: 'a page of messages', content: { 'application/json': { schema: z.object({ items: z.array(messageSummary), nextCursor: z.string().nullable() }) } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const rows = await searchMessages(ctx.db, {
        organisationSor: c.get('caller').organisationSor,
        ...(body.direction ? { direction: body.direction } : {}),
        ...(body.patientCpr ? { patientCpr: body.patientCpr } : {}),
        ...(body.counterpartSor ? { counterpartSor: body.counterpartSor } : {}),
        ...(body.category ? { category: body.category } : {}),
        ...(body.status ? { status: body.status } : {}),
        ...(body.unread !== undefined ? { unread: body.unread } : {}),
        ...(body.from ? { from: new Date(body.from) } : {}),
        ...(body.to ? { to: new Date(body.to) } : {}),
        ...(body.cursor ? { after: decodeCursor(body.cursor) } : {}),
        limit: body.limit + 1,
      });
      const page = rows.slice(0, body.limit);
      const last = rows.length > body.limit ? page[page.length - 1] : undefined;
      // A search by CPR asks about one child, whatever it finds (also nothing). The CPR is the
      // record's own field; the details say what else was asked and what was shown.
      if (body.patientCpr) {
        const { patientCpr, cursor, ...filters } = body;
        await auditRead(c.get('requestId'), c.get('caller'), patientCpr, {
          read: 'search', filters: { ...filters, cursor: cursor !== undefined }, results: page.length, messageIds: page.map((r) => r.id),
        });
      }
      return c.json({ items: page.map(toSummary), nextCursor: last ? encodeCursor(last) : null }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['correspondence'],
      summary: 'Read one message (a received message is marked read)',
      security: [{ bearer: [] }],
      request: { params: idParam },
      responses: { 200: { description: 'the message', content: { 'application/json': { schema: messageDetail } } }, ...problemResponses, 404: { description: 'not found (problem+json)' } },
    }),
    async (c) => {
      const caller = c.get('caller');
      const row = await ownMessage(ctx, caller, c.req.valid('param').id);
      await auditRead(c.get('requestId'), caller, row.patient_cpr, {
        read: 'message', messageId: row.id, direction: row.direction, counterpartSor: row.counterpart_sor, messageHeaderId: row.message_header_id,
      });
      if (row.direction === 'in' && row.read_at === null) {
        const now = ctx.clock();
        await updateMessage(ctx.db, row.id, { read_at: now });
        row.read_at = now;
      }
      // Organization.name is optional in the message: the SOR directory names the parties then.
      const directoryName = async (sor: string): Promise<string | null> => (await ctx.parties.bySor(sor))?.name ?? null;
      const [ownName, counterpartName] = await Promise.all([directoryName(row.organisation_sor), directoryName(row.counterpart_sor)]);
      const bySor = new Map<string, string>();
      for (const sor of unnamedSegmentOrganisations(row)) {
        const name = await directoryName(sor);
        if (name) bySor.set(sor, name);
      }
      const names = row.direction === 'in' ? { sender: counterpartName, receiver: ownName, bySor } : { sender: ownName, receiver: counterpartName, bySor };
      return c.json(toDetail(row, names), 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/thread',
      tags: ['correspondence'],
      summary: 'The conversation a message belongs to (Provenance chain and episode of care), in the order it was written (payload segment timestamps), each message with the replies to it',
      description: 'Audited (correspondence-read, one record per child shown) before it answers; 503 audit-unavailable and nothing when it cannot be.',
      security: [{ bearer: [] }],
      request: { params: idParam },
      responses: { 200: { description: 'the conversation', content: { 'application/json': { schema: z.object({ threadKey: z.string(), items: z.array(threadItem) }) } } }, ...problemResponses, 404: { description: 'not found (problem+json)' } },
    }),
    async (c) => {
      const caller = c.get('caller');
      const row = await ownMessage(ctx, caller, c.req.valid('param').id);
      const rows = await threadMessages(ctx.db, caller.organisationSor, row.thread_key, row.episode_of_care_id);
      // One record per child the conversation shows (an episode of care could, in error, join two).
      const byChild = new Map<string, string[]>([[row.patient_cpr, []]]);
      for (const r of rows) byChild.set(r.patient_cpr, [...(byChild.get(r.patient_cpr) ?? []), r.id]);
      await Promise.all(
        [...byChild].map(([patientCpr, messageIds]) =>
          auditRead(c.get('requestId'), caller, patientCpr, { read: 'thread', messageId: row.id, threadKey: row.thread_key, messageIds }),
        ),
      );
      return c.json({ threadKey: row.thread_key, items: toThread(rows) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/attachments/{index}',
      tags: ['correspondence'],
      summary: 'One attachment of a message, as its bytes',
      security: [{ bearer: [] }],
      request: { params: idParam.extend({ index: z.coerce.number().int().min(0).max(100) }) },
      responses: { 200: { description: 'the attachment (PDF or image)' }, ...problemResponses, 404: { description: 'not found (problem+json)' } },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { id, index } = c.req.valid('param');
      const row = await ownMessage(ctx, caller, id);
      const attachment = parseCareCommunication(row.bundle).attachments[index];
      const bytes = attachment?.data ? decodeBase64(attachment.data) : undefined;
      if (!attachment || !bytes) throw new ProblemError(404, 'not-found', 'Not found', { detail: 'no attachment content at this position' });
      await auditRead(c.get('requestId'), caller, row.patient_cpr, { read: 'attachment', messageId: row.id, attachment: index });
      return c.body(new Uint8Array(bytes), 200, {
        // Served as what the bytes are (a mislabelled image is accepted on receipt), never as declared only.
        'Content-Type': attachment.actualContentType ?? attachment.contentType ?? 'application/octet-stream',
        'Content-Disposition': 'attachment',
        'X-Content-Type-Options': 'nosniff',
      });
    },
  );
  return router;
}
