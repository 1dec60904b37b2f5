/**
 * Test databases. Every database-touching test file runs against embedded PGlite, and also against
 * the PostgreSQL server in TEST_DATABASE_URL when it is set. Each call makes a database of its
 * own (a fresh PGlite instance, or a fresh database on the server), so files run in parallel.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../db/connection.js';
import { migrateToLatest } from '../../db/migrate.js';

export type DatabaseKind = 'pglite' | 'postgres';

export const databaseKinds = (): DatabaseKind[] => (process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']);

export async function createTestDatabase(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (kind === 'pglite') {
    handle = await openDatabase({ kind: 'embedded', dataDir: null });
  } else {
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
    const name = `broker_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const inner = await openDatabase({ kind: 'server', url: url.toString(), poolSize: 10 });
    handle = {
      ...inner,
      async close() {
        await inner.close();
        const dropper = new pg.Client({ connectionString: serverUrl });
        await dropper.connect();
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return handle;
}
