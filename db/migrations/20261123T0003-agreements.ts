import { type Kysely, sql } from 'kysely';

/**
 * Sharing agreements: one row per agreement (its summary and optimistic-lock counter), one row per
 * version (full terms as jsonb plus the columns the overview filters on), and an append-only
 * change log with who, when and the state before and after.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agreement')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    /** Status of the listed version: the version in force, else the latest. */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('listed_version', 'integer', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    /** Incremented by every change; the ETag. */
    .addColumn('row_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('agreement_version')
    .addColumn('agreement_id', 'uuid', (c) => c.notNull().references('agreement.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amends', 'integer')
    .addColumn('terms', 'jsonb', (c) => c.notNull())
    .addColumn('approvals', 'jsonb', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('legal_basis_code', 'text', (c) => c.notNull())
    .addColumn('legal_reference', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz')
    .addColumn('data_elements', sql`text[]`, (c) => c.notNull())
    .addColumn('purposes', sql`text[]`, (c) => c.notNull())
    /** SOR codes of unit selectors, of subtree roots, and `type|r:region` / `type|m:kommune` keys. */
    .addColumn('unit_sors', sql`text[]`, (c) => c.notNull())
    .addColumn('subtree_sors', sql`text[]`, (c) => c.notNull())
    .addColumn('unit_type_keys', sql`text[]`, (c) => c.notNull())
    /** Every SOR code the version names, approving organisations included. */
    .addColumn('all_sors', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('agreement_version_pk', ['agreement_id', 'version'])
    .execute();
  await db.schema.createIndex('agreement_version_status').on('agreement_version').columns(['status', 'valid_to']).execute();
  await sql`create index agreement_version_unit_sors on agreement_version using gin (unit_sors)`.execute(db);
  await sql`create index agreement_version_subtree_sors on agreement_version using gin (subtree_sors)`.execute(db);
  await sql`create index agreement_version_unit_type_keys on agreement_version using gin (unit_type_keys)`.execute(db);
  await sql`create index agreement_version_title_trgm on agreement_version using gin (lower(title) gin_trgm_ops)`.execute(db);

  await db.schema
    .createTable('agreement_change')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('agreement_id', 'uuid', (c) => c.notNull().references('agreement.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    /** Who: the token's issuer and subject and the organisation acted for; `system` for expiry. */
    .addColumn('actor_issuer', 'text', (c) => c.notNull())
    .addColumn('actor_subject', 'text', (c) => c.notNull())
    .addColumn('actor_organisation', 'text')
    .addColumn('request_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agreement_change_agreement').on('agreement_change').columns(['agreement_id', 'id']).execute();
}
