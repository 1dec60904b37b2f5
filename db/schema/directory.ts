import type { ColumnType, Generated } from 'kysely';

/** A `date` column: read as an ISO date string (see db/connection.ts), written as a string. */
export type DateColumn = ColumnType<string, string, string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb: read parsed, written as JSON text. */
export type Json<T> = ColumnType<T, string, string>;

export interface ChangeVersionTable {
  topic: string;
  version: ColumnType<string, never, never>;
}

export interface SorImportTable {
  id: Generated<string>;
  source: string;
  sha256: string;
  snapshot_at: Timestamp;
  started_at: Timestamp;
  finished_at: Timestamp;
  entities: number;
  added: number;
  changed: number;
  closed: number;
  unchanged: number;
  imported_by: string;
}

export interface OrganisationTable {
  sor: string;
  parent_sor: string | null;
  level: string;
  name: string;
  unit_type: string | null;
  owner_type: string | null;
  region_code: string | null;
  municipality_code: string | null;
  ydernummer: string | null;
  shak_code: string | null;
  own_eans: ColumnType<string[], string[], string[]>;
  valid_from: DateColumn;
  valid_to: DateColumn | null;
  local: Generated<boolean>;
  path: string;
  details: Json<OrganisationDetails>;
  content_hash: string;
  removed_at: Timestamp | null;
  recorded_at: Timestamp;
}

/** Contact and register data that is shown but not filtered on. */
export interface OrganisationDetails {
  addresses: Array<{ kind: string; street: string | null; postalCode: string | null; district: string | null; municipalityCode: string | null; countryCode: string | null }>;
  phones: string[];
  emails: string[];
  websites: string[];
  specialities: string[];
  replacedBy: string[];
  eans: Array<{ ean: string; systemSupplier: string | null; ediAdministrator: string | null; onlyInternal: boolean | null; nonActive: boolean | null; validFrom: string | null; validTo: string | null }>;
  /** Local units: KOMBIT organisation UUID. */
  kombitOrganisationUuid?: string | null;
}

export interface OrganisationVersionTable {
  id: Generated<string>;
  sor: string;
  change: 'added' | 'changed' | 'removed' | 'reinstated';
  recorded_from: Timestamp;
  recorded_to: Timestamp | null;
  import_id: string | null;
  changed_by: string | null;
  record: Json<Record<string, unknown>>;
}
