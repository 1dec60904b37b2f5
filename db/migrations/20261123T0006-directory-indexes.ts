import { type Kysely, sql } from 'kysely';

/**
 * The name-order index carries the columns a directory search filters on most (name, subtree
 * path, validity), so a search walks it without visiting the table: a name search whose matches
 * sit late in the alphabet reads the index alone instead of fetching tens of thousands of rows.
 * (Index-only scans need the visibility map, which the SOR import refreshes with VACUUM.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists organisation_name_sort`.execute(db);
  await sql`create index organisation_name_sort on organisation (lower(name), sor) include (name, path, valid_from, valid_to, removed_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists organisation_name_sort`.execute(db);
  await sql`create index organisation_name_sort on organisation (lower(name), sor)`.execute(db);
}
