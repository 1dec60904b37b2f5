/**
 * Citizens' blocks in the database. Read per lookup (no cache), so a new block or a withdrawal
 * holds from the next lookup on every instance.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { Block, BlockTarget } from './blocks-rule.js';

export type BlockRow = Selectable<Database['citizen_block']>;

export interface NewBlock {
  readonly childCpr: string;
  readonly target: BlockTarget;
  readonly validFrom: Date;
  readonly validTo: Date | null;
  readonly reason: string | null;
  readonly createdAs: 'self' | 'custody-holder';
  readonly at: Date;
}

export function toBlock(r: BlockRow): Block {
  const target: BlockTarget =
    r.target_kind === 'organisation'
      ? { kind: 'organisation', sor: r.target_sor as string }
      : { kind: 'professional', issuer: r.target_issuer as string, subject: r.target_subject as string };
  return { id: r.id, target, validFrom: new Date(r.valid_from), validTo: r.valid_to ? new Date(r.valid_to) : null };
}

export async function insertBlock(db: Kysely<Database>, b: NewBlock): Promise<BlockRow> {
  return db
    .insertInto('citizen_block')
    .values({
      id: randomUUID(),
      patient_cpr: b.childCpr,
      target_kind: b.target.kind,
      target_sor: b.target.kind === 'organisation' ? b.target.sor : null,
      target_issuer: b.target.kind === 'professional' ? b.target.issuer : null,
      target_subject: b.target.kind === 'professional' ? b.target.subject : null,
      valid_from: b.validFrom,
      valid_to: b.validTo,
      reason: b.reason,
      created_at: b.at,
      created_as: b.createdAs,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The child's blocks not withdrawn (those not yet or no longer in force included: the rule checks the period). */
export async function liveBlocksOf(db: Kysely<Database>, childCpr: string): Promise<Block[]> {
  const rows = await db.selectFrom('citizen_block').selectAll().where('patient_cpr', '=', childCpr).where('withdrawn_at', 'is', null).execute();
  return rows.map(toBlock);
}

/** Every block of the child, newest first, for the citizen's own list. */
export async function listBlocks(db: Kysely<Database>, childCpr: string, withWithdrawn: boolean): Promise<BlockRow[]> {
  let q = db.selectFrom('citizen_block').selectAll().where('patient_cpr', '=', childCpr);
  if (!withWithdrawn) q = q.where('withdrawn_at', 'is', null);
  return q.orderBy('created_at', 'desc').orderBy('id').limit(500).execute();
}

/**
 * Withdraws the child's block `id`. Undefined when the child has no such block (another child's
 * block id is not found either), the row unchanged when it was already withdrawn.
 */
export async function withdrawBlock(db: Kysely<Database>, childCpr: string, id: string, at: Date): Promise<BlockRow | undefined> {
  const updated = await db
    .updateTable('citizen_block')
    .set({ withdrawn_at: at })
    .where('id', '=', id)
    .where('patient_cpr', '=', childCpr)
    .where('withdrawn_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  return db.selectFrom('citizen_block').selectAll().where('id', '=', id).where('patient_cpr', '=', childCpr).executeTakeFirst();
}
