/**
 * The correspondence capability: MedCom send/receive/acknowledge, inbox and threads, and the
 * delivery jobs. Built by the composition root, which starts the job queue after registering.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import { fileDropTransport, httpGatewayTransport, noTransport, type MedComTransport } from '../../adapters/transport/index.js';
import type { Decision, DecisionRequest } from '../agreements/decision.js';
import type { Capability } from '../app.js';
import { type AuditWriter, createAuditWriter } from '../audit/audit-writer.js';
import type { MedComConfig } from '../config/config.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { JobQueue } from '../jobs/queue.js';
import type { CorrespondenceContext } from './context.js';
import { medcomInboundRoutes } from './inbound-routes.js';
import { ackTimeoutJob } from './jobs/ack-timeout.js';
import { deliverAcknowledgementJob } from './jobs/deliver-acknowledgement.js';
import { deliverMessageJob } from './jobs/deliver-message.js';
import { deliveryFailedJob } from './jobs/delivery-failed.js';
import { createPartyResolver } from './parties.js';
import { correspondenceRoutes } from './routes.js';

export { sendMessage, type SendRequest, type SendResult } from './send.js';
export { receiveInbound, type InboundReceipt } from './receive.js';
export type { CorrespondenceContext } from './context.js';

export interface CorrespondenceDeps {
  readonly db: Kysely<Database>;
  readonly directory: Pick<DirectoryCache, 'view' | 'onChange'>;
  readonly decide: (request: DecisionRequest) => Decision;
  readonly queue: JobQueue;
  readonly config: MedComConfig;
  readonly logger: Logger;
  /** The broker's shared audit writer; one is made over `db` when not given. */
  readonly audit?: AuditWriter;
  /** Overrides the configured transport (tests). */
  readonly transport?: MedComTransport;
  readonly clock?: () => Date;
  readonly observeMessage?: CorrespondenceContext['observeMessage'];
}

export interface CorrespondenceCapability {
  readonly capabilities: readonly Capability[];
  readonly context: CorrespondenceContext;
}

/** The transport the configuration asks for: gateway URL, else file drop, else none. */
export function transportFromConfig(config: MedComConfig): MedComTransport {
  if (config.gatewayUrl) return httpGatewayTransport({ url: config.gatewayUrl });
  if (config.fileDropDir) return fileDropTransport({ dir: config.fileDropDir });
  return noTransport;
}

export function createCorrespondenceCapability(deps: CorrespondenceDeps): CorrespondenceCapability {
  const ctx: CorrespondenceContext = {
    db: deps.db,
    queue: deps.queue,
    transport: deps.transport ?? transportFromConfig(deps.config),
    config: deps.config,
    parties: createPartyResolver({ db: deps.db, directory: deps.directory }),
    logger: deps.logger.child({ capability: 'correspondence' }),
    ids: randomUUID,
    clock: deps.clock ?? (() => new Date()),
    observeMessage: deps.observeMessage ?? (() => undefined),
  };
  const audit = deps.audit ?? createAuditWriter(deps.db);
  deps.queue.register(deliveryFailedJob(ctx));
  deps.queue.register(deliverMessageJob(ctx));
  deps.queue.register(ackTimeoutJob(ctx));
  deps.queue.register(deliverAcknowledgementJob(ctx));
  // Base64 grows attachments by a third; allow the largest message plus JSON overhead.
  const bodyLimitBytes = Math.ceil(deps.config.maxMessageBytes * 1.4) + 64 * 1024;
  return {
    context: ctx,
    capabilities: [
      { path: '/correspondence', router: correspondenceRoutes({ ctx, audit, decide: deps.decide }), bodyLimitBytes },
      { path: '/medcom', router: medcomInboundRoutes({ ctx, audit }), bodyLimitBytes, rawBody: true },
    ],
  };
}
