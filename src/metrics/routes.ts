/**
 * `GET /metrics`: the Prometheus exposition of this process's registry, for a scraper holding
 * METRICS_TOKEN as a bearer token. Without a configured token the route does not exist (deny by
 * default: the metrics tell an outsider the broker's traffic, sources and partners).
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { ProblemError } from '../http/problem.js';
import type { AppEnv } from '../http/types.js';

export function metricsRoutes(deps: { registry: Registry; token: string }) {
  const expected = Buffer.from(deps.token, 'utf8');
  const router = new Hono<AppEnv>();
  router.get('/metrics', async (c) => {
    const match = /^Bearer\s+(\S+)\s*$/.exec(c.req.header('Authorization') ?? '');
    const given = Buffer.from(match?.[1] ?? '', 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ProblemError(401, 'unauthenticated', 'Authentication required', {
        detail: 'send Authorization: Bearer <METRICS_TOKEN>',
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      });
    }
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.registry.contentType, 'Cache-Control': 'no-store' });
  });
  return router;
}
