/**
 * Unauthenticated system routes: liveness, readiness, the OpenAPI document and the API reference.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createRoute, z } from '@hono/zod-openapi';
import { sql, type Kysely } from 'kysely';
import { pendingMigrations } from '../../db/migrate.js';
import { createRouter } from '../http/router.js';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    database: z.enum(['reachable', 'unreachable']),
    pendingMigrations: z.array(z.string()),
  })
  .openapi('Readiness');

/** A readiness probe answers within this, whatever the database does. */
export const READINESS_TIMEOUT_MS = 1500;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function systemRoutes<DB>(deps: { db: Kysely<DB>; readinessTimeoutMs?: number }) {
  const router = createRouter();

  router.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['system'],
      summary: 'Liveness: the process answers',
      responses: { 200: { description: 'alive', content: { 'application/json': { schema: healthSchema } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['system'],
      summary: 'Readiness: database reachable and every migration applied (answers within 1.5 s)',
      responses: {
        200: { description: 'ready', content: { 'application/json': { schema: readinessSchema } } },
        503: { description: 'not ready', content: { 'application/json': { schema: readinessSchema } } },
      },
    }),
    async (c) => {
      try {
        // A database that does not answer makes the broker not ready at once, not a hanging probe.
        const pending = await within(
          deps.readinessTimeoutMs ?? READINESS_TIMEOUT_MS,
          (async () => {
            await sql`select 1`.execute(deps.db);
            return pendingMigrations(deps.db);
          })(),
        );
        const ready = pending.length === 0;
        return c.json(
          { status: ready ? ('ready' as const) : ('not-ready' as const), database: 'reachable' as const, pendingMigrations: pending },
          ready ? 200 : 503,
        );
      } catch {
        return c.json({ status: 'not-ready' as const, database: 'unreachable' as const, pendingMigrations: [] }, 503);
      }
    },
  );

  // The API reference is served from the installed swagger-ui-dist, not a CDN: the broker runs in
  // closed networks, and a page should not load code from elsewhere.
  router.get('/docs', (c) => {
    return c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Child data broker API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="api-reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`);
  });
  router.get('/docs/init.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body("window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api-reference', deepLinking: true });\n");
  });
  router.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    if (!SWAGGER_ASSETS.has(file)) return c.notFound();
    const type = file.endsWith('.css') ? 'text/css' : file.endsWith('.png') ? 'image/png' : 'text/javascript';
    c.header('Content-Type', `${type}; charset=utf-8`);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(await readFile(path.join(swaggerDir, file)));
  });

  return router;
}
