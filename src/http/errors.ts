/**
 * One place that turns every failure into an RFC 9457 problem+json response.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/database-unavailable.js';
import { GroupCommitOverloadedError } from '../platform/group-commit.js';
import { ProblemError } from './problem.js';
import type { AppEnv } from './types.js';

export function problemResponse(c: Context<AppEnv>, problem: ProblemError): Response {
  const body = problem.toBody(c.get('requestId') ? `urn:request:${c.get('requestId')}` : undefined);
  // A header value with CR, LF or NUL would fail the whole response: such a header is left out.
  for (const [name, value] of Object.entries(problem.headers)) if (!/[\r\n\0]/.test(value)) c.header(name, value);
  c.header('Content-Type', 'application/problem+json');
  c.header('Cache-Control', 'no-store');
  return c.body(JSON.stringify(body), problem.status as ContentfulStatusCode);
}

export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof GroupCommitOverloadedError) {
    return new ProblemError(503, 'overloaded', 'Overloaded', {
      detail: 'the broker has more requests waiting to be recorded than it accepts; try again shortly',
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
    });
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) {
      return new ProblemError(413, 'body-too-large', 'Request body too large', { detail: 'the request body exceeds the size limit' });
    }
    if (error.status === 400 && /malformed json/i.test(error.message)) {
      return new ProblemError(400, 'malformed-json', 'Malformed JSON', { detail: 'the request body is not valid JSON' });
    }
    return new ProblemError(error.status, 'http-error', error.message || 'Request failed');
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable(undefined, error);
  return new ProblemError(500, 'internal-error', 'Internal error', { detail: 'the broker could not complete the request', cause: error });
}

export function onError(error: Error, c: Context<AppEnv>): Response {
  const problem = toProblem(error);
  if (problem.status >= 500) {
    c.get('logger')?.error({ err: problem.cause ?? error, requestId: c.get('requestId') }, 'request failed');
  }
  return problemResponse(c, problem);
}

export function onNotFound(c: Context<AppEnv>): Response {
  return problemResponse(c, new ProblemError(404, 'not-found', 'Not found', { detail: 'no such resource' }));
}
