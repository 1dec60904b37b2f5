/**
 * One audit record as the broker reads it back: the columns of audit_event in the broker's words,
 * the hashes left out (`broker audit verify` checks those). The auditors' search projects it and
 * the exports format it; both start from this one shape.
 */
import type { Selectable } from 'kysely';
import type { AuditEventTable } from '../../db/schema/audit.js';

export interface AuditRecordView {
  readonly id: string;
  readonly seq: string;
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

export function auditRecordFromRow(r: Selectable<AuditEventTable>): AuditRecordView {
  return {
    id: r.id,
    seq: String(r.seq),
    occurredAt: r.occurred_at.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    kind: r.kind,
    outcome: r.outcome,
    requestId: r.request_id,
    actor: {
      issuer: r.actor_issuer,
      subject: r.actor_subject,
      name: r.actor_name,
      role: r.actor_role,
      organisation: r.actor_organisation,
      assurance: r.actor_assurance,
      callingSystem: r.calling_system,
    },
    purpose: r.purpose,
    reason: r.reason,
    patientCpr: r.patient_cpr,
    details: r.details,
  };
}
