/**
 * Tells every broker instance sharing one database that cached data (the directory, the
 * agreements) changed, so each reloads its in-memory copy. PostgreSQL LISTEN/NOTIFY gives
 * near-instant delivery on a server; a version counter polled every few seconds catches anything
 * missed (a dropped listener connection, the embedded database where no listener can hold the
 * single connection).
 *
 * A version counts as seen only once every listener for it has succeeded: a listener that fails
 * (its reload hit a broken connection) is called again at the next poll, not forgotten. A writer
 * bumps the version in the transaction of its change (`announceChange(trx, ...)`), so a committed
 * change can never lack its announcement.
 */
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';

export type ChangeTopic = 'directory' | 'agreements';
const CHANNEL = 'broker_changes';
const TOPICS: readonly ChangeTopic[] = ['directory', 'agreements'];

export interface ChangeFeed {
  /** Announces a committed change to this and every other instance. */
  publish(topic: ChangeTopic): Promise<void>;
  /** Reads the versions now and calls the listeners of every topic that moved (after an `announceChange` in a transaction). */
  refresh(): Promise<void>;
  /**
   * Calls `listener` after each change to `topic` (from any instance). A listener that rejects is
   * called again at the next poll. Returns an unsubscribe.
   */
  subscribe(topic: ChangeTopic, listener: () => void | Promise<void>): () => void;
  /** Whether the LISTEN connection is up (always false on the embedded database, which is polled). */
  readonly listening: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ChangeFeedOptions {
  readonly db: Kysely<Database>;
  /** A server URL enables LISTEN on a dedicated connection; null for the embedded database. */
  readonly listenUrl: string | null;
  /** Options for the LISTEN connection (timeouts); the URL comes from `listenUrl`. */
  readonly listenConfig?: Omit<pg.ClientConfig, 'connectionString'>;
  readonly pollIntervalMs?: number;
  /** Reconnect backoff of the LISTEN connection: first delay, and the most it grows to. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly logger: Logger;
}

/**
 * Announces a change: bumps the topic's version and notifies. Given a transaction, both take
 * effect with its commit (PostgreSQL delivers NOTIFY at commit), or not at all.
 */
export async function announceChange(db: Kysely<Database>, topic: ChangeTopic): Promise<void> {
  await sql`update change_version set version = version + 1 where topic = ${topic}`.execute(db);
  await sql`select pg_notify(${CHANNEL}, ${topic})`.execute(db);
}

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { logger } = options;
  const listeners = new Map<ChangeTopic, Set<() => void | Promise<void>>>(TOPICS.map((t) => [t, new Set()]));
  const seen = new Map<ChangeTopic, string>();
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const reconnectMinMs = options.reconnectMinMs ?? 500;
  const reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
  let listener: pg.Client | null = null;
  let poller: NodeJS.Timeout | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let connecting = false;
  let reconnectDelay = reconnectMinMs;
  let lastListenerCheck = 0;
  let stopped = false;

  /** True when every listener of `topic` succeeded. */
  async function fire(topic: ChangeTopic): Promise<boolean> {
    const results = await Promise.allSettled([...(listeners.get(topic) ?? [])].map(async (l) => l()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) logger.error({ err: f.reason, topic }, 'change listener failed; it is called again at the next poll');
    return failed.length === 0;
  }

  async function readVersions(): Promise<Map<ChangeTopic, string>> {
    const rows = await options.db.selectFrom('change_version').select(['topic', 'version']).execute();
    return new Map(rows.map((r) => [r.topic as ChangeTopic, String(r.version)]));
  }

  async function pollOnce(): Promise<void> {
    let versions: Map<ChangeTopic, string>;
    try {
      versions = await readVersions();
    } catch (error) {
      logger.warn({ err: error }, 'change poll failed');
      return;
    }
    await Promise.all(
      [...versions].map(async ([topic, version]) => {
        if (seen.get(topic) === version) return;
        // Seen only after the listeners succeeded; otherwise the next poll tries again.
        if (await fire(topic)) seen.set(topic, version);
      }),
    );
  }

  // One pass at a time. A request while one runs queues one more pass (which sees everything
  // committed up to its start), shared by every request made meanwhile.
  let tail: Promise<void> = Promise.resolve();
  let queued: Promise<void> | null = null;
  function poll(): Promise<void> {
    if (queued) return queued;
    const next = tail.then(() => {
      queued = null;
      return pollOnce();
    });
    queued = next;
    tail = next;
    return next;
  }

  function scheduleReconnect(url: string): void {
    if (stopped || reconnectTimer || connecting) return;
    // Jittered, so many instances do not reconnect in step when the database returns.
    const delay = Math.round(reconnectDelay / 2 + (Math.random() * reconnectDelay) / 2);
    reconnectDelay = Math.min(reconnectDelay * 2, reconnectMaxMs);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      void connectListener(url).catch((error: unknown) => {
        logger.warn({ err: error, retryInMs: reconnectDelay }, 'change listener could not reconnect; polling meanwhile');
        scheduleReconnect(url);
      });
    }, delay);
    reconnectTimer.unref();
  }

  /** Gives up a listener connection (lost, or not answering) once, and arranges a new one. */
  const dropped = new WeakSet<pg.Client>();
  function dropListener(client: pg.Client, url: string, error: unknown): void {
    if (dropped.has(client)) return;
    dropped.add(client);
    if (listener === client) {
      listener = null;
      logger.warn({ err: error }, 'change listener connection lost; polling until reconnected');
    }
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    scheduleReconnect(url);
  }

  async function connectListener(url: string): Promise<void> {
    const client = new pg.Client({ keepAlive: true, ...options.listenConfig, connectionString: url });
    client.on('error', (error) => dropListener(client, url, error));
    client.on('end', () => dropListener(client, url, new Error('connection ended')));
    client.on('notification', (message) => {
      if (!TOPICS.includes(message.payload as ChangeTopic)) return;
      void poll();
    });
    connecting = true;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      dropped.add(client);
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw error;
    } finally {
      connecting = false;
    }
    if (stopped || dropped.has(client)) {
      await client.end().catch(() => undefined);
      if (!stopped) scheduleReconnect(url);
      return;
    }
    listener = client;
    lastListenerCheck = Date.now();
    reconnectDelay = reconnectMinMs;
    // Whatever was notified while no listener was connected.
    void poll();
  }

  /**
   * A connection whose peer vanished without a word (a network partition) shows no error until
   * TCP gives up, which takes many minutes; a query on it shows it at once.
   */
  async function checkListener(url: string): Promise<void> {
    const client = listener;
    if (!client || Date.now() - lastListenerCheck < 5 * pollIntervalMs) return;
    lastListenerCheck = Date.now();
    const timeoutMs = Math.max(pollIntervalMs * 2, 2000);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`change listener did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      dropListener(client, url, error);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async publish(topic) {
      await announceChange(options.db, topic);
      await poll();
    },
    refresh: () => poll(),
    get listening() {
      return listener !== null;
    },
    subscribe(topic, l) {
      listeners.get(topic)?.add(l);
      return () => listeners.get(topic)?.delete(l);
    },
    async start() {
      for (const [topic, version] of await readVersions()) seen.set(topic, version);
      const url = options.listenUrl;
      if (url) {
        await connectListener(url).catch((error: unknown) => {
          logger.warn({ err: error }, 'change listener could not connect; polling meanwhile');
          scheduleReconnect(url);
        });
      }
      poller = setInterval(() => {
        void poll();
        if (url) void checkListener(url);
      }, pollIntervalMs);
      poller.unref();
    },
    async stop() {
      stopped = true;
      if (poller) clearInterval(poller);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const client = listener;
      listener = null;
      if (client) {
        client.removeAllListeners();
        client.on('error', () => undefined);
        await client.end().catch(() => undefined);
      }
      await tail.catch(() => undefined);
    },
  };
}
