import { type Kysely, sql } from 'kysely';

/** Token ids seen, so that a token cannot be replayed within its lifetime (also across instances). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('token_use')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('token_use_pk', ['issuer', 'jti'])
    .execute();
  await db.schema.createIndex('token_use_expires_idx').on('token_use').column('expires_at').execute();
}
