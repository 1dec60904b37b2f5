/**
 * One audit record as exported: the columns of audit_event (the hashes left out: `broker audit
 * verify` checks those), in the shape every export format starts from.
 */
import type { Selectable } from 'kysely';
import type { AuditEventTable } from '../../../db/schema/audit.js';

export interface ExportRecord {
  readonly seq: string;
  readonly id: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly kind: string;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly actor: {
    readonly issuer: string | null;
    readonly subject: string | null;
    readonly name: string | null;
    readonly role: string | null;
    readonly organisation: string | null;
    readonly assurance: string | null;
    readonly callingSystem: string | null;
  };
  readonly purpose: string | null;
  readonly reason: string | null;
  readonly patientCpr: string | null;
  readonly details: Record<string, unknown>;
}

export function exportRecordFromRow(row: Selectable<AuditEventTable>): ExportRecord {
  return {
    seq: String(row.seq),
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    kind: row.kind,
    outcome: row.outcome,
    requestId: row.request_id,
    actor: {
      issuer: row.actor_issuer,
      subject: row.actor_subject,
      name: row.actor_name,
      role: row.actor_role,
      organisation: row.actor_organisation,
      assurance: row.actor_assurance,
      callingSystem: row.calling_system,
    },
    purpose: row.purpose,
    reason: row.reason,
    patientCpr: row.patient_cpr,
    details: row.details,
  };
}
