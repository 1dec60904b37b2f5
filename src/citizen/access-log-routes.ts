/**
 * `POST /v1/citizen/access-log`: who looked at my data, or my child's. The CPR travels in the
 * body. The scope (own, or a child in custody) is decided first; a refusal or an unknown custody
 * is audited and answered without any record. Every read is audited before it is answered.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { auditOrFail } from '../correspondence/audit.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import { cprSchema } from '../http/schemas.js';
import { type DirectoryLookup, toAccessLogEntry } from './access-log-view.js';
import { decodeCursor, encodeCursor, protectedOrganisations, readAccessLog } from './access-log-store.js';
import { citizenActor } from './audit.js';
import { type CitizenScopeService, citizenScopeProblem } from './scope-service.js';

export interface AccessLogRoutesOptions {
  readonly db: Kysely<Database>;
  readonly audit: AuditWriter;
  readonly scope: CitizenScopeService;
  readonly directory: () => DirectoryLookup;
  readonly logMonths: number;
  readonly now?: () => Date;
}

const requestSchema = z
  .object({
    cpr: cprSchema.openapi({ description: 'Your own CPR number, or that of a child in your custody. Only in the body.' }),
    limit: z.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
  })
  .strict()
  .openapi('CitizenAccessLogRequest');

const entrySchema = z.object({
  id: z.string(),
  occurredAt: z.string(),
  kind: z.enum(['lookup', 'message-sent', 'message-read']),
  outcome: z.string(),
  organisation: z.object({ sor: z.string(), name: z.string().nullable(), authority: z.enum(['region', 'municipality', 'general-practice', 'state', 'private']).nullable() }).nullable(),
  role: z.string().nullable(),
  purpose: z.string().nullable(),
  reason: z.string().nullable(),
  staffName: z.string().nullable(),
  staffNameProtected: z.boolean(),
  emergencyOverride: z.boolean(),
});

const responseSchema = z
  .object({
    scope: z.enum(['self', 'custody']),
    from: z.string().openapi({ description: 'The log reaches back to here' }),
    items: z.array(entrySchema),
    nextCursor: z.string().nullable(),
  })
  .openapi('CitizenAccessLog');

const monthsBefore = (at: Date, months: number): Date => {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
};

export function accessLogRoutes(options: AccessLogRoutesOptions) {
  const now = options.now ?? (() => new Date());
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'post',
      path: '/access-log',
      tags: ['citizen'],
      summary: 'Who looked up, or wrote about, you or a child in your custody',
      description:
        'Lookups and messages about the person, newest first, over the last BROKER_CITIZEN_LOG_MONTHS months: when, which organisation and kind of authority, role, purpose and reason; ' +
        'staff names are left out where the organisation protects them, and accesses a caseworker has withheld are left out until the mark ends. Citizen tokens only (NSIS substantial or high).',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: requestSchema } }, required: true } },
      responses: {
        200: { description: 'a page of the access log', content: { 'application/json': { schema: responseSchema } } },
        503: { description: 'custody could not be confirmed, or the read could not be audited; nothing shown' },
        ...problemResponses,
      },
    }),
    async (c) => {
      const citizen = c.get('citizen');
      const body = c.req.valid('json');
      const requestId = c.get('requestId');
      const after = body.cursor ? decodeCursor(body.cursor) : undefined;
      if (after === null) throw new ProblemError(400, 'validation-failed', 'Invalid request', { detail: 'cursor: must be a nextCursor of a previous page' });
      const base = { kind: 'citizen-access-log' as const, requestId, actor: citizenActor(citizen), purpose: null, reason: null, patientCpr: body.cpr };
      const scope = await options.scope.resolve(citizen, body.cpr, requestId);
      if (scope.kind === 'refused' || scope.kind === 'unavailable') {
        await auditOrFail(options.audit, {
          ...base,
          outcome: scope.kind === 'refused' ? 'denied' : 'failed',
          occurredAt: new Date(),
          details: { scope: scope.kind, ...(scope.kind === 'refused' ? { refusal: scope.reason } : { custody: 'unknown' }) },
        });
        throw citizenScopeProblem(scope);
      }
      const at = now();
      const since = monthsBefore(at, options.logMonths);
      const [page, protectedOrgs] = await Promise.all([
        readAccessLog(options.db, { patientCpr: body.cpr, since, now: at, limit: body.limit, ...(after ? { after } : {}) }),
        protectedOrganisations(options.db),
      ]);
      const directory = options.directory();
      const items = page.rows.map((r) => toAccessLogEntry(r, directory, protectedOrgs));
      await auditOrFail(options.audit, {
        ...base,
        outcome: 'success',
        occurredAt: at,
        details: { scope: scope.kind, returned: items.length, cursor: body.cursor ?? null, from: since.toISOString() },
      });
      return c.json({ scope: scope.kind, from: since.toISOString(), items, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
    },
  );
  return router;
}
