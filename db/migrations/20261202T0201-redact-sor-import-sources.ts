import { type Kysely, sql } from 'kysely';

/**
 * Data fix: imports recorded before sources were redacted may name a URL with its credentials
 * (user:password@) or a query string holding a token. Keep scheme, host and path only, as the
 * broker now stores them (src/directory/source-location.ts). Not reversible, by intent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update sor_import
    set source = regexp_replace(source, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#]*@)?([^?#]*).*$', '\\1\\2')
    where source ~ '^[A-Za-z][A-Za-z0-9+.-]*://'`.execute(db);
}

export async function down(): Promise<void> {
  // The removed credentials are gone; nothing to restore.
}
