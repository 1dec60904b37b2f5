/**
 * Job: send an Acknowledgement back to the sender of a received message through the transport.
 * The job carries the acknowledgement itself (it is small), so acknowledgements of rejected
 * messages, which are not stored, travel the same way; a duplicate's re-answer sends the stored
 * original again.
 */
import { wrapInVansEnvelope, type AcknowledgementCode, type JsonObject } from '../../../adapters/medcom/index.js';
import type { JobDefinition } from '../../jobs/queue.js';
import type { CorrespondenceContext } from '../context.js';

export interface DeliverAcknowledgementData {
  readonly acknowledgement: JsonObject;
  readonly code: AcknowledgementCode;
  readonly encoding: 'json' | 'xml';
  /** Our GLN (the acknowledgement's sender) and theirs. */
  readonly ourEan: string;
  readonly theirEan: string;
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
      const envelopeId = typeof data.acknowledgement['id'] === 'string' ? data.acknowledgement['id'] : ctx.ids();
      const xml = wrapInVansEnvelope({
        bundle: data.acknowledgement,
        encoding: data.encoding,
        documentName: `MCM:FCTL#${data.code}`,
        senderEan: data.ourEan,
        receiverEan: data.theirEan,
        envelopeId,
        clock: ctx.clock,
      });
      const result = await ctx.transport.deliver({ envelopeId, receiverEan: data.theirEan, xml });
      if (result.outcome === 'transient') throw new Error(`acknowledgement delivery failed: ${result.reason}`);
      if (result.outcome !== 'permanent') ctx.observeMessage({ direction: 'outbound', kind: 'acknowledgement', ackCode: data.code });
      if (result.outcome === 'permanent') {
        ctx.logger.warn({ requestId: data.requestId, reason: result.reason }, 'acknowledgement refused by the transport');
      }
    },
  };
}
