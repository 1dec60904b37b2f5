import type { ColumnType } from 'kysely';
import type { Json, Timestamp } from './directory.js';

export type JobRunStatus = 'running' | 'succeeded' | 'failed';

export interface JobRunTable {
  name: string;
  job_id: string;
  status: JobRunStatus;
  started_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  summary: Json<Record<string, unknown>> | null;
  error: string | null;
  last_succeeded_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  runs: ColumnType<number, number | undefined, number>;
  failures: ColumnType<number, number | undefined, number>;
}
