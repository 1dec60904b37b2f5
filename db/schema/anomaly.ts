import type { ColumnType, Generated } from 'kysely';

export type AnomalyStatus = 'open' | 'justified' | 'unjustified' | 'needs-follow-up';

export interface AnomalyFlagTable {
  id: string;
  seq: Generated<string>;
  rule: string;
  dedupe_key: string;
  subject_issuer: string | null;
  subject_user: string | null;
  subject_name: string | null;
  organisation_sor: string;
  period_start: ColumnType<Date, Date, never>;
  period_end: ColumnType<Date, Date, never>;
  audit_event_ids: ColumnType<string[], string[], never>;
  explanation: string;
  flagged_at: ColumnType<Date, Date, never>;
  status: AnomalyStatus;
  decision_comment: string | null;
  decided_by: string | null;
  decided_at: ColumnType<Date | null, never, Date>;
}
