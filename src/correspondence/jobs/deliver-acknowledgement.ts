/**
 * Job: send the Acknowledgement of a received message back to its sender through the transport.
 * The acknowledgement is stored with the message, so a retry (or a duplicate's re-answer) sends
 * exactly the same one.
 */
import { wrapInVansEnvelope, type JsonObject } from '../../../adapters/medcom/index.js';
import type { JobDefinition } from '../../jobs/queue.js';
import type { CorrespondenceContext } from '../context.js';
import { findMessage } from '../store.js';

export interface DeliverAcknowledgementData {
  readonly messageId: string;
  readonly requestId: string | null;
}

export const DELIVER_ACKNOWLEDGEMENT = 'correspondence-deliver-acknowledgement';

export function deliverAcknowledgementJob(ctx: CorrespondenceContext): JobDefinition<DeliverAcknowledgementData> {
  return {
    name: DELIVER_ACKNOWLEDGEMENT,
    retryLimit: 8,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: ctx.config.deliveryTimeoutSeconds,
    async handle(data) {
      const row = await findMessage(ctx.db, data.messageId);
      if (!row || row.direction !== 'in' || !row.acknowledgement_sent) return;
      const ack = row.acknowledgement_sent as JsonObject;
      const envelopeId = typeof ack['id'] === 'string' ? ack['id'] : row.id;
      const xml = wrapInVansEnvelope({
        bundle: ack,
        encoding: row.encoding,
        documentName: `MCM:FCTL#${row.acknowledgement_code ?? 'ok'}`,
        senderEan: row.organisation_ean,
        receiverEan: row.counterpart_ean,
        envelopeId,
        clock: ctx.clock,
      });
      const result = await ctx.transport.deliver({ envelopeId, receiverEan: row.counterpart_ean, xml });
      if (result.outcome === 'transient') throw new Error(`acknowledgement delivery failed: ${result.reason}`);
      if (result.outcome === 'permanent') {
        ctx.logger.warn({ requestId: data.requestId, messageId: row.id, reason: result.reason }, 'acknowledgement refused by the transport');
      }
    },
  };
}
