/**
 * The anomaly review list for auditors: `GET /v1/audit/anomalies` (the flags of your SOR subtree),
 * `POST /v1/audit/anomalies/{id}/decision` (record your decision; written to the audit chain in the
 * same transaction), `POST /v1/audit/anomalies/run` (run the rules now, besides the schedule).
 * A flag outside your subtree does not exist for you: 404, as an unknown id.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import { ANOMALY_DECISIONS, ANOMALY_RULES, type AnomalyRulesConfig, flagSecurityEvent, listAnomalyFlags, runAnomalyRules, toFlagView } from './anomaly.js';
import type { SecurityEvents } from '../security-events/security-events.js';
import { actorFromCaller } from './audit-event.js';
import { appendAuditInTransaction } from './audit-writer.js';

const flagSchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    status: z.enum(['open', ...ANOMALY_DECISIONS]),
    subject: z.object({ issuer: z.string().nullable(), user: z.string().nullable(), name: z.string().nullable(), organisation: z.string() }),
    period: z.object({ start: z.string(), end: z.string() }),
    auditEventIds: z.array(z.string()).openapi({ description: 'The audit records the flag rests on (find them with POST /v1/audit/search)' }),
    explanation: z.string().openapi({ description: 'What was found, in Danish', example: 'Bruger X hos 9520041000016004 slog 42 forskellige børn op den 2. december 2026 (grænse 30).' }),
    flaggedAt: z.string(),
    decision: z.object({ comment: z.string().nullable(), decidedBy: z.string().nullable(), decidedAt: z.string().nullable() }).nullable(),
  })
  .openapi('AnomalyFlag');

const notFound = () => new ProblemError(404, 'not-found', 'Not found', { detail: 'no such resource' });

export function anomalyRoutes(deps: { db: Kysely<Database>; isWithin: (sor: string, root: string) => boolean; rules: AnomalyRulesConfig; securityEvents?: SecurityEvents }) {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/anomalies',
      tags: ['audit'],
      summary: 'Anomaly flags of your organisation and everything below it in SOR, newest first',
      security: [{ bearer: [] }],
      request: {
        query: z.object({
          status: z.enum(['open', ...ANOMALY_DECISIONS]).optional(),
          rule: z.enum(ANOMALY_RULES).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().regex(/^\d{1,19}$/, 'must be a cursor from a previous page').optional(),
        }),
      },
      responses: {
        200: { description: 'a page of flags', content: { 'application/json': { schema: z.object({ items: z.array(flagSchema), nextCursor: z.string().nullable() }) } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const q = c.req.valid('query');
      const result = await listAnomalyFlags(deps.db, {
        within: (sor) => deps.isWithin(sor, caller.organisationSor),
        ...(q.status ? { status: q.status } : {}),
        ...(q.rule ? { rule: q.rule } : {}),
        ...(q.cursor ? { beforeSeq: q.cursor } : {}),
        limit: q.limit,
      });
      return c.json(result, 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/anomalies/{id}/decision',
      tags: ['audit'],
      summary: "Record the auditor's decision on a flag; the decision is written to the audit log",
      security: [{ bearer: [] }],
      request: {
        params: z.object({ id: z.uuid() }),
        body: {
          content: {
            'application/json': {
              schema: z.object({ decision: z.enum(ANOMALY_DECISIONS), comment: z.string().trim().min(5).max(2000) }).strict().openapi('AnomalyDecision'),
            },
          },
          required: true,
        },
      },
      responses: { 200: { description: 'the flag with the decision', content: { 'application/json': { schema: flagSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const updated = await deps.db.transaction().execute(async (trx) => {
        const flag = await trx.selectFrom('anomaly_flag').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!flag || !deps.isWithin(flag.organisation_sor, caller.organisationSor)) return null;
        const decidedAt = new Date();
        const row = await trx
          .updateTable('anomaly_flag')
          .set({ status: body.decision, decision_comment: body.comment, decided_by: `${caller.issuer} ${caller.subject}`, decided_at: decidedAt })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendAuditInTransaction(trx, {
          kind: 'anomaly-review',
          outcome: 'success',
          occurredAt: decidedAt,
          requestId: c.get('requestId'),
          actor: actorFromCaller(caller),
          purpose: caller.purposeOfUse,
          reason: body.comment,
          patientCpr: null,
          details: { flagId: id, rule: flag.rule, decision: body.decision, previousStatus: flag.status, organisation: flag.organisation_sor, auditEventIds: flag.audit_event_ids },
        });
        return row;
      });
      if (!updated) throw notFound();
      return c.json(toFlagView(updated), 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/anomalies/run',
      tags: ['audit'],
      summary: 'Run the anomaly rules now over the lookback window (besides the hourly schedule)',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'how many new flags the run stored within your subtree',
          content: { 'application/json': { schema: z.object({ flagged: z.number() }) } },
        },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const now = new Date();
      const { flagged } = await runAnomalyRules(deps.db, deps.rules, now, (flag) => deps.securityEvents?.emit(flagSecurityEvent(flag, now)));
      const mine = flagged.length === 0 ? [] : await deps.db.selectFrom('anomaly_flag').select('organisation_sor').where('id', 'in', flagged).execute();
      return c.json({ flagged: mine.filter((r) => deps.isWithin(r.organisation_sor, caller.organisationSor)).length }, 200);
    },
  );
  return router;
}
