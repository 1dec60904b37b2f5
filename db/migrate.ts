/**
 * Forward-only schema migrations. The list is static (no directory scan) so that it works the
 * same from TypeScript sources and from the compiled build.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function migrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
    migrationTableName: 'schema_migration',
    migrationLockTableName: 'schema_migration_lock',
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Applies pending migrations as the schema owner when `ownerUrl` is given (the service itself runs
 * as a role that may not alter the schema or the audit tables), otherwise over `db`.
 */
export async function migrateAs<DB>(db: Kysely<DB>, ownerUrl: string | null): Promise<string[]> {
  if (!ownerUrl) return migrateToLatest(db);
  const { openDatabase } = await import('./connection.js');
  const owner = await openDatabase({ kind: 'server', url: ownerUrl, poolSize: 1 });
  try {
    return await migrateToLatest(owner.db);
  } finally {
    await owner.close();
  }
}

/** Names of migrations known to the code but not applied to the database. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
