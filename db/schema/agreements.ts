import type { ColumnType } from 'kysely';
import type { Json, Timestamp } from './directory.js';

/** text[] columns: read and written as string arrays. */
type TextArray = ColumnType<string[], string[], string[]>;

export interface AgreementTable {
  id: string;
  status: string;
  listed_version: number;
  latest_version: number;
  row_version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AgreementVersionTable {
  agreement_id: string;
  version: number;
  status: string;
  amends: number | null;
  /** The version's AgreementTerms (see src/agreements/model.ts). */
  terms: Json<unknown>;
  /** The version's approvals. */
  approvals: Json<unknown>;
  title: string;
  legal_basis_code: string;
  legal_reference: string;
  valid_from: Timestamp;
  valid_to: Timestamp | null;
  data_elements: TextArray;
  purposes: TextArray;
  unit_sors: TextArray;
  subtree_sors: TextArray;
  unit_type_keys: TextArray;
  all_sors: TextArray;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AgreementChangeTable {
  id: ColumnType<string, never, never>;
  agreement_id: string;
  version: number;
  action: string;
  at: Timestamp;
  actor_issuer: string;
  actor_subject: string;
  actor_organisation: string | null;
  request_id: string | null;
  reason: string | null;
  before: Json<unknown> | null;
  after: Json<unknown>;
}
