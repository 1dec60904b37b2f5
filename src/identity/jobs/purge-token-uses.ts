/**
 * Job: forget the token ids of expired tokens, every five minutes. An expired token is refused
 * by its `exp` anyway, so its id no longer needs remembering; deleting is idempotent.
 */
import type { ScheduledJob } from '../../jobs/queue.js';
import { everyMinutes } from '../../jobs/schedule.js';
import type { ReplayGuard } from '../replay-guard.js';

export const PURGE_TOKEN_USES = 'identity-purge-token-uses';

export type PurgeTokenUsesData = Record<string, never>;

export function purgeTokenUsesJob(replayGuard: Pick<ReplayGuard, 'purgeExpired'>): ScheduledJob<PurgeTokenUsesData> {
  return {
    name: PURGE_TOKEN_USES,
    schedule: everyMinutes(5),
    data: {},
    retryLimit: 2,
    retryDelaySeconds: 30,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    async handle() {
      return { purged: await replayGuard.purgeExpired() };
    },
  };
}
