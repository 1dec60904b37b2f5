/**
 * `POST /v1/audit/search`: auditors review who did what about which child. The CPR travels in the
 * body. Every search is itself audited (kind `audit-search`, with the auditor's reason) before
 * its results are returned: the log of who looked at the log.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { createRouter, problemResponses } from '../http/router.js';
import { personIdentifierSchema, sorCodeSchema } from '../http/schemas.js';
import { parsePersonIdentifier } from '../../domain/identifiers.js';
import { actorFromCaller, AUDIT_KINDS, AUDIT_OUTCOMES } from './audit-event.js';
import type { AuditWriter } from './audit-writer.js';
import { auditOrFail } from './fail-closed.js';
import { type AuditFilters, COUNT_TIME_ZONE, countAuditPerDay, searchAudit } from './search.js';
import type { Caller } from '../identity/caller.js';


export function auditRoutes(deps: { db: Kysely<Database>; audit: AuditWriter; logger: Logger }) {
  const filterFields = {
    reason: z.string().trim().min(5).max(500).openapi({ description: 'Why the search is made; kept in the audit log', example: 'Stikprøvekontrol af opslag, 4. kvartal' }),
    patientCpr: personIdentifierSchema
      .optional()
      .openapi({ description: 'Records about this child only. Only in the body: never in a URL.' }),
    actorOrganisation: sorCodeSchema.optional().openapi({ description: 'Records of staff acting for this organisation' }),
    actorSubject: z.string().min(1).max(200).optional().openapi({ description: "The user's id at the identity provider" }),
    organisation: sorCodeSchema.optional().openapi({ description: 'Records concerning this organisation: its staff acted, or it was a consulted source, named, or a party to a message' }),
    sourceId: z.string().min(1).max(100).optional().openapi({ description: 'Lookups that asked (or were denied) this source (its id in the sources configuration)' }),
    counterpartSor: sorCodeSchema.optional().openapi({ description: 'Messages with this organisation at the other end' }),
    purpose: z.string().min(1).max(100).optional().openapi({ description: 'The purpose of use the caller stated' }),
    kinds: z.array(z.enum(AUDIT_KINDS)).min(1).max(AUDIT_KINDS.length).optional(),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Occurred at or after (ISO 8601)' }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Occurred before (ISO 8601)' }),
  };
  const periodInOrder = (b: { from?: string | undefined; to?: string | undefined }) => !b.from || !b.to || Date.parse(b.from) < Date.parse(b.to);
  const requestSchema = z
    .object({
      ...filterFields,
      outcomes: z.array(z.enum(AUDIT_OUTCOMES)).min(1).max(AUDIT_OUTCOMES.length).optional(),
      limit: z.number().int().min(1).max(500).default(100),
      cursor: z.string().regex(/^\d{1,19}$/, 'must be a cursor from a previous page').optional(),
    })
    .strict()
    .refine(periodInOrder, { message: 'from must be before to', path: ['to'] })
    .openapi('AuditSearchRequest');
  const countsRequestSchema = z
    .object(filterFields)
    .strict()
    .refine(periodInOrder, { message: 'from must be before to', path: ['to'] })
    .openapi('AuditCountsRequest');
  const countsResponseSchema = z
    .object({
      timeZone: z.string().openapi({ description: 'The time zone the days are counted in' }),
      days: z.array(z.object({ day: z.string().openapi({ example: '2026-12-02' }), records: z.number().int() })),
    })
    .openapi('AuditCountsResponse');

  /** The filters of a request, as the search takes them; the CPR normalised. */
  const filtersOf = (body: z.infer<typeof countsRequestSchema>): AuditFilters => {
    const patientCpr = body.patientCpr ? (parsePersonIdentifier(body.patientCpr)?.value ?? undefined) : undefined;
    return {
      ...(patientCpr ? { patientCpr } : {}),
      ...(body.actorOrganisation ? { actorOrganisation: body.actorOrganisation } : {}),
      ...(body.actorSubject ? { actorSubject: body.actorSubject } : {}),
      ...(body.organisation ? { organisation: body.organisation } : {}),
      ...(body.sourceId ? { sourceId: body.sourceId } : {}),
      ...(body.counterpartSor ? { counterpartSor: body.counterpartSor } : {}),
      ...(body.purpose ? { purpose: body.purpose } : {}),
      ...(body.kinds ? { kinds: body.kinds } : {}),
      ...(body.from ? { from: new Date(body.from) } : {}),
      ...(body.to ? { to: new Date(body.to) } : {}),
    };
  };
  /** Every search is audited before its answer leaves: the log of who looked at the log. */
  const auditSearch = (c: { get(key: 'requestId'): string }, caller: Caller, body: z.infer<typeof countsRequestSchema> & { outcomes?: readonly string[]; cursor?: string }, patientCpr: string | undefined, view: 'records' | 'counts', returned: number) =>
    auditOrFail(
      'the search',
      () =>
        deps.audit.write({
          kind: 'audit-search',
          outcome: 'success',
          occurredAt: new Date(),
          requestId: c.get('requestId'),
          actor: actorFromCaller(caller),
          purpose: caller.purposeOfUse,
          reason: body.reason,
          patientCpr: patientCpr ?? null,
          details: {
            filters: {
              actorOrganisation: body.actorOrganisation ?? null,
              actorSubject: body.actorSubject ?? null,
              organisation: body.organisation ?? null,
              sourceId: body.sourceId ?? null,
              counterpartSor: body.counterpartSor ?? null,
              purpose: body.purpose ?? null,
              kinds: body.kinds ?? null,
              outcomes: body.outcomes ?? null,
              from: body.from ?? null,
              to: body.to ?? null,
              cursor: body.cursor ?? null,
            },
            scope: caller.organisationSor,
            returned,
            view,
          },
        }),
      (error) => deps.logger.error({ err: error, requestId: c.get('requestId') }, 'audit write failed; audit search answered with 503'),
    );

  const recordSchema = z.object({
    id: z.string(),
    seq: z.string().openapi({ description: 'Position in the hash chain' }),
    visibility: z.enum(['full', 'concerned-party']).openapi({
      description:
        "`full`: your staff's own action. `concerned-party`: another organisation's lookup or message that concerned yours; a lookup then shows the caller, purpose, reason, " +
        "time and child, and only your own sources' outcomes (`outcome` is theirs: success, denied, failed, partial, or not-consulted when your organisation was only named)",
    }),
    occurredAt: z.string(),
    recordedAt: z.string(),
    kind: z.string(),
    outcome: z.string(),
    requestId: z.string().nullable(),
    actor: z.object({
      issuer: z.string().nullable(),
      subject: z.string().nullable(),
      name: z.string().nullable(),
      role: z.string().nullable(),
      organisation: z.string().nullable(),
      assurance: z.string().nullable(),
      callingSystem: z.string().nullable().openapi({ description: 'The integration that called on the user\u2019s behalf, or the system acting' }),
    }),
    purpose: z.string().nullable(),
    reason: z.string().nullable(),
    patientCpr: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: "Per-source outcomes, data elements, agreement versions, message ids, timings; for a concerned party's view of a lookup, only its own sources" }),
  });
  const responseSchema = z
    .object({ items: z.array(recordSchema), nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next (older) page' }) })
    .openapi('AuditSearchResponse');

  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'post',
      path: '/search',
      tags: ['audit'],
      summary: 'Search the audit log of your organisation and everything below it in SOR',
      description:
        'Records of what staff acting for your organisation (or a unit below it) did, in full, and of lookups and messages that concerned it, newest first: ' +
        "of another organisation's lookup you see who called, why and when, and only your own sources' outcomes. A page may hold fewer records than asked while nextCursor is set. " +
        'Each search is audited with its reason before results are returned.',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: requestSchema } }, required: true } },
      responses: {
        200: { description: 'a page of audit records', content: { 'application/json': { schema: responseSchema } } },
        503: { description: 'the search could not be audited; no records returned' },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const body = c.req.valid('json');
      const filters = filtersOf(body);
      const result = await searchAudit(deps.db, {
        scopeSor: caller.organisationSor,
        ...filters,
        ...(body.outcomes ? { outcomes: body.outcomes } : {}),
        ...(body.cursor ? { beforeSeq: body.cursor } : {}),
        limit: body.limit,
      });
      await auditSearch(c, caller, body, filters.patientCpr, 'records', result.items.length);
      return c.json(result, 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/counts',
      tags: ['audit'],
      summary: 'How many records of your subtree there are per day under the same filters as the search (outcomes aside)',
      description:
        'Per calendar day (Europe/Copenhagen), the records the search would show you, days without records left out. ' +
        "Outcomes cannot be filtered here: another organisation's outcome is recomputed per record from your own sources. Audited like a search.",
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: countsRequestSchema } }, required: true } },
      responses: {
        200: { description: 'records per day', content: { 'application/json': { schema: countsResponseSchema } } },
        503: { description: 'the counts could not be audited; none returned' },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const body = c.req.valid('json');
      const filters = filtersOf(body);
      const days = await countAuditPerDay(deps.db, { scopeSor: caller.organisationSor, ...filters });
      await auditSearch(c, caller, body, filters.patientCpr, 'counts', days.length);
      return c.json({ timeZone: COUNT_TIME_ZONE, days }, 200);
    },
  );
  return router;
}
