import { type Kysely, sql } from 'kysely';

/**
 * Citizens' blocks (spærringer): who may not receive a child's health data through the broker.
 * A block is withdrawn, never deleted, so the audit trail and the citizen's own list agree.
 * The lookup reads the blocks of one child per lookup (index on the CPR, live blocks only).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('citizen_block')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('patient_cpr', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text', (c) => c.notNull().check(sql`target_kind in ('organisation', 'professional')`))
    .addColumn('target_sor', 'text')
    .addColumn('target_issuer', 'text')
    .addColumn('target_subject', 'text')
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    /** 'self' or 'custody-holder': who set the block, in the citizen scope's words. */
    .addColumn('created_as', 'text', (c) => c.notNull())
    .addColumn('withdrawn_at', 'timestamptz')
    .addCheckConstraint(
      'citizen_block_target',
      sql`(target_kind = 'organisation' and target_sor is not null and target_issuer is null and target_subject is null)
        or (target_kind = 'professional' and target_sor is null and target_issuer is not null and target_subject is not null)`,
    )
    .execute();
  await sql`create index citizen_block_live on citizen_block (patient_cpr) where withdrawn_at is null`.execute(db);
}
