/**
 * CSV export of audit records (RFC 4180, CRLF), one row per record; the details as compact JSON in
 * the last column. Cells a spreadsheet would run as a formula are defused (agreements/csv.ts).
 */
import { csvCell } from '../../agreements/csv.js';
import type { ExportRecord } from './record.js';

export const AUDIT_CSV_HEADER = [
  'seq', 'id', 'occurred_at', 'recorded_at', 'kind', 'outcome', 'request_id', 'actor_issuer', 'actor_subject', 'actor_name',
  'actor_role', 'actor_organisation', 'actor_assurance', 'calling_system', 'purpose', 'reason', 'patient_cpr', 'details',
] as const;

export const auditCsvHeaderLine = (): string => `${AUDIT_CSV_HEADER.join(',')}\r\n`;

export function auditCsvLine(r: ExportRecord): string {
  const a = r.actor;
  const cells = [
    r.seq, r.id, r.occurredAt, r.recordedAt, r.kind, r.outcome, r.requestId, a.issuer, a.subject, a.name,
    a.role, a.organisation, a.assurance, a.callingSystem, r.purpose, r.reason, r.patientCpr, JSON.stringify(r.details),
  ];
  return `${cells.map((c) => csvCell(c ?? '')).join(',')}\r\n`;
}
