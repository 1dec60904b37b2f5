import { type Kysely, sql } from 'kysely';

/**
 * The citizen's side of the audit log.
 * - `citizen_log_withholding`: a caseworker's mark that keeps one access out of the citizen log
 *   (custody-holders' and the child's own view) until `withheld_until`, with its reason; the
 *   auditors' review is kept on the row (and, like the mark, written to the audit chain).
 * - `staff_name_protection`: organisations whose staff names the citizen log leaves out (set by
 *   the organisation's agreement-admin; applies to its SOR subtree).
 * The log itself reads audit_event by (patient_cpr, occurred_at), already indexed (audit_event_patient).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('citizen_log_withholding')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('audit_event_id', 'uuid', (c) => c.notNull())
    .addColumn('patient_cpr', 'text', (c) => c.notNull())
    .addColumn('organisation_sor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('withheld_from', 'timestamptz', (c) => c.notNull())
    .addColumn('withheld_until', 'timestamptz', (c) => c.notNull())
    .addColumn('marked_by_issuer', 'text', (c) => c.notNull())
    .addColumn('marked_by_subject', 'text', (c) => c.notNull())
    .addColumn('marked_by_name', 'text')
    .addColumn('marked_by_organisation', 'text', (c) => c.notNull())
    .addColumn('review_status', 'text', (c) => c.notNull().defaultTo('open').check(sql`review_status in ('open', 'upheld', 'lifted')`))
    .addColumn('review_comment', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_by_organisation', 'text')
    .addColumn('reviewed_at', 'timestamptz')
    .addCheckConstraint('citizen_log_withholding_period', sql`withheld_until > withheld_from`)
    .execute();
  await db.schema.createIndex('citizen_log_withholding_event').on('citizen_log_withholding').column('audit_event_id').execute();
  await db.schema.createIndex('citizen_log_withholding_patient').on('citizen_log_withholding').columns(['patient_cpr', 'withheld_until']).execute();
  await db.schema.createIndex('citizen_log_withholding_org').on('citizen_log_withholding').columns(['organisation_sor', 'seq']).execute();

  await db.schema
    .createTable('staff_name_protection')
    .addColumn('organisation_sor', 'text', (c) => c.primaryKey())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('staff_name_protection').execute();
  await db.schema.dropTable('citizen_log_withholding').execute();
}
