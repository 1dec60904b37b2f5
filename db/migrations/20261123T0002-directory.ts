import { type Kysely, sql } from 'kysely';

/**
 * The organisation directory (SOR plus local municipal units) with its history, the SOR import
 * log, and the change counters every instance polls to keep in-memory caches in step.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);

  await db.schema
    .createTable('change_version')
    .addColumn('topic', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into change_version (topic) values ('directory'), ('agreements')`.execute(db);

  await db.schema
    .createTable('sor_import')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('snapshot_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('entities', 'integer', (c) => c.notNull())
    .addColumn('added', 'integer', (c) => c.notNull())
    .addColumn('changed', 'integer', (c) => c.notNull())
    .addColumn('closed', 'integer', (c) => c.notNull())
    .addColumn('unchanged', 'integer', (c) => c.notNull())
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .execute();

  // The current state of each organisation: one row per SOR code, also after it was closed.
  await db.schema
    .createTable('organisation')
    .addColumn('sor', 'text', (c) => c.primaryKey())
    .addColumn('parent_sor', 'text')
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('unit_type', 'text')
    .addColumn('owner_type', 'text')
    .addColumn('region_code', 'text')
    .addColumn('municipality_code', 'text')
    .addColumn('ydernummer', 'text')
    .addColumn('shak_code', 'text')
    .addColumn('own_eans', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('valid_from', 'date', (c) => c.notNull())
    .addColumn('valid_to', 'date')
    .addColumn('local', 'boolean', (c) => c.notNull().defaultTo(false))
    /** Ancestor path, root first: `/owner/institution/unit/`, for subtree filters. */
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    /** When the organisation disappeared from the SOR snapshot (or a local unit was closed). */
    .addColumn('removed_at', 'timestamptz')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index organisation_name_trgm on organisation using gin (lower(name) gin_trgm_ops)`.execute(db);
  await sql`create index organisation_path on organisation (path text_pattern_ops)`.execute(db);
  await sql`create index organisation_name_sort on organisation (lower(name), sor)`.execute(db);
  await sql`create index organisation_eans on organisation using gin (own_eans)`.execute(db);
  await db.schema.createIndex('organisation_ydernummer').on('organisation').column('ydernummer').execute();
  await db.schema.createIndex('organisation_parent').on('organisation').column('parent_sor').execute();
  await db.schema.createIndex('organisation_region').on('organisation').columns(['region_code', 'unit_type']).execute();
  await db.schema.createIndex('organisation_municipality').on('organisation').columns(['municipality_code', 'unit_type']).execute();

  // Every state an organisation has had, with the period in which the broker held it to be so
  // (recorded_from inclusive, recorded_to exclusive), so audits resolve names as they were.
  await db.schema
    .createTable('organisation_version')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('sor', 'text', (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('recorded_from', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_to', 'timestamptz')
    .addColumn('import_id', 'bigint', (c) => c.references('sor_import.id'))
    .addColumn('changed_by', 'text')
    .addColumn('record', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('organisation_version_sor').on('organisation_version').columns(['sor', 'recorded_from']).execute();

  await sql`create sequence local_unit_seq start 1`.execute(db);
}
