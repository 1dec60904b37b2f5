/**
 * Job: daily at BROKER_AUDIT_RETENTION_AT (Copenhagen), create the audit partitions of this month
 * and the next BROKER_AUDIT_PARTITIONS_AHEAD months, and expire the class months whose retention
 * has run out. Both run as the schema owner (`owner()`: DATABASE_MIGRATION_URL, or the broker's own
 * connection where it owns the schema), since the runtime role may neither create nor drop tables.
 * Idempotent: existing months are left alone, and an expired month is gone, so a retry expires
 * nothing twice.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import type { JobRunSummary, ScheduledJob } from '../../jobs/queue.js';
import { dailyAt } from '../../jobs/schedule.js';
import type { CheckpointSigner } from '../checkpoints.js';
import type { RetentionPolicy } from '../retention.js';
import { createAuditPartitions, expireAuditRecords } from '../retention-store.js';

export const AUDIT_RETENTION = 'audit-retention';

export type AuditRetentionData = Record<string, never>;

export interface OwnerConnection {
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export function auditRetentionJob(deps: {
  readonly owner: () => Promise<OwnerConnection>;
  readonly policy: RetentionPolicy;
  readonly monthsAhead: number;
  /** Without a signing key nothing is expired: where retained history starts must be signed. */
  readonly signer: CheckpointSigner | null;
  readonly at: string;
  readonly now?: () => Date;
}): ScheduledJob<AuditRetentionData> {
  return {
    name: AUDIT_RETENTION,
    schedule: dailyAt(deps.at),
    data: {},
    retryLimit: 5,
    retryDelaySeconds: 300,
    retryBackoff: true,
    expireInSeconds: 60 * 60,
    async handle(): Promise<JobRunSummary> {
      const now = deps.now?.() ?? new Date();
      const owner = await deps.owner();
      try {
        const created = await createAuditPartitions(owner.db, now, deps.monthsAhead);
        if (!deps.signer) return { created: created.length, expired: 0, skipped: 'no audit signing key' };
        const result = await expireAuditRecords(owner.db, { policy: deps.policy, signer: deps.signer, now });
        return { created: created.length, expired: result.expired.length, records: result.expired.reduce((n, e) => n + e.records, 0), retainedFrom: result.retainedFrom };
      } finally {
        await owner.close();
      }
    },
  };
}
