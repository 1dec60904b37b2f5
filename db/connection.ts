/**
 * Opens the broker's database: a PostgreSQL server when a URL is given, otherwise embedded
 * PostgreSQL (PGlite) persisted in a data directory and reached over the PostgreSQL wire
 * protocol on loopback, so that the same `pg` + Kysely code serves both modes.
 */
import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import type { Database } from './schema/index.js';

export { DatabaseInUseError } from './data-dir-lock.js';

// PostgreSQL returns int8/numeric as strings; bigint ids and counts we keep as strings on purpose
// (SOR codes exceed Number.MAX_SAFE_INTEGER). Dates (type 1082) stay ISO strings, not JS Dates
// shifted to the local timezone.
pg.types.setTypeParser(1082, (value: string) => value);

/**
 * Timeouts towards a PostgreSQL server, so that a stuck lock or an unreachable server fails a
 * request instead of hanging it. 0 turns one off (batch commands).
 */
export interface DatabaseTimeouts {
  /** Opening a connection, or waiting for a free one in the pool. */
  readonly connectMs: number;
  /** The server cancels a statement running longer, lock waits included; the client gives up a second later. */
  readonly statementMs: number;
  /** The server ends a session left in an open transaction this long, releasing its locks. */
  readonly idleInTransactionMs: number;
}

/** The defaults of DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS. */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectMs: 3000, statementMs: 5000, idleInTransactionMs: 30_000 };

/** Client settings for a server connection with these timeouts (the pool's, and the change feed's listener). */
export function serverClientConfig(timeouts: DatabaseTimeouts): Omit<pg.ClientConfig, 'connectionString'> {
  return {
    keepAlive: true,
    ...(timeouts.connectMs > 0 ? { connectionTimeoutMillis: timeouts.connectMs } : {}),
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs + 1000 } : {}),
    ...(timeouts.idleInTransactionMs > 0 ? { idle_in_transaction_session_timeout: timeouts.idleInTransactionMs } : {}),
  };
}

export type DatabaseTarget =
  | { kind: 'server'; url: string; poolSize?: number; timeouts?: DatabaseTimeouts }
  | { kind: 'embedded'; dataDir: string | null /* null: in memory */ };

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  /** Connection string other clients (pg-boss, a second broker in tests) can use. */
  readonly url: string;
  readonly kind: DatabaseTarget['kind'];
  /** How many connections the pool may hold: 1 for PGlite, which is a single session. */
  readonly maxConnections: number;
  /** Settings for further connections to this database (the change feed's listener). */
  readonly clientConfig: Omit<pg.ClientConfig, 'connectionString'>;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  if (target.kind === 'server') {
    const max = target.poolSize ?? 10;
    const clientConfig = serverClientConfig(target.timeouts ?? DEFAULT_DATABASE_TIMEOUTS);
    const pool = new pg.Pool({ ...clientConfig, connectionString: target.url, max });
    return wrap(pool, target.url, 'server', max, clientConfig, async () => undefined);
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
    // No timeouts: the embedded database is in-process, never unreachable, and its one
    // connection is only ever busy (an import holds it for seconds), not stuck.
    return wrap(pool, url, 'embedded', 1, {}, async () => {
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
  clientConfig: Omit<pg.ClientConfig, 'connectionString'>,
  closeBackend: () => Promise<void>,
): DatabaseHandle {
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: discardingBrokenClients(pool) }) });
  let closed = false;
  return {
    db,
    pool,
    url,
    kind,
    maxConnections,
    clientConfig,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await closeBackend();
    },
  };
}

/**
 * Kysely hands a connection back to the pool as healthy whatever happened on it. One whose query
 * failed on the client side (a timeout, a broken socket) rather than with an error from the server
 * may still have that query in flight, or be dead without knowing it: it is discarded, so the pool
 * opens a fresh one once the database answers again.
 */
function discardingBrokenClients(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken: Error | undefined;
      // The pool listens for errors only on idle clients; one lost while checked out between two
      // queries (inside a transaction) would otherwise be an uncaught 'error' event.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      const raw = client as unknown as PostgresPoolClient;
      function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
      function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
      function query<R>(what: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
        if (typeof what !== 'string') return raw.query(what);
        return raw.query<R>(what, parameters ?? []).catch((error: unknown) => {
          if (!(error instanceof pg.DatabaseError)) broken = error instanceof Error ? error : new Error(String(error));
          throw error;
        });
      }
      return {
        query,
        release: () => {
          client.off('error', onError);
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
}
