/**
 * Composition of the HTTP surface: cross-cutting middleware, system routes, and every capability's
 * router under /v1. Services are passed in; nothing here opens connections or reads globals.
 */
import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema/index.js';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { onError, onNotFound } from './http/errors.js';
import { arrivalOf } from './http/arrival.js';
import { bodyTooLarge, cacheBody, checkJsonBody, declaredLength, nodeIncoming, readIncoming, refuseUnstorableUrl } from './http/node-body.js';
import { accessLog, authenticate } from './http/middleware.js';
import { createRouter } from './http/router.js';
import type { AppEnv } from './http/types.js';
import { identityRoutes } from './identity/routes.js';
import type { IdentityVerifier } from './identity/verify-token.js';
import { systemRoutes } from './system/routes.js';
import type { BrokerMetrics } from './metrics/metrics.js';
import { metricsRoutes } from './metrics/routes.js';

export interface Capability {
  /** Mount point below /v1, e.g. `/organisations`. */
  readonly path: string;
  readonly router: OpenAPIHono<AppEnv>;
  /** Larger body limit for this capability (attachments); defaults to the broker's limit. */
  readonly bodyLimitBytes?: number;
  /** The routes read the raw bytes and check the content themselves (MedCom messages): no JSON body check. */
  readonly rawBody?: boolean;
}

export interface AppDependencies {
  readonly logger: Logger;
  readonly db: Kysely<Database>;
  readonly verifyToken: IdentityVerifier;
  readonly bodyLimitBytes: number;
  readonly capabilities: readonly Capability[];
  readonly version?: string;
  /** Request metrics, and GET /metrics when a token is configured. */
  readonly metrics?: { readonly metrics: BrokerMetrics; readonly token: string | null };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(deps: AppDependencies): OpenAPIHono<AppEnv> {
  const app = createRouter();

  // A caller's X-Request-Id is honoured when it is a plain token, so it can be traced end to end;
  // anything else is replaced rather than copied into our logs.
  app.use('*', async (c, next) => {
    const given = c.req.header('X-Request-Id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.set('receivedAt', arrivalOf(nodeIncoming(c)) ?? performance.now());
    c.header('X-Request-Id', id);
    await next();
  });
  app.use('*', accessLog(deps.logger));
  const metrics = deps.metrics?.metrics;
  if (metrics) {
    // By route pattern (never the path itself: it may hold an id), from the request's arrival.
    app.use('*', async (c, next) => {
      await next();
      const route = c.res.status === 404 && (c.req.routePath === '*' || c.req.routePath === '/*') ? '(unmatched)' : c.req.routePath;
      metrics.httpRequest(c.req.method, route, c.res.status, (performance.now() - c.get('receivedAt')) / 1000);
    });
  }
  // The API answers data, never pages: nothing may load or frame it. The API reference page is the
  // one exception and loads its own script and styles from this origin only.
  const headers = { referrerPolicy: 'no-referrer', crossOriginResourcePolicy: 'same-origin' } as const;
  const apiHeaders = secureHeaders({ ...headers, contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } });
  const docsHeaders = secureHeaders({
    ...headers,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
    },
  });
  app.use('*', (c, next) => (c.req.path === '/docs' || c.req.path.startsWith('/docs/') ? docsHeaders : apiHeaders)(c, next));
  app.use('/v1/*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    await next();
  });

  // Each capability may raise its own body limit (attachments); everything else gets the default.
  // A declared Content-Length over the limit is refused before authentication; the body itself is
  // read after it, so that an unauthenticated caller cannot make the broker read megabytes.
  const tooLarge = (): never => {
    throw bodyTooLarge();
  };
  const limits = deps.capabilities.map((cap) => {
    const maxBytes = cap.bodyLimitBytes ?? deps.bodyLimitBytes;
    return { prefix: `/v1${cap.path}`, maxBytes, rawBody: cap.rawBody ?? false, honoLimit: bodyLimit({ maxSize: maxBytes, onError: tooLarge }) };
  });
  const defaultLimit = { maxBytes: deps.bodyLimitBytes, rawBody: false, honoLimit: bodyLimit({ maxSize: deps.bodyLimitBytes, onError: tooLarge }) };
  const limitFor = (requestPath: string) => limits.find((l) => requestPath === l.prefix || requestPath.startsWith(`${l.prefix}/`)) ?? defaultLimit;
  app.use('/v1/*', (c, next) => {
    const limit = limitFor(c.req.path);
    const incoming = nodeIncoming(c);
    if (!incoming) return limit.honoLimit(c, next);
    if ((declaredLength(incoming) ?? 0) > limit.maxBytes) throw bodyTooLarge();
    return next();
  });
  app.use('/v1/*', authenticate(deps.verifyToken));
  app.use('/v1/*', async (c, next) => {
    refuseUnstorableUrl(c.req.url);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const limit = limitFor(c.req.path);
      const incoming = nodeIncoming(c);
      if (incoming) cacheBody(c, await readIncoming(incoming, limit.maxBytes));
      if (!limit.rawBody) await checkJsonBody(c);
    }
    await next();
  });

  app.route('/', systemRoutes({ db: deps.db }));
  if (deps.metrics?.token) app.route('/', metricsRoutes({ registry: deps.metrics.metrics.registry, token: deps.metrics.token }));
  app.route('/v1', identityRoutes());
  for (const cap of deps.capabilities) app.route(`/v1${cap.path}`, cap.router);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT from a trusted issuer with the claims acting_org, role, nsis_loa and purpose_of_use.',
  });
  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Child data broker',
      version: deps.version ?? '0.1.0',
      description:
        'Cross-agency data sharing for vulnerable children in Denmark: federated case lookups, MedCom correspondence, ' +
        'sharing agreements over the SOR organisation register, and a complete access audit. Errors are RFC 9457 problem+json.',
    },
  } as const;
  // Built once, on the first request: the routes do not change after start, and building the
  // document costs tens of milliseconds of CPU, which anyone could otherwise demand per request.
  let openapi: string | undefined;
  app.get('/openapi.json', (c) => {
    openapi ??= JSON.stringify(app.getOpenAPI31Document(documentConfig));
    return c.body(openapi, 200, { 'Content-Type': 'application/json' });
  });

  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
