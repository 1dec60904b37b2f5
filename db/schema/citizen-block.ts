import type { ColumnType } from 'kysely';

export interface CitizenBlockTable {
  id: string;
  patient_cpr: string;
  target_kind: 'organisation' | 'professional';
  target_sor: string | null;
  target_issuer: string | null;
  target_subject: string | null;
  valid_from: ColumnType<Date, Date, never>;
  valid_to: ColumnType<Date | null, Date | null, never>;
  reason: string | null;
  created_at: ColumnType<Date, Date, never>;
  created_as: string;
  withdrawn_at: ColumnType<Date | null, never, Date>;
}
