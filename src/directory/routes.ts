/**
 * Directory API: search organisations, read one (with ancestors, children, EAN numbers), its
 * history and state on a date, the SOR import log, and local municipal units.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { actorFromCaller } from '../audit/audit-event.js';
import { requireRole } from '../http/middleware.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import type { AppEnv } from '../http/types.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import type { DirectoryCache } from './directory-cache.js';
import { MUNICIPAL_LOCAL_UNIT_TYPES } from './local-unit-types.js';
import { redactSourceLocation } from './source-location.js';
import { closeLocalUnit, registerLocalUnit, type LocalUnitActor } from './local-units.js';
import { InvalidCursorError, getOrganisation, organisationAsOf, organisationHistory, searchOrganisations } from './queries.js';
import { sorCodeSchema } from '../http/schemas.js';
import { STAFF_ROLES } from '../identity/caller.js';

const isoDate = z.iso.date();

const summarySchema = z
  .object({
    sor: z.string(),
    name: z.string(),
    level: z.string(),
    parentSor: z.string().nullable(),
    unitType: z.string().nullable(),
    ownerType: z.string().nullable(),
    regionCode: z.string().nullable(),
    municipalityCode: z.string().nullable(),
    ydernummer: z.string().nullable(),
    ownEans: z.array(z.string()),
    validFrom: z.string(),
    validTo: z.string().nullable(),
    removedAt: z.string().nullable(),
    local: z.boolean(),
  })
  .openapi('OrganisationSummary');

const detailSchema = summarySchema
  .extend({
    shakCode: z.string().nullable(),
    addresses: z.array(z.object({ kind: z.string(), street: z.string().nullable(), postalCode: z.string().nullable(), district: z.string().nullable(), municipalityCode: z.string().nullable(), countryCode: z.string().nullable() })),
    phones: z.array(z.string()),
    emails: z.array(z.string()),
    websites: z.array(z.string()),
    specialities: z.array(z.string()),
    replacedBy: z.array(z.string()),
    kombitOrganisationUuid: z.string().nullable(),
    eanNumbers: z.array(z.object({ ean: z.string(), own: z.boolean(), heldBy: z.string() })).openapi({ description: 'Own EAN numbers, else the nearest ancestor’s' }),
    ancestors: z.array(summarySchema),
    children: z.array(summarySchema),
  })
  .openapi('Organisation');

const versionSchema = z
  .object({ change: z.string(), recordedFrom: z.string(), recordedTo: z.string().nullable(), importId: z.string().nullable(), changedBy: z.string().nullable(), record: z.record(z.string(), z.unknown()) })
  .openapi('OrganisationVersion');

const importSchema = z
  .object({ id: z.string(), source: z.string(), sha256: z.string(), snapshotAt: z.string(), startedAt: z.string(), finishedAt: z.string(), entities: z.number(), added: z.number(), changed: z.number(), removed: z.number(), unchanged: z.number(), importedBy: z.string() })
  .openapi('SorImport');

const listQuery = z.object({
  q: z.string().min(1).max(200).optional().openapi({ description: 'free text in the name' }),
  sor: sorCodeSchema.optional(),
  ean: z.string().regex(/^\d{13}$/).optional(),
  ydernummer: z.string().regex(/^\d{1,6}$/).optional(),
  unitType: z.string().max(40).optional(),
  ownerType: z.string().max(40).optional(),
  region: z.string().regex(/^\d{4}$/).optional().openapi({ description: 'region code, e.g. 1081 Nordjylland' }),
  municipality: z.string().regex(/^\d{3}$/).optional().openapi({ description: 'kommunekode, e.g. 851 Aalborg' }),
  subtree: sorCodeSchema.optional().openapi({ description: 'this organisation and everything below it' }),
  activeAt: isoDate.optional(),
  local: z.enum(['true', 'false']).optional(),
  sort: z.enum(['name', 'sor']).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

const localUnitBody = z
  .object({
    parentSor: sorCodeSchema,
    name: z.string().min(2).max(200),
    unitType: z
      .string()
      .min(2)
      .max(40)
      .openapi({ example: '556841000005105', description: `a municipal unit type: ${MUNICIPAL_LOCAL_UNIT_TYPES.map((t) => `${t.code} (${t.name})`).join(', ')}` }),
    municipalityCode: z.string().regex(/^\d{3}$/),
    kombitOrganisationUuid: z.uuid().optional(),
    ean: z.string().regex(/^\d{13}$/).optional(),
    phones: z.array(z.string().regex(/^\+?[\d ]{6,20}$/)).max(5).optional(),
    emails: z.array(z.email()).max(5).optional(),
    address: z.object({ street: z.string().max(200).optional(), postalCode: z.string().regex(/^\d{4}$/).optional(), district: z.string().max(100).optional() }).optional(),
    validFrom: isoDate.optional(),
  })
  .openapi('LocalUnitRegistration');

export function directoryRoutes(deps: { db: Kysely<Database>; directory: DirectoryCache; changes: ChangeFeed }) {
  const router = createRouter();
  const readers = requireRole(...STAFF_ROLES);

  router.use('*', async (c, next) => (c.req.method === 'GET' ? readers(c, next) : next()));
  router.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['directory'],
      summary: 'Search organisations (SOR and local units)',
      security: [{ bearer: [] }],
      request: { query: listQuery },
      responses: {
        200: { description: 'a page of organisations', content: { 'application/json': { schema: z.object({ items: z.array(summarySchema), nextCursor: z.string().nullable() }) } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const { sort, order, limit, cursor, local, ...filters } = c.req.valid('query');
      try {
        const page = await searchOrganisations(deps.db, { ...filters, ...(local ? { local: local === 'true' } : {}) }, { sort, order, limit, cursor });
        return c.json(page, 200);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new ProblemError(400, 'invalid-cursor', 'Invalid cursor', { detail: error.message });
        throw error;
      }
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/imports',
      tags: ['directory'],
      summary: 'The SOR import log, newest first',
      security: [{ bearer: [] }],
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
      responses: { 200: { description: 'imports', content: { 'application/json': { schema: z.object({ imports: z.array(importSchema) }) } } }, ...problemResponses },
    }),
    async (c) => {
      const rows = await deps.db.selectFrom('sor_import').selectAll().orderBy('id', 'desc').limit(c.req.valid('query').limit).execute();
      return c.json(
        {
          imports: rows.map((r) => ({
            // Redacted again here: a row recorded before sources were redacted must not show its secrets.
            id: r.id, source: redactSourceLocation(r.source), sha256: r.sha256, snapshotAt: r.snapshot_at.toISOString(), startedAt: r.started_at.toISOString(),
            finishedAt: r.finished_at.toISOString(), entities: r.entities, added: r.added, changed: r.changed, removed: r.closed,
            unchanged: r.unchanged, importedBy: r.imported_by,
          })),
        },
        200,
      );
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{sor}',
      tags: ['directory'],
      summary: 'One organisation with ancestors, children and EAN numbers',
      security: [{ bearer: [] }],
      request: { params: z.object({ sor: sorCodeSchema }) },
      responses: { 200: { description: 'the organisation', content: { 'application/json': { schema: detailSchema } } }, 404: { description: 'unknown' }, ...problemResponses },
    }),
    async (c) => {
      const org = await getOrganisation(deps.db, c.req.valid('param').sor);
      if (!org) throw new ProblemError(404, 'organisation-not-found', 'Organisation not found', { detail: 'no organisation with this SOR code' });
      return c.json(org, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/{sor}/history',
      tags: ['directory'],
      summary: 'Every recorded state of an organisation, or the one in force at a time (`asOf`)',
      security: [{ bearer: [] }],
      request: { params: z.object({ sor: sorCodeSchema }), query: z.object({ asOf: z.iso.datetime({ offset: true }).or(isoDate).optional() }) },
      responses: { 200: { description: 'versions', content: { 'application/json': { schema: z.object({ versions: z.array(versionSchema) }) } } }, ...problemResponses },
    }),
    async (c) => {
      const { sor } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      if (asOf) {
        const version = await organisationAsOf(deps.db, sor, new Date(asOf.length === 10 ? `${asOf}T12:00:00Z` : asOf));
        return c.json({ versions: version ? [version] : [] }, 200);
      }
      return c.json({ versions: await organisationHistory(deps.db, sor) }, 200);
    },
  );

  const admin = requireRole('agreement-admin');
  const within = (sor: string, root: string) => deps.directory.view().isWithin(sor, root);
  const actorOf = (c: Context<AppEnv>): LocalUnitActor => {
    const caller = c.get('caller');
    return { by: `${caller.issuer}#${caller.subject}`, actingOrganisation: caller.organisationSor, within, audit: actorFromCaller(caller), requestId: c.get('requestId') ?? null };
  };
  router.use('/local', admin);
  router.use('/local/*', admin);
  router.openapi(
    createRoute({
      method: 'post',
      path: '/local',
      tags: ['directory'],
      summary: 'Register a local municipal unit (PPR, children and family department) below a municipality',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: localUnitBody } }, required: true } },
      responses: { 201: { description: 'registered', content: { 'application/json': { schema: detailSchema } } }, 422: { description: 'invalid' }, ...problemResponses },
    }),
    async (c) => {
      const sor = await registerLocalUnit(deps.db, c.req.valid('json'), actorOf(c));
      await deps.changes.publish('directory');
      c.header('Location', `/v1/organisations/${sor}`);
      return c.json((await getOrganisation(deps.db, sor)) as NonNullable<Awaited<ReturnType<typeof getOrganisation>>>, 201);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/local/{sor}/close',
      tags: ['directory'],
      summary: 'Close a local unit from a date',
      security: [{ bearer: [] }],
      request: { params: z.object({ sor: sorCodeSchema }), body: { content: { 'application/json': { schema: z.object({ validTo: isoDate }) } }, required: true } },
      responses: { 204: { description: 'closed' }, ...problemResponses },
    }),
    async (c) => {
      await closeLocalUnit(deps.db, c.req.valid('param').sor, c.req.valid('json').validTo, actorOf(c));
      await deps.changes.publish('directory');
      return c.body(null, 204);
    },
  );
  return router;
}
