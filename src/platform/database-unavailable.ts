/**
 * The one place that says which failures mean "the database cannot be reached or did not answer
 * in time", and the one problem they become: 503 `database-unavailable` with Retry-After. The
 * caller learns that it may retry, nothing about the database.
 */
import { ProblemError } from '../http/problem.js';

export const DATABASE_RETRY_AFTER_SECONDS = 5;

// Socket-level failures towards the database.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

// SQLSTATEs: query_canceled (statement_timeout), lock_not_available (lock_timeout),
// idle_in_transaction_session_timeout, too_many_connections, and the server shutting down or not
// yet accepting. Class 08 (connection exception) is matched by prefix.
const UNAVAILABLE_SQLSTATES = new Set(['57014', '55P03', '25P03', '53300', '57P01', '57P02', '57P03']);

// Errors node-postgres raises itself, which carry no code: the pool's and client's connection
// timeouts, the client-side query timeout, a connection that ended under a query.
const PG_CLIENT_MESSAGES = [
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ProblemError) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08...$/.test(code))) return true;
    if (PG_CLIENT_MESSAGES.some((m) => m.test(e.message))) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}

export function databaseUnavailable(detail = 'the database did not answer in time; try again shortly', cause?: unknown): ProblemError {
  return new ProblemError(503, 'database-unavailable', 'Database unavailable', {
    detail,
    headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    ...(cause === undefined ? {} : { cause }),
  });
}
