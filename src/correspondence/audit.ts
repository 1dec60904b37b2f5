import type { AuditRecord } from '../audit/audit-record.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { auditOrFail as failClosed } from '../audit/fail-closed.js';

/** Writes an audit record (group commit) or fails the operation closed (src/audit/fail-closed.ts). */
export const auditOrFail = (audit: AuditWriter, record: AuditRecord): Promise<string> => failClosed('the operation', () => audit.write(record));
