/**
 * The broker's configuration, read from environment variables and validated at start.
 * Every problem is reported, one line each, before anything starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { sorCodeSchema } from '../http/schemas.js';
import { CITIZEN_ROLE, ROLES } from '../identity/caller.js';
import type { DatabaseTimeouts } from '../../db/connection.js';
import type { AnomalyRulesConfig } from '../audit/anomaly.js';
import { type RetentionPolicy, parseRetentionPolicy } from '../audit/retention.js';
import { type SecurityEventsSink, parseSecurityEventsSink } from '../security-events/security-events.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof ALGORITHMS)[number];


export const trustedIssuerSchema = z
  .object({
    issuer: z.string().min(1),
    jwksUri: z.url().optional(),
    jwksFile: z.string().min(1).optional(),
    algorithms: z.array(z.enum(ALGORITHMS)).min(1),
    /** The organisations this issuer may speak for: SOR subtrees (the code and everything below). Not for a citizen issuer. */
    organisations: z.array(sorCodeSchema).min(1).optional(),
    maxTokenLifetimeSeconds: z.number().int().positive().max(86_400).optional(),
    /** The roles this issuer may assert; omitted: the staff roles only (never medcom-gateway). */
    roles: z.array(z.enum(ROLES)).min(1).optional(),
  })
  .refine((i) => Boolean(i.jwksUri) !== Boolean(i.jwksFile), {
    message: 'give exactly one of jwksUri and jwksFile',
  })
  // A citizen identity provider (MitID) vouches for persons, a staff one for an organisation's
  // users: one issuer is never both, so neither can mint the other's tokens.
  .refine((i) => !i.roles?.includes(CITIZEN_ROLE) || i.roles.every((r) => r === CITIZEN_ROLE), {
    message: 'a citizen issuer (roles: ["citizen"]) may assert no other role',
  })
  .refine((i) => (i.roles?.includes(CITIZEN_ROLE) ? i.organisations === undefined : i.organisations !== undefined), {
    message: 'organisations: required for a staff issuer, not given for a citizen issuer',
  });
export type TrustedIssuerConfig = z.infer<typeof trustedIssuerSchema>;

/** A system allowed to post to the MedCom inbound door: the exact issuer and subject of its tokens. */
export const gatewayIdentitySchema = z.object({ issuer: z.string().min(1), subject: z.string().min(1) }).strict();
export type GatewayIdentity = z.infer<typeof gatewayIdentitySchema>;

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_MIGRATION_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(3000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  BROKER_AGREEMENTS_MAX_STALENESS_SECONDS: z.coerce.number().int().min(3).max(3600).default(30),
  BROKER_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  BROKER_DATA_DIR: z.string().min(1).default('./.data'),
  BROKER_DEMO: boolFromEnv.default(false),
  BROKER_AUDIENCE: z.string().min(1).default('urn:dk:child-data-broker'),
  BROKER_TRUSTED_ISSUERS: z.string().optional(),
  BROKER_TRUSTED_ISSUERS_FILE: z.string().optional(),
  BROKER_MAX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  BROKER_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  BROKER_JWKS_CACHE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  BROKER_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  BROKER_WRITE_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  BROKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  BROKER_SOURCES_FILE: z.string().optional(),
  BROKER_LOOKUP_DEADLINE_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  BROKER_LOOKUP_MAX_DEADLINE_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
  CONSENT_SERVICE_URL: z.url().optional(),
  CONSENT_SERVICE_TOKEN: z.string().min(1).optional(),
  CONSENT_SERVICE_TIMEOUT_MS: z.coerce.number().int().min(50).max(5000).default(500),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MEDCOM_GATEWAY_URL: z.url().optional(),
  MEDCOM_FILE_DROP_DIR: z.string().min(1).optional(),
  MEDCOM_XML_RECEIVERS: z.string().optional(),
  MEDCOM_OIOXML_RECEIVERS: z.string().optional(),
  MEDCOM_GATEWAY_IDENTITIES: z.string().optional(),
  MEDCOM_ACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(1800),
  MEDCOM_MAX_RESENDS: z.coerce.number().int().min(0).max(10).default(2),
  MEDCOM_TRANSIENT_RESEND_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  MEDCOM_MAX_ATTACHMENT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(10 * 1024 * 1024),
  MEDCOM_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(20 * 1024 * 1024),
  MEDCOM_DELIVERY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  MEDCOM_DELIVERY_RETRY_LIMIT: z.coerce.number().int().min(0).max(50).default(10),
  MEDCOM_DELIVERY_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  BROKER_JOBS_POLLING_SECONDS: z.coerce.number().min(0.5).max(60).default(1),
  BROKER_JOBS_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  BROKER_JOBS_WORK: boolFromEnv.default(true),
  BROKER_AUDIT_SIGNING_KEY: z.string().min(1).optional(),
  BROKER_AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  BROKER_AUDIT_RETIRED_KEYS_FILE: z.string().min(1).optional(),
  BROKER_AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  BROKER_AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().refine((m) => m >= 1 && m <= 60 && 60 % m === 0, 'must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)').default(5),
  BROKER_AUDIT_RETENTION_MONTHS: z.string().optional(),
  BROKER_ANOMALY_NO_FOLLOW_UP_DAYS: z.coerce.number().int().min(1).max(365).default(14),
  BROKER_SECURITY_EVENTS: z.string().optional(),
  BROKER_AUDIT_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  BROKER_AUDIT_RETENTION_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM').default('02:30'),
  BROKER_ANOMALY_EVERY_MINUTES: z.coerce.number().int().refine((m) => m >= 1 && m <= 60 && 60 % m === 0, 'must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)').default(60),
  BROKER_ANOMALY_LOOKBACK_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(48),
  BROKER_ANOMALY_CHILDREN_PER_DAY: z.coerce.number().int().min(1).max(100000).default(30),
  BROKER_ANOMALY_DENIALS_PER_HOUR: z.coerce.number().int().min(1).max(100000).default(5),
  BROKER_ANOMALY_ORGANISATIONS_PER_CHILD: z.coerce.number().int().min(1).max(1000).default(4),
  BROKER_ANOMALY_ORGANISATIONS_WINDOW_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(24),
  BROKER_ANOMALY_WORKING_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-4])-([01]\d|2[0-4])$/, 'must be hours as HH-HH, e.g. 07-19')
    .refine((v) => Number(v.slice(0, 2)) < Number(v.slice(3)), 'the start must be before the end')
    .default('07-19'),
  BROKER_ANOMALY_OFF_HOURS_EXEMPT: z
    .string()
    .regex(/^\s*(\d{6,18}\s*(,\s*\d{6,18}\s*)*)?$/, 'must be a comma-separated list of SOR codes')
    .optional(),
  BROKER_CITIZEN_LOG_MONTHS: z.coerce.number().int().min(1).max(120).default(24),
  BROKER_CITIZEN_WITHHOLD_MAX_MONTHS: z.coerce.number().int().min(1).max(60).default(12),
  BROKER_JOBS_SCHEDULE_CHECK_SECONDS: z.coerce.number().int().min(1).max(30).default(30),
  BROKER_SOR_IMPORT_SOURCE: z.string().min(1).optional(),
  BROKER_SOR_IMPORT_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM').default('03:30'),
  BROKER_CONSOLE_ISSUER: z.url().optional(),
  BROKER_CONSOLE_CLIENT_ID: z.string().min(1).max(200).default('broker-console'),
  BROKER_CONSOLE_CLIENT_SECRET: z.string().min(16).optional(),
  BROKER_CONSOLE_URL: z.url().optional(),
  BROKER_CONSOLE_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(60).max(86_400).default(1800),
  BROKER_CONSOLE_ABSOLUTE_TIMEOUT_SECONDS: z.coerce.number().int().min(300).max(7 * 86_400).default(8 * 3600),
  BROKER_CONSOLE_DEV_IDP_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  BROKER_NATIONAL_OVERSIGHT_ORGS: z
    .string()
    .regex(/^\s*(\d{6,18}\s*(,\s*\d{6,18}\s*)*)?$/, 'must be a comma-separated list of SOR codes')
    .optional(),
});

export interface MedComConfig {
  /** The MedCom (VANS) gateway envelopes are posted to; null: file drop or none. */
  readonly gatewayUrl: string | null;
  /** Directory envelopes are written to when no gateway is configured (demo: <dataDir>/medcom-outbox). */
  readonly fileDropDir: string | null;
  /** SOR codes of receivers that want FHIR XML instead of JSON. */
  readonly xmlReceivers: readonly string[];
  /** SOR codes of receivers that take only OIOXML: they are sent XDIS91 letters instead of FHIR. */
  readonly oioxmlReceivers: readonly string[];
  /**
   * Who may post to the inbound door (issuer and subject); none: inbound is refused. Demo mode
   * without any configured: the demo issuer's gateway subject (added by the composition root).
   */
  readonly gatewayIdentities: readonly GatewayIdentity[];
  readonly ackTimeoutSeconds: number;
  readonly maxResends: number;
  /** After a transient-error acknowledgement the message is resent this much later (a resend like a timeout's). */
  readonly transientResendSeconds: number;
  readonly maxAttachmentBytes: number;
  readonly maxMessageBytes: number;
  /** A delivery attempt still running after this long counts as crashed and is retried. */
  readonly deliveryTimeoutSeconds: number;
  /** Transient delivery failures are retried this often, with exponential backoff from the delay. */
  readonly deliveryRetryLimit: number;
  readonly deliveryRetryDelaySeconds: number;
}

export interface BrokerConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly host: string;
  /** The database pool size is per worker. */
  /**
   * Timeouts apply to a PostgreSQL server; the embedded database is in-process and has none.
   * `migrationUrl`: the role that owns the schema and applies migrations, when the service runs as another (README).
   */
  readonly database: { readonly url: string | null; readonly poolSize: number; readonly timeouts: DatabaseTimeouts; readonly migrationUrl: string | null };
  /**
   * `maxStalenessSeconds`: a decision index not reconciled with the database for this long refuses
   * decisions (the revocation bound). `nationalOversightOrgs`: SOR codes of national oversight
   * organisations, whose auditors and admins read every agreement.
   */
  readonly agreements: { readonly maxStalenessSeconds: number; readonly nationalOversightOrgs: readonly string[] };
  /** Broker processes sharing the port (node:cluster); more than one needs the PostgreSQL server. */
  readonly workers: number;
  readonly dataDir: string;
  readonly demo: boolean;
  readonly audience: string;
  readonly trustedIssuers: readonly TrustedIssuerConfig[];
  readonly maxTokenLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly jwksCacheSeconds: number;
  readonly bodyLimitBytes: number;
  /** Audit records and token ids waiting for a group commit before new requests get 503 (per instance, each). */
  readonly writeQueueMax: number;
  /** How long a stop (SIGTERM) lets requests in flight finish before connections are closed and the process exits. */
  readonly shutdownGraceSeconds: number;
  readonly logLevel: string;
  /** Bearer token for GET /metrics; null: /metrics is not served. */
  readonly metricsToken: string | null;
  readonly medcom: MedComConfig;
  readonly lookup: { readonly sourcesFile: string | null; readonly defaultDeadlineMs: number; readonly maxDeadlineMs: number };
  /** The national consent service (Digitalt Samtykke), asked per lookup under consent-based agreements; null: no consent is known (demo mode simulates one). */
  readonly consentService: { readonly url: string; readonly token: string | null; readonly timeoutMs: number } | null;
  /** `work: false`: this instance only enqueues (an API-only instance beside worker instances). */
  readonly jobs: {
    readonly pollingIntervalSeconds: number;
    readonly maintenanceIntervalSeconds: number;
    readonly work: boolean;
    /** How often the schedules are checked for due jobs (one instance at a time). */
    readonly scheduleCheckSeconds: number;
  };
  /**
   * Signed audit checkpoints: the private key (a P-256 JWK; demo: created in the data directory),
   * retired public keys that older checkpoints were signed with, the export file outside the
   * database, and how often the chain head is signed. No key: no checkpoints.
   */
  readonly auditCheckpoints: {
    readonly signingKey: JWK | null;
    readonly retiredKeys: readonly JWK[];
    readonly exportFile: string | null;
    readonly everyMinutes: number;
  };
  /** Audit retention: months kept per record class, partitions made ahead, the daily run's time (Copenhagen). */
  /** The SIEM feed of security events: off, stdout, or syslog over UDP/TCP. */
  readonly securityEvents: SecurityEventsSink;
  readonly auditRetention: { readonly policy: RetentionPolicy; readonly monthsAhead: number; readonly at: string };
  /** Anomaly review of the audit log: how often the rules run, how far back, and their thresholds. */
  readonly anomalies: { readonly everyMinutes: number; readonly rules: AnomalyRulesConfig };
  /**
   * The web console (/console): the identity provider it signs in against (OpenID Connect; demo:
   * the development identity provider, whose issuer is known only once it listens), its client,
   * its public URL (the redirect URI's base; required outside demo and test), and session timeouts.
   */
  readonly console: {
    readonly issuer: string | null;
    readonly clientId: string;
    readonly clientSecret: string | null;
    readonly publicUrl: string | null;
    readonly idleTimeoutSeconds: number;
    readonly absoluteTimeoutSeconds: number;
    readonly devIdpPort: number;
  };
  /** The citizen's side: how far back the access log reaches, and the longest a withheld-mark may last. */
  readonly citizen: { readonly logMonths: number; readonly withholdMaxMonths: number };
  /** Nightly SOR import: source (URL, file, or directory whose newest .xml is taken; null: off), Copenhagen local time. */
  readonly sorImport: { readonly source: string | null; readonly at: string; readonly timeZone: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates configuration; throws ConfigError listing every problem. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { demo?: boolean; /** false for commands that serve no API (migrate, import) */ requireIssuers?: boolean } = {},
): BrokerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const demo = overrides.demo ?? e.BROKER_DEMO;
  if (demo && e.NODE_ENV === 'production') {
    problems.push('BROKER_DEMO: demo mode (local demo issuer, simulated sources) is refused when NODE_ENV=production');
  }
  if (e.BROKER_WORKERS > 1 && !e.DATABASE_URL) {
    problems.push('BROKER_WORKERS: more than one worker process needs DATABASE_URL (the embedded database belongs to one process)');
  }
  if (e.BROKER_WORKERS > 1 && demo) {
    problems.push('BROKER_WORKERS: demo mode runs as one process (its simulated sources and demo issuer belong to it)');
  }
  const auditKeys = readAuditKeys(e.BROKER_AUDIT_SIGNING_KEY, e.BROKER_AUDIT_SIGNING_KEY_FILE, e.BROKER_AUDIT_RETIRED_KEYS_FILE, problems);
  if (e.NODE_ENV === 'production' && !demo && !auditKeys.signingKey) {
    problems.push('BROKER_AUDIT_SIGNING_KEY / BROKER_AUDIT_SIGNING_KEY_FILE: required in production, to sign audit checkpoints');
  }
  const retentionPolicy = parseRetentionPolicy(e.BROKER_AUDIT_RETENTION_MONTHS, problems);
  const securityEvents = parseSecurityEventsSink(e.BROKER_SECURITY_EVENTS, problems);
  const trustedIssuers = readTrustedIssuers(e.BROKER_TRUSTED_ISSUERS, e.BROKER_TRUSTED_ISSUERS_FILE, problems);
  const gatewayIdentities = readGatewayIdentities(e.MEDCOM_GATEWAY_IDENTITIES, problems);
  if (!demo && overrides.requireIssuers !== false && !e.BROKER_TRUSTED_ISSUERS && !e.BROKER_TRUSTED_ISSUERS_FILE) {
    problems.push('BROKER_TRUSTED_ISSUERS / BROKER_TRUSTED_ISSUERS_FILE: no trusted issuer configured; every call would be refused');
  }
  if (e.BROKER_CONSOLE_ISSUER && !e.BROKER_CONSOLE_URL && e.NODE_ENV === 'production') {
    problems.push('BROKER_CONSOLE_URL: required with BROKER_CONSOLE_ISSUER in production (the base of the sign-in redirect URI)');
  }
  if (e.BROKER_CONSOLE_IDLE_TIMEOUT_SECONDS > e.BROKER_CONSOLE_ABSOLUTE_TIMEOUT_SECONDS) {
    problems.push('BROKER_CONSOLE_IDLE_TIMEOUT_SECONDS: must not exceed BROKER_CONSOLE_ABSOLUTE_TIMEOUT_SECONDS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    database: {
      url: e.DATABASE_URL ?? null,
      poolSize: e.DATABASE_POOL_SIZE,
      migrationUrl: e.DATABASE_MIGRATION_URL ?? null,
      timeouts: {
        connectMs: e.DATABASE_CONNECT_TIMEOUT_MS,
        statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
        idleInTransactionMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
    },
    agreements: {
      maxStalenessSeconds: e.BROKER_AGREEMENTS_MAX_STALENESS_SECONDS,
      nationalOversightOrgs: (e.BROKER_NATIONAL_OVERSIGHT_ORGS ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0),
    },
    workers: e.BROKER_WORKERS,
    dataDir: path.resolve(e.BROKER_DATA_DIR),
    demo,
    audience: e.BROKER_AUDIENCE,
    trustedIssuers,
    maxTokenLifetimeSeconds: e.BROKER_MAX_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds: e.BROKER_CLOCK_SKEW_SECONDS,
    jwksCacheSeconds: e.BROKER_JWKS_CACHE_SECONDS,
    bodyLimitBytes: e.BROKER_BODY_LIMIT_BYTES,
    writeQueueMax: e.BROKER_WRITE_QUEUE_MAX,
    shutdownGraceSeconds: e.BROKER_SHUTDOWN_GRACE_SECONDS,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    lookup: {
      sourcesFile: e.BROKER_SOURCES_FILE ? path.resolve(e.BROKER_SOURCES_FILE) : null,
      defaultDeadlineMs: Math.min(e.BROKER_LOOKUP_DEADLINE_MS, e.BROKER_LOOKUP_MAX_DEADLINE_MS),
      maxDeadlineMs: e.BROKER_LOOKUP_MAX_DEADLINE_MS,
    },
    consentService: e.CONSENT_SERVICE_URL ? { url: e.CONSENT_SERVICE_URL, token: e.CONSENT_SERVICE_TOKEN ?? null, timeoutMs: e.CONSENT_SERVICE_TIMEOUT_MS } : null,
    medcom: {
      gatewayUrl: e.MEDCOM_GATEWAY_URL ?? null,
      fileDropDir: e.MEDCOM_FILE_DROP_DIR
        ? path.resolve(e.MEDCOM_FILE_DROP_DIR)
        : demo && !e.MEDCOM_GATEWAY_URL
          ? path.join(path.resolve(e.BROKER_DATA_DIR), 'medcom-outbox')
          : null,
      xmlReceivers: (e.MEDCOM_XML_RECEIVERS ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0),
      oioxmlReceivers: (e.MEDCOM_OIOXML_RECEIVERS ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0),
      gatewayIdentities,
      ackTimeoutSeconds: e.MEDCOM_ACK_TIMEOUT_SECONDS,
      maxResends: e.MEDCOM_MAX_RESENDS,
      transientResendSeconds: e.MEDCOM_TRANSIENT_RESEND_SECONDS,
      maxAttachmentBytes: e.MEDCOM_MAX_ATTACHMENT_BYTES,
      maxMessageBytes: e.MEDCOM_MAX_MESSAGE_BYTES,
      deliveryTimeoutSeconds: e.MEDCOM_DELIVERY_TIMEOUT_SECONDS,
      deliveryRetryLimit: e.MEDCOM_DELIVERY_RETRY_LIMIT,
      deliveryRetryDelaySeconds: e.MEDCOM_DELIVERY_RETRY_DELAY_SECONDS,
    },
    jobs: { pollingIntervalSeconds: e.BROKER_JOBS_POLLING_SECONDS, maintenanceIntervalSeconds: e.BROKER_JOBS_MAINTENANCE_SECONDS, work: e.BROKER_JOBS_WORK, scheduleCheckSeconds: e.BROKER_JOBS_SCHEDULE_CHECK_SECONDS },
    auditCheckpoints: {
      ...auditKeys,
      exportFile: e.BROKER_AUDIT_CHECKPOINT_FILE
        ? path.resolve(e.BROKER_AUDIT_CHECKPOINT_FILE)
        : demo
          ? path.join(path.resolve(e.BROKER_DATA_DIR), 'audit', 'checkpoints.jsonl')
          : null,
      everyMinutes: e.BROKER_AUDIT_CHECKPOINT_MINUTES,
    },
    securityEvents,
    auditRetention: { policy: retentionPolicy, monthsAhead: e.BROKER_AUDIT_PARTITIONS_AHEAD, at: e.BROKER_AUDIT_RETENTION_AT },
    anomalies: {
      everyMinutes: e.BROKER_ANOMALY_EVERY_MINUTES,
      rules: {
        distinctChildrenPerDay: e.BROKER_ANOMALY_CHILDREN_PER_DAY,
        denialsPerHour: e.BROKER_ANOMALY_DENIALS_PER_HOUR,
        organisationsPerChild: e.BROKER_ANOMALY_ORGANISATIONS_PER_CHILD,
        organisationsWindowHours: e.BROKER_ANOMALY_ORGANISATIONS_WINDOW_HOURS,
        workingHours: { start: Number(e.BROKER_ANOMALY_WORKING_HOURS.slice(0, 2)), end: Number(e.BROKER_ANOMALY_WORKING_HOURS.slice(3)) },
        offHoursExempt: (e.BROKER_ANOMALY_OFF_HOURS_EXEMPT ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0),
        noFollowUpDays: e.BROKER_ANOMALY_NO_FOLLOW_UP_DAYS,
        lookbackHours: e.BROKER_ANOMALY_LOOKBACK_HOURS,
      },
    },
    console: {
      issuer: e.BROKER_CONSOLE_ISSUER ?? null,
      clientId: e.BROKER_CONSOLE_CLIENT_ID,
      clientSecret: e.BROKER_CONSOLE_CLIENT_SECRET ?? null,
      publicUrl: e.BROKER_CONSOLE_URL ? e.BROKER_CONSOLE_URL.replace(/\/+$/, '') : null,
      idleTimeoutSeconds: e.BROKER_CONSOLE_IDLE_TIMEOUT_SECONDS,
      absoluteTimeoutSeconds: e.BROKER_CONSOLE_ABSOLUTE_TIMEOUT_SECONDS,
      devIdpPort: e.BROKER_CONSOLE_DEV_IDP_PORT,
    },
    citizen: { logMonths: e.BROKER_CITIZEN_LOG_MONTHS, withholdMaxMonths: e.BROKER_CITIZEN_WITHHOLD_MAX_MONTHS },
    sorImport: {
      source: e.BROKER_SOR_IMPORT_SOURCE ? (/^https?:\/\//i.test(e.BROKER_SOR_IMPORT_SOURCE) ? e.BROKER_SOR_IMPORT_SOURCE : path.resolve(e.BROKER_SOR_IMPORT_SOURCE)) : null,
      at: e.BROKER_SOR_IMPORT_AT,
      timeZone: 'Europe/Copenhagen',
    },
  };
}

const privateJwkSchema = z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string(), kid: z.string().optional() });
const publicJwkSchema = z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string().optional() });

function readJson(where: string, text: string | undefined, file: string | undefined, problems: string[]): unknown {
  let raw = text;
  if (file) {
    try {
      raw = readFileSync(file, 'utf8');
    } catch {
      problems.push(`${where}: cannot read ${file}`);
      return undefined;
    }
  }
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    problems.push(`${where}: not valid JSON`);
    return undefined;
  }
}

/** The audit signing key never appears in a problem message: only what is wrong with it. */
function readAuditKeys(inline: string | undefined, file: string | undefined, retiredFile: string | undefined, problems: string[]): { signingKey: JWK | null; retiredKeys: JWK[] } {
  if (inline && file) problems.push('BROKER_AUDIT_SIGNING_KEY and BROKER_AUDIT_SIGNING_KEY_FILE: give one, not both');
  const where = file ? 'BROKER_AUDIT_SIGNING_KEY_FILE' : 'BROKER_AUDIT_SIGNING_KEY';
  const key = readJson(where, inline, file, problems);
  let signingKey: JWK | null = null;
  if (key !== undefined) {
    const parsed = privateJwkSchema.safeParse(key);
    if (parsed.success) signingKey = parsed.data as JWK;
    else problems.push(`${where}: must be a private EC P-256 JWK (kty EC, crv P-256, x, y, d)`);
  }
  const retired = readJson('BROKER_AUDIT_RETIRED_KEYS_FILE', undefined, retiredFile, problems);
  let retiredKeys: JWK[] = [];
  if (retired !== undefined) {
    const parsed = z.object({ keys: z.array(publicJwkSchema) }).safeParse(retired);
    if (parsed.success) retiredKeys = parsed.data.keys.map(({ d: _private, ...pub }) => pub as JWK);
    else problems.push('BROKER_AUDIT_RETIRED_KEYS_FILE: must be a JWKS ({"keys": [...]}) of EC P-256 public keys');
  }
  return { signingKey, retiredKeys };
}

function readTrustedIssuers(inline: string | undefined, file: string | undefined, problems: string[]): TrustedIssuerConfig[] {
  if (inline && file) {
    problems.push('BROKER_TRUSTED_ISSUERS and BROKER_TRUSTED_ISSUERS_FILE: give one, not both');
    return [];
  }
  let text: string | undefined = inline;
  let where = 'BROKER_TRUSTED_ISSUERS';
  if (file) {
    where = 'BROKER_TRUSTED_ISSUERS_FILE';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      problems.push(`${where}: cannot read ${file}`);
      return [];
    }
  }
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`${where}: not valid JSON`);
    return [];
  }
  const result = z.array(trustedIssuerSchema).safeParse(json);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${where}[${issue.path.join('.')}]: ${issue.message}`);
    return [];
  }
  const baseDir = file ? path.dirname(path.resolve(file)) : process.cwd();
  const seen = new Set<string>();
  for (const issuer of result.data) {
    if (seen.has(issuer.issuer)) problems.push(`${where}: issuer ${issuer.issuer} is listed twice`);
    seen.add(issuer.issuer);
    if (issuer.jwksFile) issuer.jwksFile = path.resolve(baseDir, issuer.jwksFile);
  }
  return result.data;
}

function readGatewayIdentities(text: string | undefined, problems: string[]): GatewayIdentity[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push('MEDCOM_GATEWAY_IDENTITIES: not valid JSON');
    return [];
  }
  const result = z.array(gatewayIdentitySchema).safeParse(json);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`MEDCOM_GATEWAY_IDENTITIES[${issue.path.join('.')}]: ${issue.message}`);
    return [];
  }
  return result.data;
}
