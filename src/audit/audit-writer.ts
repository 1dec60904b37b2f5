/**
 * Durable, tamper-evident audit writes with group commit. Callers await `write()`, which resolves
 * only once the record is committed; records arriving while a batch commits join the next batch,
 * so one transaction (one hash-chain lock) serves many concurrent lookups. If the write fails,
 * the promise rejects and the caller must fail closed.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { createGroupCommit } from '../platform/group-commit.js';
import { type AuditEventInput, type AuditKind, type AuditOutcome, type ChainedFields, chainHash } from './audit-event.js';

export interface AuditWriter {
  /** Resolves with the record's id once it is durable. */
  write(event: AuditEventInput): Promise<string>;
  /** Waits for pending records. */
  drain(): Promise<void>;
}

interface Pending {
  readonly event: AuditEventInput;
  readonly id: string;
}

export function createAuditWriter(db: Kysely<Database>, options: { maxBatch?: number } = {}): AuditWriter {
  async function commit(batch: readonly Pending[]): Promise<string[]> {
    await db.transaction().execute(async (trx) => {
      const head = await sql<{ seq: string; hash: string }>`select seq::text as seq, hash from audit_chain_head where id = 1 for update`.execute(trx);
      let { seq, hash } = head.rows[0] as { seq: string; hash: string };
      const recordedAt = new Date();
      const rows = batch.map(({ event, id }) => {
        seq = (BigInt(seq) + 1n).toString();
        const fields: ChainedFields = {
          seq,
          id,
          occurredAt: event.occurredAt.toISOString(),
          kind: event.kind,
          outcome: event.outcome,
          requestId: event.requestId,
          actor: event.actor,
          purpose: event.purpose,
          reason: event.reason,
          patientCpr: event.patientCpr,
          details: event.details,
        };
        const prev = hash;
        hash = chainHash(prev, fields);
        return {
          seq,
          id,
          occurred_at: event.occurredAt,
          recorded_at: recordedAt,
          kind: event.kind,
          outcome: event.outcome,
          request_id: event.requestId,
          actor_issuer: event.actor.issuer,
          actor_subject: event.actor.subject,
          actor_name: event.actor.displayName,
          actor_role: event.actor.role,
          actor_organisation: event.actor.organisationSor,
          actor_assurance: event.actor.assurance,
          calling_system: event.actor.callingSystem,
          purpose: event.purpose,
          reason: event.reason,
          patient_cpr: event.patientCpr,
          details: JSON.stringify(event.details),
          prev_hash: prev,
          hash,
        };
      });
      await trx.insertInto('audit_event').values(rows).execute();
      await trx.updateTable('audit_chain_head').set({ seq, hash }).where('id', '=', 1).execute();
    });
    return batch.map((p) => p.id);
  }

  const group = createGroupCommit(commit, options);
  return {
    write: (event) => group.submit({ event, id: randomUUID() }),
    drain: () => group.drain(),
  };
}

export interface ChainVerification {
  readonly ok: boolean;
  readonly checked: number;
  /** The first row whose hash does not follow from its content and predecessor. */
  readonly brokenAt: string | null;
}

/** Recomputes the hash chain, in pages, and reports the first break. */
export async function verifyAuditChain(db: Kysely<Database>, pageSize = 5000): Promise<ChainVerification> {
  let prev = '0'.repeat(64);
  let after = '0';
  let checked = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_event').selectAll().where(sql<boolean>`seq > ${after}::bigint`).orderBy(sql`seq`).limit(pageSize).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const expectedSeq = (BigInt(after) + 1n).toString();
      const fields: ChainedFields = {
        seq: r.seq,
        id: r.id,
        occurredAt: r.occurred_at.toISOString(),
        kind: r.kind as AuditKind,
        outcome: r.outcome as AuditOutcome,
        requestId: r.request_id,
        actor: {
          issuer: r.actor_issuer, subject: r.actor_subject, displayName: r.actor_name, role: r.actor_role,
          organisationSor: r.actor_organisation, assurance: r.actor_assurance, callingSystem: r.calling_system,
        },
        purpose: r.purpose,
        reason: r.reason,
        patientCpr: r.patient_cpr,
        details: r.details,
      };
      if (String(r.seq) !== expectedSeq || r.prev_hash !== prev || chainHash(prev, fields) !== r.hash) {
        return { ok: false, checked, brokenAt: String(r.seq) };
      }
      prev = r.hash;
      after = String(r.seq);
      checked += 1;
    }
  }
  const head = await db.selectFrom('audit_chain_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  const headOk = String(head.seq) === after && head.hash === prev;
  return { ok: headOk, checked, brokenAt: headOk ? null : after };
}
