import { type Kysely, sql } from 'kysely';

/**
 * MedCom correspondence: one row per message as one organisation sees it (sent or received).
 * The partial unique indexes make a duplicate impossible: a receiver stores a MessageHeader.id or
 * a Bundle.id once; a sender owns each MessageHeader.id once. pg-boss keeps its own schema.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('correspondence_message')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    /** The owner: the sender for `out`, the receiver for `in`. */
    .addColumn('organisation_sor', 'text', (c) => c.notNull())
    .addColumn('organisation_ean', 'text', (c) => c.notNull())
    .addColumn('counterpart_sor', 'text', (c) => c.notNull())
    .addColumn('counterpart_ean', 'text', (c) => c.notNull())
    .addColumn('patient_cpr', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('topic', 'text')
    .addColumn('bundle_id', 'text', (c) => c.notNull())
    .addColumn('message_header_id', 'text', (c) => c.notNull())
    .addColumn('previous_message_header_id', 'text')
    .addColumn('episode_of_care_id', 'text')
    .addColumn('thread_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('bundle', 'jsonb', (c) => c.notNull())
    .addColumn('acknowledgement_sent', 'jsonb')
    .addColumn('acknowledgement_received', 'jsonb')
    .addColumn('acknowledgement_code', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('resends', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failure', 'text')
    .addColumn('read_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('request_id', 'text')
    .execute();
  await sql`create unique index correspondence_in_header on correspondence_message (organisation_sor, message_header_id) where direction = 'in'`.execute(db);
  await sql`create unique index correspondence_in_bundle on correspondence_message (organisation_sor, bundle_id) where direction = 'in'`.execute(db);
  await sql`create unique index correspondence_out_header on correspondence_message (message_header_id) where direction = 'out'`.execute(db);
  await db.schema.createIndex('correspondence_owner_time').on('correspondence_message').columns(['organisation_sor', 'created_at', 'id']).execute();
  await db.schema.createIndex('correspondence_owner_patient').on('correspondence_message').columns(['organisation_sor', 'patient_cpr']).execute();
  await db.schema.createIndex('correspondence_thread').on('correspondence_message').columns(['organisation_sor', 'thread_key']).execute();
  await db.schema.createIndex('correspondence_episode').on('correspondence_message').columns(['organisation_sor', 'episode_of_care_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('correspondence_message').execute();
}
