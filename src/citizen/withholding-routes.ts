/**
 * Staff routes of the citizen's side, under `/v1/access-log` (staff tokens; never /v1/citizen/):
 * - `POST /withholdings`: a caseworker withholds one of their organisation's accesses from the
 *   citizen log until a stated time (at most BROKER_CITIZEN_WITHHOLD_MAX_MONTHS), with a reason;
 * - `GET /withholdings`, `POST /withholdings/{id}/review`: auditors see every mark of their SOR
 *   subtree and uphold or lift it (a mark outside the subtree does not exist for them: 404);
 * - `PUT /name-protection`: an agreement-admin protects (or shows again) the staff names of their
 *   organisation or a unit below it in the citizen log.
 * Every change is written to the audit chain in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { actorFromCaller } from '../audit/audit-event.js';
import { appendAuditInTransaction } from '../audit/audit-writer.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import { sorCodeSchema } from '../http/schemas.js';
import type { Caller, Role } from '../identity/caller.js';
import { CITIZEN_LOG_KINDS } from './access-log-view.js';
import { checkWithholdingPeriod, mayWithhold } from './withholding.js';

export interface WithholdingRoutesOptions {
  readonly db: Kysely<Database>;
  readonly isWithin: (sor: string, root: string) => boolean;
  readonly maxMonths: number;
  readonly maxReasonLength?: number;
  readonly now?: () => Date;
}

const notFound = () => new ProblemError(404, 'not-found', 'Not found', { detail: 'no such record' });
const needRole = (caller: Caller, ...roles: Role[]) => {
  if (!roles.includes(caller.role)) throw new ProblemError(403, 'forbidden-role', 'Role not allowed', { detail: `this operation needs one of the roles: ${roles.join(', ')}` });
};

const markSchema = z
  .object({
    id: z.string(),
    auditRecordId: z.string(),
    organisation: z.string(),
    reason: z.string(),
    withheldFrom: z.string(),
    withheldUntil: z.string(),
    markedBy: z.object({ issuer: z.string(), subject: z.string(), name: z.string().nullable(), organisation: z.string() }),
    review: z.object({ status: z.enum(['open', 'upheld', 'lifted']), comment: z.string().nullable(), reviewedBy: z.string().nullable(), reviewedAt: z.string().nullable() }),
  })
  .openapi('CitizenLogWithholding');

type MarkRow = Awaited<ReturnType<typeof selectMarks>>[number];
const selectMarks = (db: Kysely<Database>) => db.selectFrom('citizen_log_withholding').selectAll().orderBy('seq', 'desc').limit(500).execute();

const toMark = (r: MarkRow) => ({
  id: r.id,
  auditRecordId: r.audit_event_id,
  organisation: r.organisation_sor,
  reason: r.reason,
  withheldFrom: r.withheld_from.toISOString(),
  withheldUntil: r.withheld_until.toISOString(),
  markedBy: { issuer: r.marked_by_issuer, subject: r.marked_by_subject, name: r.marked_by_name, organisation: r.marked_by_organisation },
  review: { status: r.review_status, comment: r.review_comment, reviewedBy: r.reviewed_by, reviewedAt: r.reviewed_at?.toISOString() ?? null },
});

export function withholdingRoutes(options: WithholdingRoutesOptions) {
  const now = options.now ?? (() => new Date());
  const maxReason = options.maxReasonLength ?? 1000;
  const router = createRouter();

  router.openapi(
    createRoute({
      method: 'post',
      path: '/withholdings',
      tags: ['citizen'],
      summary: "Withhold one of your organisation's accesses from the custody-holders' view until a stated time",
      description:
        'Barnets lov: an investigation may concern the parents themselves. The access (a lookup\u2019s `lookupId`, or another audit record id of your organisation\u2019s access) is left out of the ' +
        "citizen log, the custody-holders' and the child's own view alike, until `until` (at most BROKER_CITIZEN_WITHHOLD_MAX_MONTHS from now, else 422). Caseworkers only; auditors review every mark.",
      security: [{ bearer: [] }],
      request: {
        body: {
          content: {
            'application/json': {
              schema: z
                .object({
                  auditRecordId: z.uuid(),
                  until: z.iso.datetime({ offset: true }),
                  reason: z.string().trim().min(10).max(maxReason),
                })
                .strict()
                .openapi('CitizenLogWithholdingRequest'),
            },
          },
          required: true,
        },
      },
      responses: { 201: { description: 'the mark', content: { 'application/json': { schema: markSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      needRole(caller, 'caseworker');
      const body = c.req.valid('json');
      const at = now();
      const until = new Date(body.until);
      const period = checkWithholdingPeriod(at, until, options.maxMonths);
      if (!period.ok) {
        throw new ProblemError(422, period.problem === 'too-long' ? 'withholding-too-long' : 'withholding-in-the-past', 'Withholding period not allowed', {
          detail: period.problem === 'too-long' ? `a mark may last at most ${options.maxMonths} months from now` : 'until must lie in the future',
          extensions: { maxMonths: options.maxMonths },
        });
      }
      const access = await options.db
        .selectFrom('audit_event')
        .select(['id', 'kind', 'actor_organisation', 'patient_cpr'])
        .where('id', '=', body.auditRecordId)
        .executeTakeFirst();
      // Another organisation's access is as unknown to the caller as a made-up id.
      if (!access?.patient_cpr || !mayWithhold({ organisationSor: caller.organisationSor, role: caller.role }, { actorOrganisation: access.actor_organisation, kind: access.kind }, CITIZEN_LOG_KINDS)) {
        throw notFound();
      }
      const patientCpr = access.patient_cpr;
      const id = randomUUID();
      const row = await options.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('citizen_log_withholding')
          .values({
            id,
            audit_event_id: access.id,
            patient_cpr: patientCpr,
            organisation_sor: caller.organisationSor,
            reason: body.reason,
            withheld_from: at,
            withheld_until: until,
            marked_by_issuer: caller.issuer,
            marked_by_subject: caller.subject,
            marked_by_name: caller.displayName,
            marked_by_organisation: caller.organisationSor,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendAuditInTransaction(trx, {
          kind: 'citizen-withholding',
          outcome: 'success',
          occurredAt: at,
          requestId: c.get('requestId'),
          actor: actorFromCaller(caller),
          purpose: caller.purposeOfUse,
          reason: body.reason,
          patientCpr,
          details: { withholdingId: id, auditRecordId: access.id, until: until.toISOString() },
        });
        return inserted;
      });
      return c.json(toMark(row), 201);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/withholdings',
      tags: ['citizen'],
      summary: 'Every withheld-mark of your organisation and the units below it, newest first (auditors)',
      security: [{ bearer: [] }],
      request: { query: z.object({ status: z.enum(['open', 'upheld', 'lifted']).optional() }) },
      responses: { 200: { description: 'the marks', content: { 'application/json': { schema: z.object({ items: z.array(markSchema) }) } } }, ...problemResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      needRole(caller, 'auditor');
      const { status } = c.req.valid('query');
      let q = options.db.selectFrom('citizen_log_withholding').selectAll().orderBy('seq', 'desc');
      if (status) q = q.where('review_status', '=', status);
      const rows = await q.execute();
      return c.json({ items: rows.filter((r) => options.isWithin(r.organisation_sor, caller.organisationSor)).map(toMark) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/withholdings/{id}/review',
      tags: ['citizen'],
      summary: 'Uphold or lift a withheld-mark (auditors of the marking organisation or above)',
      description: '`lifted` ends the mark now: the access shows in the citizen log again. Written to the audit chain.',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ id: z.uuid() }),
        body: {
          content: { 'application/json': { schema: z.object({ decision: z.enum(['upheld', 'lifted']), comment: z.string().trim().min(5).max(1000) }).strict().openapi('CitizenLogWithholdingReview') } },
          required: true,
        },
      },
      responses: { 200: { description: 'the reviewed mark', content: { 'application/json': { schema: markSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const caller = c.get('caller');
      needRole(caller, 'auditor');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const at = now();
      const row = await options.db.transaction().execute(async (trx) => {
        const mark = await trx.selectFrom('citizen_log_withholding').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!mark || !options.isWithin(mark.organisation_sor, caller.organisationSor)) throw notFound();
        const updated = await trx
          .updateTable('citizen_log_withholding')
          .set({ review_status: body.decision, review_comment: body.comment, reviewed_by: `${caller.issuer}#${caller.subject}`, reviewed_by_organisation: caller.organisationSor, reviewed_at: at })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await appendAuditInTransaction(trx, {
          kind: 'citizen-withholding-review',
          outcome: 'success',
          occurredAt: at,
          requestId: c.get('requestId'),
          actor: actorFromCaller(caller),
          purpose: caller.purposeOfUse,
          reason: body.comment,
          patientCpr: mark.patient_cpr,
          details: { withholdingId: id, auditRecordId: mark.audit_event_id, decision: body.decision },
        });
        return updated;
      });
      return c.json(toMark(row), 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'put',
      path: '/name-protection',
      tags: ['citizen'],
      summary: "Protect (or show again) your organisation's staff names in the citizen log",
      description: 'Agreement-admins, for their own organisation or a unit below it in SOR; the mark covers the units below the marked one too. Audited.',
      security: [{ bearer: [] }],
      request: {
        body: { content: { 'application/json': { schema: z.object({ organisationSor: sorCodeSchema, protected: z.boolean() }).strict().openapi('StaffNameProtection') } }, required: true },
      },
      responses: {
        200: { description: 'the setting now', content: { 'application/json': { schema: z.object({ organisationSor: z.string(), protected: z.boolean() }) } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      needRole(caller, 'agreement-admin');
      const body = c.req.valid('json');
      if (!options.isWithin(body.organisationSor, caller.organisationSor)) {
        throw new ProblemError(403, 'access-denied', 'Access denied', { detail: 'you may set this only for your own organisation or a unit below it', extensions: { reasons: ['outside-own-subtree'] } });
      }
      const at = now();
      await options.db.transaction().execute(async (trx) => {
        if (body.protected) {
          await trx
            .insertInto('staff_name_protection')
            .values({ organisation_sor: body.organisationSor, set_by: `${caller.issuer}#${caller.subject}`, set_at: at })
            .onConflict((oc) => oc.column('organisation_sor').doUpdateSet({ set_by: `${caller.issuer}#${caller.subject}`, set_at: at }))
            .execute();
        } else {
          await trx.deleteFrom('staff_name_protection').where('organisation_sor', '=', body.organisationSor).execute();
        }
        await appendAuditInTransaction(trx, {
          kind: 'staff-name-protection',
          outcome: 'success',
          occurredAt: at,
          requestId: c.get('requestId'),
          actor: actorFromCaller(caller),
          purpose: null,
          reason: null,
          patientCpr: null,
          details: { organisationSor: body.organisationSor, protected: body.protected },
        });
      });
      return c.json({ organisationSor: body.organisationSor, protected: body.protected }, 200);
    },
  );
  return router;
}
