import type { ChangeVersionTable, OrganisationTable, OrganisationVersionTable, SorImportTable } from './directory.js';
export type { OrganisationDetails } from './directory.js';
import type { AgreementChangeTable, AgreementTable, AgreementVersionTable } from './agreements.js';
import type { AuditChainHeadTable, AuditCheckpointTable, AuditEventTable } from './audit.js';
import type { TokenUseTable } from './token-use.js';
import type { CorrespondenceMessageTable } from './correspondence.js';
import type { JobRunTable } from './job-run.js';
import type { AnomalyFlagTable } from './anomaly.js';
import type { ConsoleLoginTable, ConsoleSessionTable } from './console.js';
import type { CitizenLogWithholdingTable, StaffNameProtectionTable } from './citizen.js';
import type { CitizenBlockTable } from './citizen-block.js';

/** The database as Kysely sees it: one entry per table, snake_case as in PostgreSQL. */
export interface Database {
  token_use: TokenUseTable;
  change_version: ChangeVersionTable;
  sor_import: SorImportTable;
  organisation: OrganisationTable;
  organisation_version: OrganisationVersionTable;
  agreement: AgreementTable;
  agreement_version: AgreementVersionTable;
  agreement_change: AgreementChangeTable;
  audit_event: AuditEventTable;
  audit_chain_head: AuditChainHeadTable;
  audit_checkpoint: AuditCheckpointTable;
  correspondence_message: CorrespondenceMessageTable;
  job_run: JobRunTable;
  anomaly_flag: AnomalyFlagTable;
  console_session: ConsoleSessionTable;
  console_login: ConsoleLoginTable;
  citizen_log_withholding: CitizenLogWithholdingTable;
  staff_name_protection: StaffNameProtectionTable;
  citizen_block: CitizenBlockTable;
}
