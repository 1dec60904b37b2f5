/**
 * GET /v1/access/explain: for administrators and auditors, what a caller with the given
 * organisation, role and assurance could do with which organisations, and why not where not.
 * Only agreements the asking organisation may see are explained (see visibility.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../http/middleware.js';
import { sorCodeSchema } from '../http/schemas.js';
import { ASSURANCE_LEVELS, DATA_ROLES } from '../identity/caller.js';
import { createRouter, problemResponses } from '../http/router.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { DecisionService } from './decision-service.js';
import type { AgreementService } from './service.js';
import { partySelectorSchema } from './schemas.js';
import { PURPOSES } from './model.js';

const REASONS = [
  'no-agreement', 'agreement-not-active', 'purpose-not-covered', 'action-not-covered',
  'role-not-allowed', 'assurance-too-low', 'organisation-closed', 'organisation-unknown',
] as const;

const querySchema = z.object({
  organisation: sorCodeSchema.openapi({ description: 'SOR code the caller would act for' }),
  role: z.enum(DATA_ROLES),
  assurance: z.enum(ASSURANCE_LEVELS).default('substantial'),
  purpose: z.enum(PURPOSES).optional(),
  at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Instant to decide at; now when omitted' }),
});

const reachSchema = z
  .object({
    agreement: z.object({ id: z.string(), version: z.number().int(), title: z.string() }),
    side: z.enum(['a', 'b']),
    reach: z.array(partySelectorSchema.and(z.object({ name: z.string().nullable().optional() }))),
    dataElements: z.array(z.string()),
    purposes: z.array(z.string()),
    reasons: z.array(z.enum(REASONS)),
    usable: z.boolean(),
  })
  .openapi('ReachEntry');

const explanationSchema = z
  .object({
    organisation: z.object({ sor: z.string(), name: z.string().nullable() }),
    at: z.string(),
    blocked: z.enum(['organisation-unknown', 'organisation-closed']).nullable(),
    entries: z.array(reachSchema),
  })
  .openapi('AccessExplanation');

export function explainRoutes(deps: { decisions: DecisionService; directory: Pick<DirectoryCache, 'view'>; agreements: Pick<AgreementService, 'visibleIds'> }) {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/explain',
      tags: ['agreements'],
      summary: 'What a caller could do with which organisations, and why',
      security: [{ bearer: [] }],
      middleware: [requireRole('agreement-admin', 'auditor')] as const,
      request: { query: querySchema },
      responses: { 200: { description: 'per agreement and side: the reach and any reasons it cannot be used', content: { 'application/json': { schema: explanationSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const caller = c.get('caller');
      const at = q.at ? new Date(q.at) : new Date();
      const e = deps.decisions.explain(
        { organisationSor: q.organisation, role: q.role, assurance: q.assurance, ...(q.purpose ? { purpose: q.purpose } : {}) },
        at,
      );
      const dir = deps.directory.view();
      const visible = await deps.agreements.visibleIds(
        { issuer: caller.issuer, subject: caller.subject, organisationSor: caller.organisationSor, requestId: null, audit: actorFromCaller(caller) },
        [...new Set(e.entries.map((x) => x.agreement.id))],
      );
      return c.json(
        {
          organisation: { sor: e.organisationSor, name: dir.get(e.organisationSor)?.name ?? null },
          at: at.toISOString(),
          blocked: e.blocked,
          entries: e.entries.filter((x) => visible.has(x.agreement.id)).map((x) => ({
            agreement: { ...x.agreement },
            side: x.side,
            reach: x.reach.map((p) => (p.kind === 'unit-type' ? { ...p } : { ...p, name: dir.get(p.sor)?.name ?? null })),
            dataElements: [...x.dataElements],
            purposes: [...x.purposes],
            reasons: [...x.reasons],
            usable: x.reasons.length === 0,
          })),
        },
        200,
      );
    },
  );
  return router;
}
