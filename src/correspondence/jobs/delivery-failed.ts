/**
 * Job (dead letter of deliver-message): the delivery's retries are exhausted, or its last try
 * never finished. The message surfaces as failed in the sender's list, unless it moved on.
 */
import { sql } from 'kysely';
import type { JobDefinition } from '../../jobs/queue.js';
import type { CorrespondenceContext } from '../context.js';
import type { DeliverMessageData } from './deliver-message.js';

export const DELIVERY_FAILED = 'correspondence-delivery-failed';

export function deliveryFailedJob(ctx: CorrespondenceContext): JobDefinition<DeliverMessageData> {
  return {
    name: DELIVERY_FAILED,
    retryLimit: 10,
    retryDelaySeconds: 10,
    retryBackoff: true,
    expireInSeconds: 60,
    async handle(data) {
      const failed = await ctx.db
        .updateTable('correspondence_message')
        .set({ status: 'failed', failure: sql<string>`coalesce(failure, 'delivery did not complete') || ' (retries exhausted)'`, updated_at: ctx.clock() })
        .where('id', '=', data.messageId)
        .where('status', '=', 'queued')
        .returning('id')
        .executeTakeFirst();
      if (failed) ctx.logger.warn({ requestId: data.requestId, messageId: data.messageId }, 'message failed: delivery retries exhausted');
    },
  };
}
