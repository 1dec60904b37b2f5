/**
 * Job: hand one outbound CareCommunication to the transport in a VANSEnvelope (as FHIR, or as an
 * XDIS91 letter for an OIOXML-only receiver). Transient failures
 * throw, so pg-boss retries with backoff; a delivery that never finishes (crash) expires and is
 * retried with the same Bundle.id, which the receiver recognises as a duplicate. Once delivered,
 * the acknowledgement timeout is scheduled in the same transaction that marks the message sent.
 */
import { MedComFormatError, careCommunicationToXdis91, parseCareCommunication, wrapInVansEnvelope, wrapXdis91InVansEnvelope, xdis91Ids, type JsonObject } from '../../../adapters/medcom/index.js';
import type { JobDefinition } from '../../jobs/queue.js';
import type { CorrespondenceContext } from '../context.js';
import { findMessage, markSent, updateMessage } from '../store.js';
import { ackTimeoutJob } from './ack-timeout.js';
import { DELIVERY_FAILED } from './delivery-failed.js';

export interface DeliverMessageData {
  readonly messageId: string;
  readonly requestId: string | null;
}

export const DELIVER_MESSAGE = 'correspondence-deliver-message';

export function deliverMessageJob(ctx: CorrespondenceContext): JobDefinition<DeliverMessageData> {
  return {
    name: DELIVER_MESSAGE,
    retryLimit: ctx.config.deliveryRetryLimit,
    retryDelaySeconds: ctx.config.deliveryRetryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: ctx.config.deliveryTimeoutSeconds,
    // Retries exhausted (or the last try crashed): the message is marked failed there.
    deadLetter: DELIVERY_FAILED,
    async handle(data) {
      const row = await findMessage(ctx.db, data.messageId);
      if (!row || row.direction !== 'out' || row.status !== 'queued') return;
      let letter: Buffer | undefined;
      if (row.encoding === 'oioxml') {
        try {
          // The same letter id on every resend; a new envelope id per Bundle.id.
          letter = careCommunicationToXdis91({ message: parseCareCommunication(row.bundle), ids: xdis91Ids({ bundleId: row.bundle_id, messageHeaderId: row.message_header_id }), sentAt: ctx.clock() });
        } catch (error) {
          // Refused at send time already; should a stored message still not fit a letter, retrying will not help.
          if (!(error instanceof MedComFormatError)) throw error;
          await updateMessage(ctx.db, row.id, { status: 'failed', failure: `cannot be written as an OIOXML letter: ${error.message}` });
          ctx.logger.warn({ requestId: data.requestId, messageId: row.id }, 'message failed: not expressible as XDIS91');
          return;
        }
      }
      const xml =
        letter
          ? wrapXdis91InVansEnvelope({
              letter,
              senderEan: row.organisation_ean,
              receiverEan: row.counterpart_ean,
              envelopeId: row.bundle_id,
              clock: ctx.clock,
            })
          : wrapInVansEnvelope({
              bundle: row.bundle as JsonObject,
              encoding: row.encoding === 'xml' ? 'xml' : 'json',
              category: row.category,
              senderEan: row.organisation_ean,
              receiverEan: row.counterpart_ean,
              envelopeId: row.bundle_id,
              clock: ctx.clock,
            });
      const result = await ctx.transport.deliver({ envelopeId: row.bundle_id, receiverEan: row.counterpart_ean, xml });
      const log = ctx.logger.child({ requestId: data.requestId, messageId: row.id });
      if (result.outcome === 'transient') {
        await updateMessage(ctx.db, row.id, { attempts: row.attempts + 1, failure: result.reason });
        log.warn({ attempts: row.attempts + 1, reason: result.reason }, 'delivery failed; retrying');
        throw new Error(`delivery failed: ${result.reason}`);
      }
      if (result.outcome === 'permanent') {
        await updateMessage(ctx.db, row.id, { status: 'failed', attempts: row.attempts + 1, failure: result.reason });
        log.warn({ reason: result.reason }, 'delivery refused');
        return;
      }
      await ctx.db.transaction().execute(async (trx) => {
        // An acknowledgement may have overtaken us; never step back from it.
        if (!(await markSent(trx, row.id, row.bundle_id, ctx.clock()))) return;
        await ctx.queue.send(
          ackTimeoutJob(ctx),
          { messageId: row.id, bundleId: row.bundle_id, requestId: data.requestId },
          { trx, startAfterSeconds: ctx.config.ackTimeoutSeconds, singletonKey: `ack-timeout:${row.bundle_id}` },
        );
      });
      ctx.observeMessage({ direction: 'outbound', kind: 'care-communication', ackCode: 'none' });
      log.info({ transport: ctx.transport.kind }, 'message delivered');
    },
  };
}
