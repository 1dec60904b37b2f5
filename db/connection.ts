/**
 * Opens the broker's database: a PostgreSQL server when a URL is given, otherwise embedded
 * PostgreSQL (PGlite) persisted in a data directory and reached over the PostgreSQL wire
 * protocol on loopback, so that the same `pg` + Kysely code serves both modes.
 */
import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import type { Database } from './schema/index.js';

export { DatabaseInUseError } from './data-dir-lock.js';

// PostgreSQL returns int8/numeric as strings; bigint ids and counts we keep as strings on purpose
// (SOR codes exceed Number.MAX_SAFE_INTEGER). Dates (type 1082) stay ISO strings, not JS Dates
// shifted to the local timezone.
pg.types.setTypeParser(1082, (value: string) => value);

export type DatabaseTarget =
  | { kind: 'server'; url: string; poolSize?: number }
  | { kind: 'embedded'; dataDir: string | null /* null: in memory */ };

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  /** Connection string other clients (pg-boss, a second broker in tests) can use. */
  readonly url: string;
  readonly kind: DatabaseTarget['kind'];
  /** How many connections the pool may hold: 1 for PGlite, which is a single session. */
  readonly maxConnections: number;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === 'server') {
    const max = target.poolSize ?? 10;
    const pool = new pg.Pool({ connectionString: target.url, max });
    return wrap(pool, target.url, 'server', max, async () => undefined);
  }

  if (target.dataDir) await mkdir(target.dataDir, { recursive: true });
  const lock = target.dataDir ? await lockDataDir(target.dataDir) : null;
  const unlock = async () => lock?.release();
  // Loaded only when used: a broker on a PostgreSQL server never pays for the WASM database.
  try {
    const [{ PGlite }, { pg_trgm }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('@electric-sql/pglite-socket'),
    ]);
    const embedded = await PGlite.create(target.dataDir ?? undefined, { extensions: { pg_trgm } });
    // One connection only: PGlite is one session, and the socket server would interleave the
    // statements of concurrent connections inside each other's transactions.
    const server = new PGLiteSocketServer({ db: embedded, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    return wrap(pool, url, 'embedded', 1, async () => {
      await server.stop();
      await embedded.close();
      await unlock();
    });
  } catch (error) {
    await unlock();
    throw error;
  }
}

function wrap(
  pool: pg.Pool,
  url: string,
  kind: DatabaseTarget['kind'],
  maxConnections: number,
  closeBackend: () => Promise<void>,
): DatabaseHandle {
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    url,
    kind,
    maxConnections,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await closeBackend();
    },
  };
}
