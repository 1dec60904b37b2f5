/**
 * `/v1/citizen/blocks`: a citizen, or a custody-holder for a child, blocks an organisation or unit
 * (with its SOR subtree) or a named professional from the child's health data through the broker,
 * lists the blocks, and withdraws one. The CPR travels in the body (or, for one's own list, in the
 * token), never in the URL. Every request, a refusal too, is audited under `citizen-block`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditActor } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import { cprSchema, sorCodeSchema } from '../http/schemas.js';
import type { CitizenCaller } from '../identity/caller.js';
import type { BlockRow } from './blocks-store.js';
import { insertBlock, listBlocks, withdrawBlock } from './blocks-store.js';
import type { CitizenScope } from './scope.js';
import { type CitizenScopeService, citizenScopeProblem } from './scope-service.js';

export interface BlockRoutesDeps {
  readonly db: Kysely<Database>;
  readonly directory: Pick<DirectoryCache, 'view'>;
  readonly scope: CitizenScopeService;
  readonly audit: AuditWriter;
  readonly now?: () => Date;
}

const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('organisation'), sor: sorCodeSchema.openapi({ description: 'The organisation or unit; its whole SOR subtree is blocked', example: '9510431000016003' }) }).strict(),
  z
    .object({
      kind: z.literal('professional'),
      issuer: z.url().max(300).openapi({ description: "The professional's identity provider (token `iss`)" }),
      subject: z.string().trim().min(1).max(200).openapi({ description: "The professional's id at that identity provider (token `sub`)" }),
    })
    .strict(),
]);

const blockSchema = z
  .object({
    id: z.string(),
    target: targetSchema,
    validFrom: z.string(),
    validTo: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
    createdAs: z.string().openapi({ description: '`self` or `custody-holder`' }),
    withdrawnAt: z.string().nullable(),
  })
  .openapi('CitizenBlock');

function view(r: BlockRow): z.infer<typeof blockSchema> {
  return {
    id: r.id,
    target: r.target_kind === 'organisation' ? { kind: 'organisation', sor: r.target_sor as string } : { kind: 'professional', issuer: r.target_issuer as string, subject: r.target_subject as string },
    validFrom: new Date(r.valid_from).toISOString(),
    validTo: r.valid_to ? new Date(r.valid_to).toISOString() : null,
    reason: r.reason,
    createdAt: new Date(r.created_at).toISOString(),
    createdAs: r.created_as,
    withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at).toISOString() : null,
  };
}

const citizenActor = (c: CitizenCaller): AuditActor => ({
  issuer: c.issuer, subject: c.subject, displayName: c.displayName, role: 'citizen', organisationSor: null, assurance: c.assurance, callingSystem: null,
});

export function blockRoutes(deps: BlockRoutesDeps) {
  const now = deps.now ?? (() => new Date());
  const router = createRouter();

  /** The scope for the CPR asked about; a refusal is audited and answered as the scope says. */
  async function inScope(citizen: CitizenCaller, cpr: string, requestId: string, action: string): Promise<Extract<CitizenScope, { kind: 'self' | 'custody' }>> {
    const scope = await deps.scope.resolve(citizen, cpr, requestId);
    if (scope.kind === 'self' || scope.kind === 'custody') return scope;
    await deps.audit.write({
      kind: 'citizen-block', outcome: 'denied', occurredAt: now(), requestId, actor: citizenActor(citizen), purpose: null, reason: null, patientCpr: cpr,
      details: { action, refused: scope.kind === 'refused' ? scope.reason : 'custody-unavailable' },
    });
    throw citizenScopeProblem(scope);
  }

  const write = (citizen: CitizenCaller, requestId: string, cpr: string, action: string, details: Record<string, unknown>) =>
    deps.audit.write({ kind: 'citizen-block', outcome: 'success', occurredAt: now(), requestId, actor: citizenActor(citizen), purpose: null, reason: null, patientCpr: cpr, details: { action, ...details } });

  router.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['citizen'],
      summary: "Block an organisation, unit or professional from the child's health data",
      description:
        'For your own CPR (from 15) or a child in your custody. A lookup by a blocked caller reports the GP and child psychiatry sources as `blocked` and does not ask them, ' +
        'except under an agreement whose legal basis allows sharing without consent (barnets lov). A clinician may override a block in an emergency (NSIS high); you see it in your access log.',
      security: [{ bearer: [] }],
      request: {
        body: {
          content: {
            'application/json': {
              schema: z
                .object({
                  cpr: cprSchema.openapi({ description: 'Your CPR or your child\'s; only in the body', example: '0209144026' }),
                  target: targetSchema,
                  validTo: z.iso.datetime({ offset: true }).optional().openapi({ description: 'When the block ends by itself; open when left out' }),
                  reason: z.string().trim().min(1).max(500).optional().openapi({ description: 'Your own note; kept with the block' }),
                })
                .strict()
                .openapi('CitizenBlockRequest'),
            },
          },
          required: true,
        },
      },
      responses: { 201: { description: 'the block, in force from now', content: { 'application/json': { schema: blockSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const citizen = c.get('citizen');
      const body = c.req.valid('json');
      const requestId = c.get('requestId');
      const scope = await inScope(citizen, body.cpr, requestId, 'create');
      const at = now();
      if (body.target.kind === 'organisation' && !deps.directory.view().get(body.target.sor)) {
        throw new ProblemError(422, 'unknown-organisation', 'Unknown organisation', { detail: 'no organisation with that SOR code is in the directory; check the code (a block must name an organisation that exists)' });
      }
      const validTo = body.validTo ? new Date(body.validTo) : null;
      if (validTo && validTo.getTime() <= at.getTime()) {
        throw new ProblemError(422, 'validation-failed', 'Invalid block', { detail: 'validTo must be in the future' });
      }
      const row = await insertBlock(deps.db, { childCpr: body.cpr, target: body.target, validFrom: at, validTo, reason: body.reason ?? null, createdAs: scope.kind === 'self' ? 'self' : 'custody-holder', at });
      await write(citizen, requestId, body.cpr, 'create', { blockId: row.id, target: body.target, createdAs: row.created_as, validTo: validTo?.toISOString() ?? null });
      return c.json(view(row), 201);
    },
  );

  const listResponse = { 200: { description: 'the blocks, newest first', content: { 'application/json': { schema: z.object({ items: z.array(blockSchema) }) } } }, ...problemResponses };
  async function list(citizen: CitizenCaller, cpr: string, requestId: string, withWithdrawn: boolean) {
    await inScope(citizen, cpr, requestId, 'list');
    const rows = await listBlocks(deps.db, cpr, withWithdrawn);
    await write(citizen, requestId, cpr, 'list', { count: rows.length });
    return { items: rows.map(view) };
  }

  router.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['citizen'],
      summary: 'Your own blocks (the CPR of your token; from 15)',
      security: [{ bearer: [] }],
      responses: listResponse,
    }),
    async (c) => c.json(await list(c.get('citizen'), c.get('citizen').cpr, c.get('requestId'), false), 200),
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/list',
      tags: ['citizen'],
      summary: "The blocks of your child (or your own), CPR in the body",
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: z.object({ cpr: cprSchema, withWithdrawn: z.boolean().default(false) }).strict() } }, required: true } },
      responses: listResponse,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await list(c.get('citizen'), body.cpr, c.get('requestId'), body.withWithdrawn), 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags: ['citizen'],
      summary: 'Withdraw a block (the CPR it is about in the body)',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ id: z.uuid() }),
        body: { content: { 'application/json': { schema: z.object({ cpr: cprSchema }).strict() } }, required: true },
      },
      responses: { 200: { description: 'the block, withdrawn', content: { 'application/json': { schema: blockSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const citizen = c.get('citizen');
      const { id } = c.req.valid('param');
      const { cpr } = c.req.valid('json');
      const requestId = c.get('requestId');
      await inScope(citizen, cpr, requestId, 'withdraw');
      const row = await withdrawBlock(deps.db, cpr, id, now());
      // Another child's block id is not found either: the answer tells nothing about other children.
      if (!row) throw new ProblemError(404, 'not-found', 'Not found', { detail: 'no block with that id for this person' });
      await write(citizen, requestId, cpr, 'withdraw', { blockId: row.id });
      return c.json(view(row), 200);
    },
  );
  return router;
}
