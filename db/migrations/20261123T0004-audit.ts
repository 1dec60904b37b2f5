import { type Kysely, sql } from 'kysely';

/**
 * The access audit: one row per lookup, message or administrative change, chained by hash so
 * that an edited or deleted row is detectable. `seq` is the position in the chain; the single
 * `audit_chain_head` row holds the last hash and is locked while a batch is appended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_event')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'uuid', (c) => c.notNull().unique())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('actor_issuer', 'text')
    .addColumn('actor_subject', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('actor_organisation', 'text')
    .addColumn('actor_assurance', 'text')
    .addColumn('calling_system', 'text')
    .addColumn('purpose', 'text')
    .addColumn('reason', 'text')
    .addColumn('patient_cpr', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_event_patient').on('audit_event').columns(['patient_cpr', 'occurred_at']).execute();
  await db.schema.createIndex('audit_event_actor').on('audit_event').columns(['actor_organisation', 'occurred_at']).execute();
  await db.schema.createIndex('audit_event_time').on('audit_event').column('occurred_at').execute();
  await db.schema.createIndex('audit_event_request').on('audit_event').column('request_id').execute();

  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into audit_chain_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
}
