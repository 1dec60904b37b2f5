import { type Kysely, sql } from 'kysely';

/**
 * The OIOXML letter a message was received as or sent as: `[lokationsnummer]#[brevid]` (sender's
 * EAN and letter identifier). A reply to a received XDIS91 letter names it; an XCTL03 receipt for
 * a letter we sent finds its message by it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('correspondence_message').addColumn('oioxml_letter', 'text').execute();
  await sql`create unique index correspondence_out_oioxml_letter on correspondence_message (oioxml_letter) where direction = 'out' and oioxml_letter is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists correspondence_out_oioxml_letter`.execute(db);
  await db.schema.alterTable('correspondence_message').dropColumn('oioxml_letter').execute();
}
