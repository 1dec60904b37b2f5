import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { ProblemError } from '../http/problem.js';
import { GroupCommitOverloadedError } from '../platform/group-commit.js';

/** Writes an audit record or fails the operation closed (503 audit-unavailable). */
export async function auditOrFail(audit: AuditWriter, event: AuditEventInput): Promise<void> {
  try {
    await audit.write(event);
  } catch (error) {
    if (error instanceof GroupCommitOverloadedError) throw error; // 503 overloaded, with Retry-After
    throw new ProblemError(503, 'audit-unavailable', 'Audit unavailable', {
      detail: 'the operation was not carried out because it could not be audited',
      headers: { 'Retry-After': '5' },
      cause: error,
    });
  }
}
