import type { ColumnType } from 'kysely';

export interface AuditEventTable {
  seq: string;
  id: string;
  occurred_at: ColumnType<Date, Date, never>;
  recorded_at: ColumnType<Date, Date, never>;
  kind: string;
  outcome: string;
  request_id: string | null;
  actor_issuer: string | null;
  actor_subject: string | null;
  actor_name: string | null;
  actor_role: string | null;
  actor_organisation: string | null;
  actor_assurance: string | null;
  calling_system: string | null;
  purpose: string | null;
  reason: string | null;
  patient_cpr: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
  prev_hash: string;
  hash: string;
}

export interface AuditChainHeadTable {
  id: number;
  seq: string;
  hash: string;
}
