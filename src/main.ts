/**
 * The composition root: opens the database, applies migrations, builds every service and the
 * HTTP app, and starts/stops them together. Nothing else in the broker creates long-lived
 * resources; everything below receives what it needs as arguments.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { createApp } from './app.js';
import { type AuditWriter, createAuditWriter } from './audit/audit-writer.js';
import { auditRoutes } from './audit/routes.js';
import { seedDemoData } from './demo/seed-demo-data.js';
import { startDemoSources } from './lookup/demo-sources.js';
import { createLookupCapability } from './lookup/index.js';
import { readSourcesFile, type SourcesConfig } from './lookup/sources.js';
import { createAgreementsCapability, type DecisionService } from './agreements/index.js';
import { createCorrespondenceCapability } from './correspondence/index.js';
import { createJobQueue, type JobQueue } from './jobs/queue.js';
import type { MedComTransport } from '../adapters/transport/index.js';
import { createDirectoryCache, type DirectoryCache } from './directory/directory-cache.js';
import { directoryRoutes } from './directory/routes.js';
import { createSorSchedule } from './directory/sor-schedule.js';
import { type ChangeFeed, createChangeFeed } from './platform/change-feed.js';
import type { BrokerConfig } from './config/config.js';
import { demoTrustedIssuer, ensureDemoIssuerKey } from './identity/demo-issuer.js';
import { type TrustedIssuer, trustedIssuerFromConfig } from './identity/issuers.js';
import { createReplayGuard } from './identity/replay-guard.js';
import { type OrganisationScope, createTokenVerifier } from './identity/verify-token.js';

export interface Broker {
  readonly app: ReturnType<typeof createApp>;
  readonly database: DatabaseHandle;
  /** The access decision over the sharing agreements, kept in step with the database. */
  readonly agreements: DecisionService;
  readonly directory: DirectoryCache;
  readonly changes: ChangeFeed;
  /** The one audit writer of this instance (group commit). */
  readonly audit: AuditWriter;
  /** The durable job queue (pg-boss in the broker's database). */
  readonly jobs: JobQueue;
  /** Stops background work and closes the database (when the broker opened it). */
  stop(): Promise<void>;
}

export interface BrokerOptions {
  readonly logger: Logger;
  /** An already open database (tests); otherwise one is opened from the configuration. */
  readonly database?: DatabaseHandle;
  /** Extra trusted issuers (tests), added to the configured ones. */
  readonly extraIssuers?: readonly TrustedIssuer[];
  readonly organisations?: OrganisationScope;
  /** Lookup sources (tests); otherwise BROKER_SOURCES_FILE, or the simulators in demo mode. */
  readonly sources?: SourcesConfig;
  /** MedCom transport (tests); otherwise from the configuration. */
  readonly medcomTransport?: MedComTransport;
}

export async function createBroker(config: BrokerConfig, options: BrokerOptions): Promise<Broker> {
  const { logger } = options;
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase(
      config.database.url
        ? { kind: 'server', url: config.database.url, poolSize: config.database.poolSize }
        : { kind: 'embedded', dataDir: path.join(config.dataDir, 'pg') },
    ));
  const timers: NodeJS.Timeout[] = [];
  const stoppers: Array<() => Promise<void>> = [];
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

    const issuers: TrustedIssuer[] = config.trustedIssuers.map((i) => trustedIssuerFromConfig(i, { jwksCacheSeconds: config.jwksCacheSeconds }));
    if (config.demo) issuers.push(demoTrustedIssuer(await ensureDemoIssuerKey(config.dataDir)));
    issuers.push(...(options.extraIssuers ?? []));

    const replayGuard = createReplayGuard(database.db, { maxQueue: config.writeQueueMax });
    timers.push(setInterval(() => void replayGuard.purgeExpired().catch(() => undefined), 5 * 60_000).unref());

    if (config.demo) await seedDemoData(database.db, logger);

    const changes = createChangeFeed({ db: database.db, listenUrl: database.kind === 'server' ? database.url : null, logger });
    await changes.start();
    stoppers.push(() => changes.stop());
    const directory = await createDirectoryCache({ db: database.db, changes, logger });
    if (config.sorImport.source) {
      const { source, at, timeZone } = config.sorImport;
      const sorSchedule = createSorSchedule({ db: database.db, source, at, timeZone, changes, logger });
      sorSchedule.start();
      stoppers.push(() => sorSchedule.stop());
    }
    const agreements = await createAgreementsCapability({ db: database.db, directory, changes, logger });
    stoppers.push(() => agreements.stop());

    const audit = createAuditWriter(database.db, { maxQueue: config.writeQueueMax });
    stoppers.push(() => audit.drain());

    let sources: SourcesConfig = options.sources ?? (config.lookup.sourcesFile ? readSourcesFile(config.lookup.sourcesFile) : { personRegister: null, sources: [] });
    if (!options.sources && config.demo && !config.lookup.sourcesFile) {
      const demo = await startDemoSources(database.db);
      stoppers.push(() => demo.simulators.close());
      sources = demo.config;
      logger.info({ sources: sources.sources.length }, 'demo: simulated GP, psychiatry and municipal sources started on loopback');
    }
    const lookup = createLookupCapability({
      sources,
      directory,
      decisions: agreements.decisions,
      audit,
      logger,
      defaultDeadlineMs: config.lookup.defaultDeadlineMs,
      maxDeadlineMs: config.lookup.maxDeadlineMs,
    });

    const jobs = createJobQueue({
      pool: database.pool,
      startLock: database.kind === 'server',
      logger,
      pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
      maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds,
      work: config.jobs.work,
    });
    const correspondence = createCorrespondenceCapability({
      db: database.db,
      directory,
      decide: (request) => agreements.decisions.decide(request),
      queue: jobs,
      config: config.medcom,
      logger,
      audit,
      ...(options.medcomTransport ? { transport: options.medcomTransport } : {}),
    });
    await jobs.start();
    stoppers.push(() => jobs.stop());

    // An issuer may speak for an organisation only if it lies in one of the issuer's SOR subtrees.
    const organisations: OrganisationScope = options.organisations ?? { isWithin: (sor, root) => directory.view().isWithin(sor, root) };
    const verifyToken = createTokenVerifier({
      issuers,
      audience: config.audience,
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      clockSkewSeconds: config.clockSkewSeconds,
      replayGuard,
      organisations,
    });

    const app = createApp({
      logger,
      db: database.db,
      verifyToken,
      bodyLimitBytes: config.bodyLimitBytes,
      capabilities: [
        { path: '/organisations', router: directoryRoutes({ db: database.db, directory, changes }) },
        ...agreements.capabilities,
        lookup.capability,
        ...correspondence.capabilities,
        { path: '/audit', router: auditRoutes({ db: database.db, audit, logger }), bodyLimitBytes: 16 * 1024 },
      ],
    });

    return {
      app,
      database,
      agreements: agreements.decisions,
      directory,
      changes,
      audit,
      jobs,
      async stop() {
        for (const t of timers) clearInterval(t);
        for (const stop of stoppers.reverse()) await stop();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    for (const t of timers) clearInterval(t);
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    if (ownsDatabase) await database.close();
    throw error;
  }
}

export interface RunningBroker {
  readonly url: string;
  readonly broker: Broker;
  close(): Promise<void>;
}

/**
 * Serves a broker over HTTP. `close()` stops accepting connections, closes idle keep-alive ones at
 * once, lets requests in flight finish for up to `shutdownGraceSeconds` (default 10), then closes
 * every connection that is left (a stalled upload cannot hold the stop), and stops the broker.
 */
export async function listen(broker: Broker, config: Pick<BrokerConfig, 'host' | 'port'> & Partial<Pick<BrokerConfig, 'shutdownGraceSeconds'>>): Promise<RunningBroker> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: broker.app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    broker,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http1 = 'closeAllConnections' in server ? server : null;
      http1?.closeIdleConnections();
      const cut = setTimeout(() => http1?.closeAllConnections(), (config.shutdownGraceSeconds ?? 10) * 1000);
      try {
        await closed;
      } finally {
        clearTimeout(cut);
      }
      await broker.stop();
    },
  };
}
