/**
 * Job: expire agreement versions whose validity period has ended, every minute. Decisions
 * already treat an ended period as not in force, so this only brings the stored status (and the
 * overview, and the history) in line; it is safe to run late, twice, or on two instances.
 */
import type { ScheduledJob } from '../../jobs/queue.js';
import { everyMinutes } from '../../jobs/schedule.js';
import type { AgreementService } from '../service.js';

export const EXPIRE_AGREEMENTS = 'agreements-expire';

export type ExpireAgreementsData = Record<string, never>;

export function expireAgreementsJob(service: Pick<AgreementService, 'expireDue'>): ScheduledJob<ExpireAgreementsData> {
  return {
    name: EXPIRE_AGREEMENTS,
    schedule: everyMinutes(1),
    data: {},
    retryLimit: 2,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    async handle() {
      // expireDue re-reads each agreement under its row lock and skips one already expired.
      return { expired: await service.expireDue() };
    },
  };
}
