/**
 * Job: run the anomaly rules over the audit log every BROKER_ANOMALY_EVERY_MINUTES (hourly by
 * default). Idempotent: a period already flagged is not flagged again, so a retried or
 * overlapping run stores nothing twice.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import type { ScheduledJob } from '../../jobs/queue.js';
import { everyMinutes } from '../../jobs/schedule.js';
import { type AnomalyRulesConfig, flagSecurityEvent, runAnomalyRules } from '../anomaly.js';
import type { SecurityEvents } from '../../security-events/security-events.js';

export const ANOMALY_REVIEW = 'anomaly-review';

export type AnomalyReviewData = Record<string, never>;

export function anomalyReviewJob(deps: {
  readonly db: Kysely<Database>;
  readonly rules: AnomalyRulesConfig;
  readonly everyMinutes: number;
  /** Told of each new flag. */
  readonly securityEvents?: SecurityEvents;
}): ScheduledJob<AnomalyReviewData> {
  return {
    name: ANOMALY_REVIEW,
    schedule: everyMinutes(deps.everyMinutes),
    data: {},
    retryLimit: 3,
    retryDelaySeconds: 60,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    async handle() {
      const now = new Date();
      const { flagged, found } = await runAnomalyRules(deps.db, deps.rules, now, (flag) => deps.securityEvents?.emit(flagSecurityEvent(flag, now)));
      return { found, flagged: flagged.length };
    },
  };
}
