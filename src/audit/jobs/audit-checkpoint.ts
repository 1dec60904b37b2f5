/**
 * Job: sign the audit chain head every few minutes (BROKER_AUDIT_CHECKPOINT_MINUTES) and export
 * the checkpoint outside the database. Idempotent: nothing new since the last checkpoint, nothing
 * signed; two instances signing the same head store it once.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import type { ScheduledJob } from '../../jobs/queue.js';
import { everyMinutes } from '../../jobs/schedule.js';
import { type CheckpointSigner, writeCheckpoint } from '../checkpoints.js';

export const AUDIT_CHECKPOINT = 'audit-checkpoint';

export type AuditCheckpointData = Record<string, never>;

export function auditCheckpointJob(deps: {
  readonly db: Kysely<Database>;
  readonly signer: CheckpointSigner;
  readonly exportFile: string | null;
  readonly everyMinutes: number;
}): ScheduledJob<AuditCheckpointData> {
  return {
    name: AUDIT_CHECKPOINT,
    schedule: everyMinutes(deps.everyMinutes),
    data: {},
    retryLimit: 3,
    retryDelaySeconds: 20,
    retryBackoff: true,
    expireInSeconds: 5 * 60,
    async handle() {
      const checkpoint = await writeCheckpoint(deps.db, deps.signer, { exportFile: deps.exportFile });
      return { signedSeq: checkpoint?.seq ?? null, keyId: checkpoint?.keyId ?? null };
    },
  };
}
