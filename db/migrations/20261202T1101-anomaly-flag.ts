import { type Kysely, sql } from 'kysely';

/**
 * The anomaly review list: what the anomaly rules flagged in the audit log, for an auditor to
 * decide on. `dedupe_key` (rule, subject, period) is unique, so a rerun over the same records
 * flags nothing twice. The decision itself is also written to the audit chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('anomaly_flag')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('subject_issuer', 'text')
    .addColumn('subject_user', 'text')
    .addColumn('subject_name', 'text')
    .addColumn('organisation_sor', 'text', (c) => c.notNull())
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('audit_event_ids', sql`uuid[]`, (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('flagged_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'justified', 'unjustified', 'needs-follow-up')`))
    .addColumn('decision_comment', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('anomaly_flag_org').on('anomaly_flag').columns(['organisation_sor', 'seq']).execute();
}
