/**
 * Audit records over a period, in chain order, a page at a time (keyset on seq): memory stays
 * constant however long the period, and the last seq written is a cursor to resume from.
 */
import type { Kysely, QueryCreator } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import { type ExportRecord, exportRecordFromRow } from './record.js';

export interface ExportPeriod {
  /** recorded_at at or after (inclusive). */
  readonly from?: Date;
  /** recorded_at before (exclusive). */
  readonly to?: Date;
  /** Resume after this seq (the cursor a previous export ended at). */
  readonly afterSeq?: string;
}

function periodQuery(db: QueryCreator<Database>, p: ExportPeriod) {
  let q = db.selectFrom('audit_event');
  if (p.from) q = q.where('recorded_at', '>=', p.from);
  if (p.to) q = q.where('recorded_at', '<', p.to);
  if (p.afterSeq) q = q.where('seq', '>', p.afterSeq);
  return q;
}

export async function countAuditRecords(db: Kysely<Database>, p: ExportPeriod): Promise<number> {
  const row = await periodQuery(db, p).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The chain positions the period lies within, from the recorded_at index: the pages walk the
 * chain in seq order between them instead of from its start to its end. (recorded_at follows seq
 * only roughly when several instances write, so the period's own bounds still filter each page.)
 */
async function seqBounds(db: Kysely<Database>, p: ExportPeriod): Promise<{ first: string | null; last: string | null; empty: boolean }> {
  if (!p.from && !p.to) return { first: null, last: null, empty: false };
  // Materialised, so that PostgreSQL reads the period from the (recorded_at, seq) index instead of
  // turning min(seq) into a walk of the whole chain from its start until the period begins.
  const row = await db
    .with((cte) => cte('period').materialized(), (qb) => periodQuery(qb, p).select('seq'))
    .selectFrom('period')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .executeTakeFirstOrThrow();
  return { first: row.first === null ? null : String(row.first), last: row.last === null ? null : String(row.last), empty: row.first === null };
}

export async function* readAuditRecords(db: Kysely<Database>, p: ExportPeriod, pageSize = 1000): AsyncGenerator<ExportRecord> {
  const bounds = await seqBounds(db, p);
  if (bounds.empty) return;
  let after = p.afterSeq ?? (bounds.first ? (BigInt(bounds.first) - 1n).toString() : undefined);
  for (;;) {
    let page = periodQuery(db, { ...p, ...(after ? { afterSeq: after } : {}) });
    if (bounds.last) page = page.where('seq', '<=', bounds.last);
    const rows = await page
      .selectAll()
      .orderBy('seq', 'asc')
      .limit(pageSize)
      .execute();
    for (const row of rows) yield exportRecordFromRow(row);
    if (rows.length < pageSize) return;
    after = String(rows[rows.length - 1]?.seq);
  }
}
