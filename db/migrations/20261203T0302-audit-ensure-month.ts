import { type Kysely, sql } from 'kysely';

/**
 * `audit_ensure_month(month, classes)`: the month's audit partitions, made if missing, callable by
 * the runtime role. Without it, a broker whose retention job had not run for longer than the
 * partitions made ahead (or whose clock reached a month early) could write no audit record at all,
 * and so answer nothing. SECURITY DEFINER: the partitions belong to the schema owner as the others
 * do; the runtime role gains only the power to create empty partitions of the audit table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function audit_ensure_month(month date, classes jsonb) returns void
    language plpgsql security definer set search_path from current as $$
    begin
      perform audit_create_month(date_trunc('month', month)::date, classes);
    end $$`.execute(db);
  await sql`revoke all on function audit_ensure_month(date, jsonb) from public`.execute(db);
  await sql`
    do $$ begin
      if exists (select 1 from pg_roles where rolname = 'broker_runtime') then
        grant execute on function audit_ensure_month(date, jsonb) to broker_runtime;
      end if;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function audit_ensure_month(date, jsonb)`.execute(db);
}
