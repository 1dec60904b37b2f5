import { type Kysely, sql } from 'kysely';

/**
 * The last run of each scheduled job, for operators (`broker jobs`, the metrics): one row per job,
 * updated when a run starts and when it ends. pg-boss keeps the jobs themselves; this keeps what
 * a run did, and when the job last succeeded, after pg-boss has archived and deleted its jobs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_run')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('summary', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('last_succeeded_at', 'timestamptz')
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
