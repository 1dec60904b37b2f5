/**
 * Job: no acknowledgement arrived within the timeout for one Bundle.id. MedCom lets the sender
 * resend, at most twice, with a new Bundle.id and the same MessageHeader.id; after that the
 * message is marked failed. Runs under the row lock and does nothing if the state moved on.
 */
import type { JobDefinition } from '../../jobs/queue.js';
import type { CorrespondenceContext } from '../context.js';
import { lockMessage, updateMessage } from '../store.js';
import { DELIVER_MESSAGE, deliverMessageJob } from './deliver-message.js';

export interface AckTimeoutData {
  readonly messageId: string;
  /** The Bundle.id whose acknowledgement is awaited; a resend makes this job stale. */
  readonly bundleId: string;
  readonly requestId: string | null;
}

export const ACK_TIMEOUT = 'correspondence-ack-timeout';

/** How a transient-error acknowledgement is noted in `failure` until the message is resent. */
export const TRANSIENT_ERROR = 'transient-error';

export function ackTimeoutJob(ctx: CorrespondenceContext): JobDefinition<AckTimeoutData> {
  return {
    name: ACK_TIMEOUT,
    retryLimit: 10,
    retryDelaySeconds: 10,
    retryBackoff: true,
    expireInSeconds: 60,
    async handle(data) {
      let outcome = 'stale' as 'stale' | 'resent' | 'failed';
      await ctx.db.transaction().execute(async (trx) => {
        const row = await lockMessage(trx, data.messageId);
        if (!row || row.status !== 'sent' || row.bundle_id !== data.bundleId) return;
        if (row.resends >= ctx.config.maxResends) {
          const resends = `${row.resends} resend${row.resends === 1 ? '' : 's'}`;
          await updateMessage(trx, row.id, {
            status: 'failed',
            // The last answer was "try again later" (see receive.ts), or there was none.
            failure: row.failure?.startsWith(TRANSIENT_ERROR) ? `${row.failure} (after ${resends})` : `no acknowledgement after ${resends}`,
          });
          outcome = 'failed';
          return;
        }
        const bundleId = ctx.ids();
        await updateMessage(trx, row.id, {
          status: 'queued',
          bundle_id: bundleId,
          bundle: { ...row.bundle, id: bundleId },
          resends: row.resends + 1,
          attempts: 0,
          failure: null,
        });
        await ctx.queue.send(deliverMessageJob(ctx), { messageId: row.id, requestId: data.requestId }, { trx });
        outcome = 'resent';
      });
      if (outcome === 'resent') ctx.queue.wake({ name: DELIVER_MESSAGE });
      if (outcome === 'failed') ctx.logger.warn({ requestId: data.requestId, messageId: data.messageId }, 'message failed: no acknowledgement after the allowed resends');
      ctx.logger.info({ requestId: data.requestId, messageId: data.messageId, outcome, queue: DELIVER_MESSAGE }, 'acknowledgement timeout handled');
    },
  };
}
