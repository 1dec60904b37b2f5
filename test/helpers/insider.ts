/**
 * An insider with the schema owner's rights: the one who can switch the audit tables' triggers off.
 * Tests of tamper evidence play this person; the broker's runtime role cannot.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';

const AUDIT_TABLES = ['audit_event', 'audit_checkpoint', 'audit_chain_head'] as const;

/** Runs the statements with the audit tables' append-only triggers disabled, as the owner could. */
export async function asSchemaOwner(db: Kysely<Database>, statements: ReadonlyArray<RawBuilder<unknown>>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const t of AUDIT_TABLES) await sql`alter table ${sql.table(t)} disable trigger user`.execute(trx);
    for (const s of statements) await s.execute(trx);
    for (const t of AUDIT_TABLES) await sql`alter table ${sql.table(t)} enable trigger user`.execute(trx);
  });
}
