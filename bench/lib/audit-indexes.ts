/**
 * The secondary indexes of `audit_event`, for benchmarks that drop them while they fill the store
 * and rebuild them after (as a restore would). `audit_event` is partitioned, and pg_indexes gives
 * the parent's definitions as `ON ONLY`, which would build an empty, invalid parent index and
 * leave every partition unindexed: rebuilt without `ONLY`, each builds on every partition.
 */
export interface AuditIndex {
  readonly name: string;
  /** CREATE INDEX statement that builds on every partition. */
  readonly create: string;
}

export const SECONDARY_AUDIT_INDEXES_SQL = `
  select indexname, indexdef from pg_indexes where tablename = 'audit_event' and schemaname = current_schema()
    and indexname not in ('audit_event_pkey', 'audit_event_id_key')`;

export function auditIndexes(rows: ReadonlyArray<{ indexname: string; indexdef: string }>): AuditIndex[] {
  return rows.map((r) => ({ name: r.indexname, create: r.indexdef.replace(/ ON ONLY /, ' ON ') }));
}
