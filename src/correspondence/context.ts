import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { MedComTransport } from '../../adapters/transport/index.js';
import type { MedComConfig } from '../config/config.js';
import type { JobQueue } from '../jobs/queue.js';
import type { PartyResolver } from './parties.js';
import type { MedComMessageObservation } from '../metrics/metrics.js';

/** What the correspondence commands and jobs share; built once by the capability. */
export interface CorrespondenceContext {
  readonly db: Kysely<Database>;
  readonly queue: JobQueue;
  readonly transport: MedComTransport;
  readonly config: MedComConfig;
  readonly parties: PartyResolver;
  readonly logger: Logger;
  /** New UUIDs (v4). */
  readonly ids: () => string;
  readonly clock: () => Date;
  /** Told of each MedCom message received or delivered (metrics). */
  readonly observeMessage: (message: MedComMessageObservation) => void;
}
