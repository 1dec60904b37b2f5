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
  /** 1: records written before recorded_at was hashed; 2: every column but the hashes is hashed. */
  hash_scheme: ColumnType<number, number | undefined, never>;
  /** Search columns (20261203T0201), derived from `details` at write time; verified, not hashed. */
  concerned_organisations: ColumnType<string[], string[] | undefined, never>;
  source_ids: ColumnType<string[], string[] | undefined, never>;
  counterpart_sor: ColumnType<string | null, string | null | undefined, never>;
}

export interface AuditCheckpointTable {
  seq: string;
  hash: string;
  signed_at: ColumnType<Date, Date, never>;
  key_id: string;
  /** Compact JWS (ES256) over { seq, hash, signedAt }. */
  jws: string;
}

export interface AuditChainHeadTable {
  id: number;
  seq: string;
  hash: string;
}
