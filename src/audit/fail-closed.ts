/**
 * What is not audited does not happen: the one answer every capability gives when its audit
 * record cannot be written. A full write queue stays 503 `overloaded` with Retry-After (the
 * caller should back off, nothing is wrong); anything else becomes 503 `audit-unavailable`, and
 * the operation's result (data, search hits, a stored message) is not given out.
 */
import { ProblemError } from '../http/problem.js';
import { GroupCommitOverloadedError } from '../platform/group-commit.js';

export const AUDIT_RETRY_AFTER_SECONDS = 5;

export function auditUnavailable(what: string, cause: unknown): ProblemError {
  return new ProblemError(503, 'audit-unavailable', 'Audit unavailable', {
    detail: `${what} could not be audited, so it was refused; try again shortly`,
    headers: { 'Retry-After': String(AUDIT_RETRY_AFTER_SECONDS) },
    cause,
  });
}

/** The problem to throw for a failed audit write: passes overload and problems through. */
export function auditFailure(what: string, error: unknown): Error {
  if (error instanceof GroupCommitOverloadedError || error instanceof ProblemError) return error;
  return auditUnavailable(what, error);
}

/**
 * Runs an audit write; if it fails, throws the one fail-closed problem. `onFailure` is told first
 * (the caller's log line, its latency bookkeeping).
 */
export async function auditOrFail<T>(what: string, write: () => Promise<T>, onFailure?: (error: unknown) => void): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof GroupCommitOverloadedError)) onFailure?.(error);
    throw auditFailure(what, error);
  }
}
