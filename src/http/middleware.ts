/**
 * Cross-cutting HTTP middleware: request ids, access logs, authentication and role checks.
 */
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import type { Role } from '../identity/caller.js';
import { type IdentityVerifier, citizenOnStaffRoute } from '../identity/verify-token.js';
import { ProblemError } from './problem.js';
import type { AppEnv } from './types.js';

/** One access log line per request: never a body, a query string, a token or a CPR number. */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    c.set('logger', logger.child({ requestId: c.get('requestId') }));
    await next();
    const caller = c.var.caller;
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(caller ? { organisation: caller.organisationSor, role: caller.role, issuer: caller.issuer } : {}),
      },
      'request',
    );
  });
}

/** The citizen routes: only citizen tokens here, and citizen tokens nowhere else. */
export const CITIZEN_ROUTES = '/v1/citizen/';

export const isCitizenRoute = (path: string): boolean => path.startsWith(CITIZEN_ROUTES);

/**
 * Requires a valid bearer token; sets `caller` (staff) or, on the citizen routes, `citizen`. A
 * citizen token never reaches a staff route and a staff token never a citizen route, so no
 * handler has to tell the two apart.
 */
export function authenticate(verifyToken: IdentityVerifier): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    const match = header ? /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/.exec(header) : null;
    if (!match?.[1]) {
      throw new ProblemError(401, 'unauthenticated', 'Authentication required', {
        detail: 'send Authorization: Bearer <JWT> from a trusted issuer',
        headers: { 'WWW-Authenticate': 'Bearer realm="broker"' },
      });
    }
    const identity = await verifyToken(match[1]);
    if (isCitizenRoute(c.req.path)) {
      if (identity.kind !== 'citizen') {
        throw new ProblemError(403, 'forbidden-role', 'Role not allowed', { detail: 'the citizen routes need a citizen token' });
      }
      c.set('citizen', identity.citizen);
    } else {
      if (identity.kind !== 'staff') throw citizenOnStaffRoute();
      c.set('caller', identity.caller);
    }
    await next();
  });
}

/** Deny by default: only the listed roles pass. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get('caller');
    if (!roles.includes(caller.role)) {
      throw new ProblemError(403, 'forbidden-role', 'Role not allowed', {
        detail: `this operation needs one of the roles: ${roles.join(', ')}`,
      });
    }
    await next();
  });
}
