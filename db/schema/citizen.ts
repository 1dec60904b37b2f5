import type { ColumnType, Generated } from 'kysely';

export type WithholdingReviewStatus = 'open' | 'upheld' | 'lifted';

export interface CitizenLogWithholdingTable {
  id: string;
  seq: Generated<string>;
  audit_event_id: string;
  patient_cpr: string;
  organisation_sor: string;
  reason: string;
  withheld_from: ColumnType<Date, Date, never>;
  withheld_until: ColumnType<Date, Date, Date>;
  marked_by_issuer: string;
  marked_by_subject: string;
  marked_by_name: string | null;
  marked_by_organisation: string;
  review_status: ColumnType<WithholdingReviewStatus, WithholdingReviewStatus | undefined, WithholdingReviewStatus>;
  review_comment: string | null;
  reviewed_by: string | null;
  reviewed_by_organisation: string | null;
  reviewed_at: ColumnType<Date | null, Date | null | undefined, Date>;
}

export interface StaffNameProtectionTable {
  organisation_sor: string;
  set_by: string;
  set_at: ColumnType<Date, Date, Date>;
}
