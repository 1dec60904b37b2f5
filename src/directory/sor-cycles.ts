/**
 * The parent-cycle check of an import, in SQL over the staging table, so the importer need not
 * keep every parent link in memory. Nesting alone cannot loop (the parser builds a tree), so a
 * loop must pass through an explicit parent reference that differs from the enclosing entity:
 * only walks starting there are followed, and only the few links on a loop come back to format
 * the message exactly as `checkParentCycles` does.
 */
import { type Transaction, sql } from 'kysely';
import { checkParentCycles } from '../../adapters/sor/index.js';
import type { Database } from '../../db/schema/index.js';

export async function findParentCycles(trx: Transaction<Database>): Promise<readonly (readonly string[])[]> {
  const { rows } = await sql<{ sor: string; parent_sor: string | null; declared_parent_sor: string | null }>`
    with recursive walk (start, node) as (
      select sor, declared_parent_sor from sor_staging
      where declared_parent_sor is not null and declared_parent_sor is distinct from parent_sor
      union all
      select w.start, coalesce(s.declared_parent_sor, s.parent_sor)
      from walk w join sor_staging s on s.sor = w.node
      where w.node <> w.start
    ) cycle node set looped using trail,
    on_loop as (select distinct start from walk where node = start and not looped)
    select s.sor, s.parent_sor, s.declared_parent_sor from sor_staging s
    where s.sor in (select w.node from walk w join on_loop l on l.start = w.start)`.execute(trx);
  if (rows.length === 0) return [];
  return checkParentCycles(rows.map((r) => ({ sor: r.sor, parentSor: r.parent_sor, declaredParentSor: r.declared_parent_sor })));
}
