import { type Kysely, sql } from 'kysely';

/**
 * The audit log becomes append-only in the database itself, not by convention:
 * - no UPDATE, DELETE or TRUNCATE of audit records or checkpoints, by anyone short of the table
 *   owner disabling the triggers (which the runtime role cannot: it does not own the tables);
 * - the chain head only moves forward, so deleting the newest records and resetting the head is
 *   refused too;
 * - `hash_scheme` 2 puts `recorded_at` in the hash (records written before this stay scheme 1);
 * - signed checkpoints of the chain head (`audit_checkpoint`);
 * - the `broker_runtime` role the service should run as (README, "Operating the database"):
 *   everything it needs, but only SELECT and INSERT on the audit tables.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_event add column hash_scheme smallint not null default 1`.execute(db);

  await db.schema
    .createTable('audit_checkpoint')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .execute();

  await sql`
    create function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit records are append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create function audit_head_forward_only() returns trigger language plpgsql as $$
    begin
      if new.seq <= old.seq or new.id <> old.id then
        raise exception 'the audit chain head only moves forward' using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`.execute(db);
  for (const table of ['audit_event', 'audit_checkpoint']) {
    await sql`create trigger ${sql.raw(`${table}_no_update_delete`)} before update or delete on ${sql.table(table)}
      for each row execute function audit_refuse_change()`.execute(db);
  }
  for (const table of ['audit_event', 'audit_checkpoint', 'audit_chain_head']) {
    await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function audit_refuse_change()`.execute(db);
  }
  await sql`create trigger audit_chain_head_no_delete before delete on audit_chain_head
    for each row execute function audit_refuse_change()`.execute(db);
  await sql`create trigger audit_chain_head_forward before update on audit_chain_head
    for each row execute function audit_head_forward_only()`.execute(db);

  // The runtime role. Creating it needs CREATEROLE; where the migrating role lacks it, the
  // operator creates it (README) and the grants below are given when it exists.
  await sql`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'broker_runtime') then
        begin
          create role broker_runtime nologin;
        exception
          when insufficient_privilege then raise notice 'broker_runtime not created: the migrating role may not create roles';
          -- Roles are cluster-wide: another database's migration created it at the same moment.
          when duplicate_object or unique_violation then null;
        end;
      end if;
      if exists (select 1 from pg_roles where rolname = 'broker_runtime') then
        execute format('grant usage on schema %I to broker_runtime', current_schema());
        execute format('grant select, insert, update, delete on all tables in schema %I to broker_runtime', current_schema());
        execute format('grant usage, select, update on all sequences in schema %I to broker_runtime', current_schema());
        execute format('revoke update, delete, truncate on audit_event, audit_checkpoint from broker_runtime');
        execute format('revoke delete, truncate on audit_chain_head from broker_runtime');
        execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to broker_runtime', current_schema());
        execute format('alter default privileges in schema %I grant usage, select, update on sequences to broker_runtime', current_schema());
      end if;
    end $$`.execute(db);
}
