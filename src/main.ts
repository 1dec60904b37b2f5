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
import { migrateAs } from '../db/migrate.js';
import { createApp } from './app.js';
import { type AuditWriter, createAuditWriter } from './audit/audit-writer.js';
import { checkpointKeysFromConfig } from './audit/checkpoints.js';
import { AUDIT_CHECKPOINT, auditCheckpointJob } from './audit/jobs/audit-checkpoint.js';
import { anomalyReviewJob } from './audit/jobs/anomaly-review.js';
import { auditRetentionJob } from './audit/jobs/audit-retention.js';
import { createSecurityEvents } from './security-events/security-events.js';
import { reportingAuditWriter } from './security-events/reporting-audit-writer.js';
import { auditCapabilityRouter } from './audit/audit-router.js';
import { seedDemoData } from './demo/seed-demo-data.js';
import { createCitizenCapability } from './citizen/index.js';
import { startDemoSources } from './demo/demo-sources.js';
import { createLookupCapability } from './lookup/index.js';
import { createCitizenChecks } from './citizen/checks.js';
import { blockRoutes } from './citizen/blocks-routes.js';
import { readSourcesFile, type SourcesConfig } from './lookup/sources.js';
import { createAgreementsCapability, type DecisionService } from './agreements/index.js';
import { createCorrespondenceCapability } from './correspondence/index.js';
import { listJobRuns, queueCounts } from './jobs/job-runs.js';
import { createJobQueue, type JobQueue } from './jobs/queue.js';
import { Registry } from 'prom-client';
import { type BrokerMetrics, createMetrics } from './metrics/metrics.js';
import type { MedComTransport } from '../adapters/transport/index.js';
import { createDirectoryCache, type DirectoryCache } from './directory/directory-cache.js';
import { directoryRoutes } from './directory/routes.js';
import { SOR_IMPORT, sorImportJob } from './directory/jobs/sor-import.js';
import { type ChangeFeed, createChangeFeed } from './platform/change-feed.js';
import type { BrokerConfig } from './config/config.js';
import { stampArrivals } from './http/arrival.js';
import { DEMO_GATEWAY_IDENTITY, demoTrustedIssuer, ensureDemoIssuerKey } from './demo/demo-issuer.js';
import { type TrustedIssuer, trustedIssuerFromConfig } from './identity/issuers.js';
import { purgeTokenUsesJob } from './identity/jobs/purge-token-uses.js';
import { createReplayGuard } from './identity/replay-guard.js';
import { type OrganisationScope, createIdentityVerifier, createTokenVerifier } from './identity/verify-token.js';
import { STAFF_ROLES } from './identity/caller.js';
import { createBrokerConsole } from './console/wire.js';
import { startDevIdentityProvider } from './demo/dev-identity-provider.js';

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
  /** This process's metrics, on its own registry. */
  readonly metrics: BrokerMetrics;
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
        ? { kind: 'server', url: config.database.url, poolSize: config.database.poolSize, timeouts: config.database.timeouts }
        : { kind: 'embedded', dataDir: path.join(config.dataDir, 'pg') },
    ));
  const stoppers: Array<() => Promise<void>> = [];
  // One registry per broker, passed down: no global default registry.
  const metrics = createMetrics(new Registry());
  try {
    const applied = await migrateAs(database.db, config.database.migrationUrl);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

    const issuers: TrustedIssuer[] = config.trustedIssuers.map((i) => trustedIssuerFromConfig(i, { jwksCacheSeconds: config.jwksCacheSeconds }));
    let consoleIssuer = config.console.issuer;
    if (config.demo) {
      const demoKey = await ensureDemoIssuerKey(config.dataDir);
      const demoIssuer = demoTrustedIssuer(demoKey);
      issuers.push(demoIssuer);
      // The console's development identity provider signs with the demo key, under its own issuer
      // URL, and speaks for staff only (never the MedCom gateway).
      if (!consoleIssuer) {
        const idp = await startDevIdentityProvider({ signingKey: { ...demoKey.privateJwk, kid: demoKey.kid }, port: config.console.devIdpPort, clientId: config.console.clientId });
        stoppers.push(() => idp.close());
        issuers.push({ ...demoIssuer, issuer: idp.issuer, roles: STAFF_ROLES });
        consoleIssuer = idp.issuer;
        logger.info({ issuer: idp.issuer }, 'demo: development identity provider for the console started on loopback');
      }
    }
    issuers.push(...(options.extraIssuers ?? []));

    const replayGuard = createReplayGuard(database.db, { maxQueue: config.writeQueueMax });

    if (config.demo) await seedDemoData(database.db, logger);

    const changes = createChangeFeed({
      db: database.db,
      listenUrl: database.kind === 'server' ? database.url : null,
      listenConfig: database.clientConfig,
      logger,
    });
    await changes.start();
    stoppers.push(() => changes.stop());
    const directory = await createDirectoryCache({ db: database.db, changes, logger });
    const agreements = await createAgreementsCapability({
      db: database.db,
      directory,
      changes,
      logger,
      maxStalenessMs: config.agreements.maxStalenessSeconds * 1000,
      nationalOversightOrgs: config.agreements.nationalOversightOrgs,
    });
    stoppers.push(() => agreements.stop());

    const securityEvents = createSecurityEvents(config.securityEvents, { logger });
    stoppers.push(() => securityEvents.close());
    const audit = reportingAuditWriter(createAuditWriter(database.db, { maxQueue: config.writeQueueMax, observeBatch: (size, seconds) => metrics.auditBatch(size, seconds) }), securityEvents);
    stoppers.push(() => audit.drain());
    const checkpointKeys = await checkpointKeysFromConfig(config);
    const checkpoints = checkpointKeys ? { ...checkpointKeys, exportFile: config.auditCheckpoints.exportFile } : null;

    let sources: SourcesConfig = options.sources ?? (config.lookup.sourcesFile ? readSourcesFile(config.lookup.sourcesFile) : { personRegister: null, sources: [] });
    if (!options.sources && config.demo && !config.lookup.sourcesFile) {
      const demo = await startDemoSources(database.db);
      stoppers.push(() => demo.simulators.close());
      sources = demo.config;
      logger.info({ sources: sources.sources.length }, 'demo: simulated GP, psychiatry and municipal sources started on loopback');
    }
    const citizenChecks = await createCitizenChecks({ db: database.db, consentService: config.consentService, demo: config.demo, logger });
    stoppers.push(() => citizenChecks.stop());
    const lookup = createLookupCapability({
      citizen: citizenChecks.checks,
      sources,
      directory,
      decisions: agreements.decisions,
      audit,
      logger,
      defaultDeadlineMs: config.lookup.defaultDeadlineMs,
      maxDeadlineMs: config.lookup.maxDeadlineMs,
      metrics,
    });

    const citizen = createCitizenCapability({ db: database.db, audit, directory, config: config.citizen, personRegister: sources.personRegister });

    const jobs = createJobQueue({
      pool: database.pool,
      db: database.db,
      startLock: database.kind === 'server',
      logger,
      pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
      maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds,
      work: config.jobs.work,
      observe: (run) => metrics.jobRun(run.name, run.outcome, run.seconds),
      cronMonitorIntervalSeconds: config.jobs.scheduleCheckSeconds,
      cronWorkerIntervalSeconds: Math.min(5, config.jobs.scheduleCheckSeconds),
    });
    // Demo mode plays the gateway with the demo issuer, unless a real gateway is configured.
    const medcom = config.demo && config.medcom.gatewayIdentities.length === 0 ? { ...config.medcom, gatewayIdentities: [DEMO_GATEWAY_IDENTITY] } : config.medcom;
    if (medcom.gatewayIdentities.length === 0) logger.warn('no MedCom gateway identity configured (MEDCOM_GATEWAY_IDENTITIES): inbound MedCom messages are refused');
    // Periodic work: one schedule each, kept in the database, one run per due time across instances.
    jobs.schedule(purgeTokenUsesJob(replayGuard));
    jobs.schedule(agreements.expiryJob);
    if (checkpoints) {
      jobs.schedule(auditCheckpointJob({ db: database.db, signer: checkpoints.signer, exportFile: checkpoints.exportFile, everyMinutes: config.auditCheckpoints.everyMinutes }));
    } else {
      jobs.unschedule(AUDIT_CHECKPOINT);
    }
    // Partitions and expiry need the schema owner: its connection for the run, or ours where we own it.
    const ownerUrl = config.database.migrationUrl;
    const owner = async () => (ownerUrl ? openDatabase({ kind: 'server', url: ownerUrl, poolSize: 1 }) : { db: database.db, close: async () => undefined });
    jobs.schedule(auditRetentionJob({ owner, policy: config.auditRetention.policy, monthsAhead: config.auditRetention.monthsAhead, signer: checkpoints?.signer ?? null, at: config.auditRetention.at }));
    jobs.schedule(anomalyReviewJob({ db: database.db, rules: config.anomalies.rules, everyMinutes: config.anomalies.everyMinutes, securityEvents }));
    if (config.sorImport.source) {
      const { source, at, timeZone } = config.sorImport;
      const job = sorImportJob({ db: database.db, source, at, timeZone, changes, logger });
      jobs.schedule(job);
      logger.info({ job: SOR_IMPORT, cron: job.schedule.cron, timeZone: job.schedule.timeZone, at }, 'scheduled SOR import');
    } else {
      jobs.unschedule(SOR_IMPORT);
    }
    const correspondence = createCorrespondenceCapability({
      db: database.db,
      directory,
      decide: (request) => agreements.decisions.decide(request),
      queue: jobs,
      config: medcom,
      logger,
      audit,
      observeMessage: (message) => metrics.medcomMessage(message),
      ...(options.medcomTransport ? { transport: options.medcomTransport } : {}),
    });
    await jobs.start();
    stoppers.push(() => jobs.stop());
    metrics.onJobState(async () => ({
      queues: await queueCounts(database.db),
      lastSuccess: (await listJobRuns(database.db)).map((r) => ({ name: r.name, at: r.lastSucceededAt })),
    }));

    // An issuer may speak for an organisation only if it lies in one of the issuer's SOR subtrees.
    const organisations: OrganisationScope = options.organisations ?? { isWithin: (sor, root) => directory.view().isWithin(sor, root) };
    const verifierOptions = {
      issuers,
      audience: config.audience,
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      clockSkewSeconds: config.clockSkewSeconds,
      replayGuard,
      organisations,
    };
    const verifyToken = createIdentityVerifier(verifierOptions);
    // The console's ID tokens pass the same verifier (issuers, roles, organisations, replay); only
    // their audience differs: the console's client id.
    const consoleApp = createBrokerConsole({
      db: database.db,
      logger,
      config: config.console,
      issuer: consoleIssuer,
      verifyIdToken: createTokenVerifier({ ...verifierOptions, audience: config.console.clientId }),
      directory,
      changes,
      agreements: agreements.service,
      decisions: agreements.decisions,
      nationalOversightOrgs: config.agreements.nationalOversightOrgs,
    });

    const app = createApp({
      logger,
      db: database.db,
      verifyToken,
      bodyLimitBytes: config.bodyLimitBytes,
      metrics: { metrics, token: config.metricsToken },
      securityEvents,
      console: consoleApp,
      capabilities: [
        { path: '/organisations', router: directoryRoutes({ db: database.db, directory, changes }) },
        ...agreements.capabilities,
        lookup.capability,
        ...correspondence.capabilities,
        {
          path: '/audit',
          router: auditCapabilityRouter({ db: database.db, audit, logger, checkpoints, isWithin: (sor, root) => directory.view().isWithin(sor, root), rules: config.anomalies.rules, securityEvents }),
          bodyLimitBytes: 16 * 1024,
        },
        ...citizen.capabilities,
        { path: '/citizen/blocks', router: blockRoutes({ db: database.db, directory, scope: citizen.scope, audit }), bodyLimitBytes: 16 * 1024 },
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
      metrics,
      async stop() {
        for (const stop of stoppers.reverse()) await stop();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
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
    stampArrivals(s);
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
