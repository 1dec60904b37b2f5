/**
 * /v1/agreements: the agreement administration API. Thin routes: parse, call one command, map the
 * result. Writes need the agreement-admin role; reads agreement-admin or auditor.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { actorFromCaller } from '../audit/audit-event.js';
import { ProblemError } from '../http/problem.js';
import { requireRole } from '../http/middleware.js';
import { createRouter, problemResponses } from '../http/router.js';
import type { AppEnv } from '../http/types.js';
import { toCsv } from './csv.js';
import { versionInForce } from './lifecycle.js';
import {
  agreementSchema,
  approveBodySchema,
  historySchema,
  idParams,
  listQuerySchema,
  listSchema,
  reasonBodySchema,
  revokeBodySchema,
  termsSchema,
  toTerms,
  versionBody,
} from './schemas.js';
import { type Actor, type AgreementService, etagOf } from './service.js';
import type { ListCursor, ListRow, SortField, StoredAgreement } from './store.js';

const readers = requireRole('agreement-admin', 'auditor');
const writers = requireRole('agreement-admin');
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  ...problemResponses,
  404: { description: 'No such agreement or version (problem+json)' },
  409: { description: 'Not possible in the agreement\'s state, or version superseded (problem+json)' },
  412: { description: 'If-Match does not match the current ETag (problem+json)' },
  422: { description: 'agreement-invalid: the terms have problems, listed in `issues` (problem+json)' },
} as const;
const ifMatchHeader = z.object({
  'if-match': z.string().max(200).optional().openapi({ description: 'If-Match: the ETag last read' }),
});
/** The largest CSV export; beyond it, narrow the filter. */
const CSV_LIMIT = 50_000;

function actorOf(c: Context<AppEnv>): Actor {
  const caller = c.get('caller');
  return {
    issuer: caller.issuer,
    subject: caller.subject,
    organisationSor: caller.organisationSor,
    requestId: c.get('requestId') ?? null,
    audit: actorFromCaller(caller),
  };
}

function agreementBody(stored: StoredAgreement) {
  const versions = [...stored.record.versions].sort((x, y) => x.version - y.version);
  const inForce = versionInForce(stored.record);
  const pending = versions.find((v) => v.status === 'draft' || v.status === 'awaiting-approval');
  const listed = inForce ?? versions[versions.length - 1];
  return {
    id: stored.record.id,
    status: listed?.status ?? 'draft',
    etag: etagOf(stored.rowVersion),
    inForceVersion: inForce?.version ?? null,
    pendingVersion: pending?.version ?? null,
    createdAt: stored.createdAt.toISOString(),
    updatedAt: stored.updatedAt.toISOString(),
    versions: versions.map(versionBody),
  };
}

function respond(c: Context<AppEnv>, stored: StoredAgreement, status: 200 | 201 = 200): Response {
  c.header('ETag', etagOf(stored.rowVersion));
  if (status === 201) c.header('Location', `/v1/agreements/${stored.record.id}`);
  return c.json(agreementBody(stored), status);
}

function listItem(row: ListRow) {
  const v = versionBody(row.agreement);
  return {
    id: row.agreement.id,
    status: row.status,
    version: row.agreement.version,
    latestVersion: row.latestVersion,
    title: v.title,
    sideA: v.sideA,
    sideB: v.sideB,
    dataElements: v.dataElements,
    purposes: v.purposes,
    legalBasis: v.legalBasis,
    period: v.period,
    updatedAt: row.updatedAt.toISOString(),
  };
}

function encodeCursor(sort: string, row: ListRow): string {
  return Buffer.from(JSON.stringify({ s: sort, k: row.sortKey, id: row.agreement.id })).toString('base64url');
}

function decodeCursor(sort: string, cursor: string): ListCursor {
  const invalid = () =>
    new ProblemError(400, 'cursor-invalid', 'Invalid cursor', { detail: 'use the nextCursor of a previous page with the same sort' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const shape = z.object({ s: z.literal(sort), k: z.string().max(300), id: z.uuid() }).safeParse(parsed);
  if (!shape.success) throw invalid();
  return { key: shape.data.k, id: shape.data.id };
}

export function agreementRoutes(service: AgreementService) {
  const router = createRouter();

  router.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['agreements'],
      summary: 'Create a draft agreement',
      security: [{ bearer: [] }],
      middleware: [writers] as const,
      request: { body: { required: true, content: { 'application/json': { schema: termsSchema } } } },
      responses: { 201: json(agreementSchema, 'the draft, with ETag'), ...errors },
    }),
    async (c) => respond(c, await service.create(actorOf(c), toTerms(c.req.valid('json'))), 201),
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['agreements'],
      summary: 'The agreement overview: filter, sort, page, or export as CSV',
      security: [{ bearer: [] }],
      middleware: [readers] as const,
      request: { query: listQuerySchema },
      responses: {
        200: {
          description: 'one page of agreements (JSON) or every matching agreement (CSV)',
          content: { 'application/json': { schema: listSchema }, 'text/csv': { schema: z.string() } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const csv = q.format === 'csv' || (q.format === undefined && (c.req.header('Accept') ?? '').includes('text/csv'));
      const sort = q.sort.replace(/^-/, '') as SortField;
      const descending = q.sort.startsWith('-');
      const query = {
        ...(q.party ? { party: { sor: q.party, includeSubtree: q.includeSubtree ?? false } } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.purpose ? { purpose: q.purpose } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.legalBasis ? { legalBasis: q.legalBasis } : {}),
        ...(q.expiringWithinDays !== undefined ? { expiringWithinDays: q.expiringWithinDays } : {}),
        ...(q.referencesClosedUnits !== undefined ? { referencesClosedUnits: q.referencesClosedUnits } : {}),
        ...(q.q ? { q: q.q } : {}),
      };
      if (csv) {
        const rows = await service.list(actorOf(c), query, { sort, descending, limit: CSV_LIMIT });
        c.header('Content-Type', 'text/csv; charset=utf-8');
        c.header('Content-Disposition', 'attachment; filename="agreements.csv"');
        return c.body(toCsv(rows), 200);
      }
      const after = q.cursor ? decodeCursor(q.sort, q.cursor) : undefined;
      const rows = await service.list(actorOf(c), query, { sort, descending, limit: q.limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({ items: page.map(listItem), nextCursor: rows.length > q.limit && last ? encodeCursor(q.sort, last) : null }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['agreements'],
      summary: 'An agreement with all its versions and approvals',
      security: [{ bearer: [] }],
      middleware: [readers] as const,
      request: { params: idParams },
      responses: { 200: json(agreementSchema, 'the agreement, with ETag'), ...errors },
    }),
    async (c) => respond(c, await service.get(actorOf(c), c.req.valid('param').id)),
  );

  router.openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      tags: ['agreements'],
      summary: 'Change the terms (a draft in place; otherwise a new version that needs approval again)',
      description: 'Requires If-Match. On an active agreement the new version awaits approval by both sides while the old one stays in force.',
      security: [{ bearer: [] }],
      middleware: [writers] as const,
      request: { params: idParams, headers: ifMatchHeader, body: { required: true, content: { 'application/json': { schema: termsSchema } } } },
      responses: { 200: json(agreementSchema, 'the agreement, with the new ETag'), 428: { description: 'If-Match missing (problem+json)' }, ...errors },
    }),
    async (c) =>
      respond(c, await service.update(actorOf(c), c.req.valid('param').id, c.req.valid('header')['if-match'], toTerms(c.req.valid('json')))),
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/submit',
      tags: ['agreements'],
      summary: 'Submit the draft for approval',
      security: [{ bearer: [] }],
      middleware: [writers] as const,
      request: { params: idParams, headers: ifMatchHeader },
      responses: { 200: json(agreementSchema, 'the agreement'), ...errors },
    }),
    async (c) => respond(c, await service.submit(actorOf(c), c.req.valid('param').id, c.req.valid('header')['if-match'])),
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/approve',
      tags: ['agreements'],
      summary: "Approve a version for the caller's side",
      description:
        "The administrator must act for the side's approving organisation or an owner above it, and neither that organisation nor that person may have approved the other side. `side` picks the side where the caller could approve either. Active once both sides approved this version.",
      security: [{ bearer: [] }],
      middleware: [writers] as const,
      request: { params: idParams, headers: ifMatchHeader, body: { required: true, content: { 'application/json': { schema: approveBodySchema } } } },
      responses: { 200: json(agreementSchema, 'the agreement'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return respond(c, await service.approve(actorOf(c), c.req.valid('param').id, body.version, c.req.valid('header')['if-match'], body.side));
    },
  );

  for (const action of ['suspend', 'resume'] as const) {
    router.openapi(
      createRoute({
        method: 'post',
        path: `/{id}/${action}`,
        tags: ['agreements'],
        summary: action === 'suspend' ? 'Suspend the agreement in force' : 'Resume a suspended agreement',
        security: [{ bearer: [] }],
        middleware: [writers] as const,
        request: { params: idParams, headers: ifMatchHeader, body: { required: false, content: { 'application/json': { schema: reasonBodySchema } } } },
        responses: { 200: json(agreementSchema, 'the agreement'), ...errors },
      }),
      async (c) => {
        const reason = (await c.req.json().catch(() => ({}))) as unknown;
        const parsed = reasonBodySchema.safeParse(reason ?? {});
        const text = parsed.success ? (parsed.data.reason ?? null) : null;
        const { id } = c.req.valid('param');
        const ifMatch = c.req.valid('header')['if-match'];
        return respond(c, await service[action](actorOf(c), id, ifMatch, text));
      },
    );
  }

  router.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/revoke',
      tags: ['agreements'],
      summary: 'Revoke the agreement and any pending version, with a reason',
      security: [{ bearer: [] }],
      middleware: [writers] as const,
      request: { params: idParams, headers: ifMatchHeader, body: { required: true, content: { 'application/json': { schema: revokeBodySchema } } } },
      responses: { 200: json(agreementSchema, 'the agreement'), ...errors },
    }),
    async (c) =>
      respond(c, await service.revoke(actorOf(c), c.req.valid('param').id, c.req.valid('header')['if-match'], c.req.valid('json').reason)),
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/history',
      tags: ['agreements'],
      summary: 'Every change: who, when, what, before and after',
      security: [{ bearer: [] }],
      middleware: [readers] as const,
      request: { params: idParams },
      responses: { 200: json(historySchema, 'change records, oldest first'), ...errors },
    }),
    async (c) => {
      const rows = await service.history(actorOf(c), c.req.valid('param').id);
      return c.json(
        {
          items: rows.map((r) => ({
            id: r.id,
            version: r.version,
            action: r.action,
            at: r.at.toISOString(),
            actor: { issuer: r.actorIssuer, subject: r.actorSubject, organisation: r.actorOrganisation },
            requestId: r.requestId,
            reason: r.reason,
            before: r.before,
            after: r.after,
          })),
        },
        200,
      );
    },
  );

  return router;
}
