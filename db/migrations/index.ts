import type { Migration } from 'kysely';
import * as m20261123_0001 from './20261123T0001-identity.js';
import * as m20261123_0002 from './20261123T0002-directory.js';
import * as m20261123_0003 from './20261123T0003-agreements.js';
import * as m20261123_0004 from './20261123T0004-audit.js';
import * as m20261123_0005 from './20261123T0005-correspondence.js';
import * as m20261123_0006 from './20261123T0006-directory-indexes.js';
import * as m20261202_0201 from './20261202T0201-redact-sor-import-sources.js';
import * as m20261202_0701 from './20261202T0701-job-run.js';
import * as m20261202_0901 from './20261202T0901-audit-append-only.js';
import * as m20261202_1101 from './20261202T1101-anomaly-flag.js';
import * as m20261203_0101 from './20261203T0101-correspondence-oioxml-letter.js';
import * as m20261203_0201 from './20261203T0201-audit-search-columns.js';
import * as m20261203_0301 from './20261203T0301-audit-partitions.js';
import * as m20261203_0302 from './20261203T0302-audit-ensure-month.js';
import * as m20261203_0401 from './20261203T0401-citizen-log.js';
import * as m20261203_0501 from './20261203T0501-citizen-block.js';
import * as m20261203_0601 from './20261203T0601-console-session.js';

/** Every migration, in order. Add new ones at the end; never edit an applied one. */
export const migrations: Record<string, Migration> = {
  '20261123T0001-identity': m20261123_0001,
  '20261123T0002-directory': m20261123_0002,
  '20261123T0003-agreements': m20261123_0003,
  '20261123T0004-audit': m20261123_0004,
  '20261123T0005-correspondence': m20261123_0005,
  '20261123T0006-directory-indexes': m20261123_0006,
  '20261202T0201-redact-sor-import-sources': m20261202_0201,
  '20261202T0701-job-run': m20261202_0701,
  '20261202T0901-audit-append-only': m20261202_0901,
  '20261202T1101-anomaly-flag': m20261202_1101,
  '20261203T0101-correspondence-oioxml-letter': m20261203_0101,
  '20261203T0201-audit-search-columns': m20261203_0201,
  '20261203T0301-audit-partitions': m20261203_0301,
  '20261203T0302-audit-ensure-month': m20261203_0302,
  '20261203T0401-citizen-log': m20261203_0401,
  '20261203T0501-citizen-block': m20261203_0501,
  '20261203T0601-console-session': m20261203_0601,
};
