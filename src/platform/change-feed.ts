/**
 * Tells every broker instance sharing one database that cached data (the directory, the
 * agreements) changed, so each reloads its in-memory copy. PostgreSQL LISTEN/NOTIFY gives
 * near-instant delivery on a server; a version counter polled every few seconds catches anything
 * missed (a dropped listener connection, the embedded database where no listener can hold the
 * single connection). The writer publishes after its transaction commits.
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
  /** Calls `listener` after each change to `topic` (from any instance). Returns an unsubscribe. */
  subscribe(topic: ChangeTopic, listener: () => void | Promise<void>): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ChangeFeedOptions {
  readonly db: Kysely<Database>;
  /** A server URL enables LISTEN on a dedicated connection; null for the embedded database. */
  readonly listenUrl: string | null;
  readonly pollIntervalMs?: number;
  readonly logger: Logger;
}

/** Announces a committed change without a running feed (e.g. from the `broker sor import` command). */
export async function announceChange(db: Kysely<Database>, topic: ChangeTopic): Promise<void> {
  await sql`update change_version set version = version + 1 where topic = ${topic}`.execute(db);
  await sql`select pg_notify(${CHANNEL}, ${topic})`.execute(db);
}

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const listeners = new Map<ChangeTopic, Set<() => void | Promise<void>>>(TOPICS.map((t) => [t, new Set()]));
  const seen = new Map<ChangeTopic, string>();
  let listener: pg.Client | null = null;
  let poller: NodeJS.Timeout | null = null;
  let stopped = false;

  const fire = (topic: ChangeTopic) => {
    for (const l of listeners.get(topic) ?? []) {
      void Promise.resolve()
        .then(l)
        .catch((error: unknown) => options.logger.error({ err: error, topic }, 'change listener failed'));
    }
  };

  async function readVersions(): Promise<Map<ChangeTopic, string>> {
    const rows = await options.db.selectFrom('change_version').select(['topic', 'version']).execute();
    return new Map(rows.map((r) => [r.topic as ChangeTopic, String(r.version)]));
  }

  async function poll() {
    try {
      const versions = await readVersions();
      for (const [topic, version] of versions) {
        if (seen.get(topic) !== version) {
          seen.set(topic, version);
          fire(topic);
        }
      }
    } catch (error) {
      options.logger.warn({ err: error }, 'change poll failed');
    }
  }

  async function connectListener(url: string) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', (error) => {
      options.logger.warn({ err: error }, 'change listener connection lost; relying on polling until reconnected');
      listener = null;
      if (!stopped) setTimeout(() => void connectListener(url).catch(() => undefined), 1000).unref();
    });
    client.on('notification', (message) => {
      const topic = message.payload as ChangeTopic;
      if (!TOPICS.includes(topic)) return;
      // Read the version now, so the poller does not fire the same change again.
      void poll();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  }

  return {
    async publish(topic) {
      await announceChange(options.db, topic);
      await poll();
    },
    subscribe(topic, l) {
      listeners.get(topic)?.add(l);
      return () => listeners.get(topic)?.delete(l);
    },
    async start() {
      for (const [topic, version] of await readVersions()) seen.set(topic, version);
      if (options.listenUrl) await connectListener(options.listenUrl);
      poller = setInterval(() => void poll(), options.pollIntervalMs ?? 2000);
      poller.unref();
    },
    async stop() {
      stopped = true;
      if (poller) clearInterval(poller);
      if (listener) await listener.end().catch(() => undefined);
      listener = null;
    },
  };
}
