import { type Kysely, sql } from 'kysely';

/**
 * Retention of the audit log: `audit_event` becomes a table partitioned by month of `recorded_at`
 * (UTC), each month partitioned again by record class (list of `kind`s), so that expiring a class's
 * month is dropping one partition, not deleting millions of rows.
 *
 * - The new table is made `LIKE` the old one, so every column earlier migrations added carries
 *   over; its non-unique indexes and its triggers are recreated from their definitions. A partitioned
 *   table's unique keys must hold its partition keys: the primary key becomes (seq, recorded_at,
 *   kind) and `id` keeps a plain index (seq is unique by the chain head, id is a random UUID).
 * - `audit_create_month(month, classes)` creates one month with a partition per class and one for
 *   kinds no class names (`unclassified`, never expired), each with the append-only TRUNCATE
 *   trigger (row triggers are cloned from the parent by PostgreSQL) and the runtime role's grants
 *   (SELECT and INSERT only). The retention job calls it for the months ahead, as the owner.
 * - `audit_tombstone`: (seq, hash) of records expired from the middle of the chain (a class kept
 *   shorter than the records around it), so the chain still verifies across them.
 * - `audit_retention_start`: signed checkpoints of where retained history starts.
 */
const CLASSES_AT_THIS_MIGRATION = {
  access: ['lookup', 'correspondence-read'],
  correspondence: ['correspondence-sent', 'correspondence-received', 'acknowledgement-received'],
  administration: ['agreement-change'],
  directory: ['directory-change'],
  oversight: ['audit-search', 'anomaly-review'],
  integrity: ['audit-retention'],
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_event rename to audit_event_unpartitioned`.execute(db);
  const indexes = (
    await sql<{ name: string; def: string; is_primary: boolean; constraint_name: string | null }>`
      select c.relname as name, pg_get_indexdef(i.indexrelid) as def, i.indisprimary as is_primary,
        (select conname from pg_constraint k where k.conrelid = i.indrelid and k.conindid = i.indexrelid) as constraint_name
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'audit_event_unpartitioned'::regclass`.execute(db)
  ).rows;
  const triggers = (
    await sql<{ name: string; def: string }>`
      select tgname as name, pg_get_triggerdef(oid) as def from pg_trigger
      where tgrelid = 'audit_event_unpartitioned'::regclass and not tgisinternal`.execute(db)
  ).rows;
  // The old table's constraints and indexes keep their names until it is dropped: free them.
  for (const index of indexes) {
    if (index.constraint_name) await sql`alter table audit_event_unpartitioned rename constraint ${sql.id(index.constraint_name)} to ${sql.id(`${index.constraint_name}_unpartitioned`)}`.execute(db);
    else await sql`alter index ${sql.id(index.name)} rename to ${sql.id(`${index.name}_unpartitioned`)}`.execute(db);
  }

  await sql`
    create table audit_event (like audit_event_unpartitioned including defaults including constraints including generated including storage including comments)
    partition by range (recorded_at)`.execute(db);
  await sql`alter table audit_event add primary key (seq, recorded_at, kind)`.execute(db);
  for (const index of indexes) {
    if (index.is_primary) continue;
    // A unique index without the partition keys cannot exist on a partitioned table: a plain one.
    const def = index.def
      .replace(/^CREATE UNIQUE INDEX/, 'CREATE INDEX')
      .replace(/ ON (ONLY )?(\S+\.)?audit_event_unpartitioned /, ' ON audit_event ')
      .replace(/^CREATE INDEX \S+/, `CREATE INDEX ${index.name.replace(/_key$/, '')}`);
    await sql.raw(def).execute(db);
  }
  for (const trigger of triggers) {
    await sql.raw(trigger.def.replace(/ ON (\S+\.)?audit_event_unpartitioned /, ' ON audit_event ')).execute(db);
  }

  await sql`
    create function audit_create_month(month date, classes jsonb) returns void language plpgsql as $$
    declare
      month_table text := format('audit_event_%s', to_char(month, 'YYYY_MM'));
      leaf text;
      class_name text;
      kinds text[];
      runtime boolean := exists (select 1 from pg_roles where rolname = 'broker_runtime');
    begin
      if to_regclass(month_table) is not null then return; end if;
      execute format('create table %I partition of audit_event for values from (%L) to (%L) partition by list (kind)',
        month_table, month::timestamp at time zone 'UTC', (month + interval '1 month')::timestamp at time zone 'UTC');
      for class_name, kinds in select key, array(select jsonb_array_elements_text(value)) from jsonb_each(classes) loop
        leaf := format('%s_%s', month_table, class_name);
        execute format('create table %I partition of %I for values in (%s)', leaf, month_table,
          (select string_agg(quote_literal(k), ',') from unnest(kinds) k));
        execute format('create trigger %I before truncate on %I for each statement execute function audit_refuse_change()', leaf || '_no_truncate', leaf);
        if runtime then
          execute format('revoke all on %I from broker_runtime', leaf);
          execute format('grant select, insert on %I to broker_runtime', leaf);
        end if;
      end loop;
      leaf := format('%s_unclassified', month_table);
      execute format('create table %I partition of %I default', leaf, month_table);
      execute format('create trigger %I before truncate on %I for each statement execute function audit_refuse_change()', leaf || '_no_truncate', leaf);
      execute format('create trigger %I before truncate on %I for each statement execute function audit_refuse_change()', month_table || '_no_truncate', month_table);
      if runtime then
        execute format('revoke all on %I from broker_runtime', leaf);
        execute format('grant select, insert on %I to broker_runtime', leaf);
        execute format('revoke all on %I from broker_runtime', month_table);
        execute format('grant select, insert on %I to broker_runtime', month_table);
      end if;
    end $$`.execute(db);

  // Every month that holds records, and the next three.
  const first = (await sql<{ m: string | null }>`select to_char(date_trunc('month', min(recorded_at) at time zone 'UTC'), 'YYYY-MM-DD') as m from audit_event_unpartitioned`.execute(db)).rows[0]?.m;
  await sql`
    select audit_create_month(m::date, ${JSON.stringify(CLASSES_AT_THIS_MIGRATION)}::jsonb)
    from generate_series(coalesce(${first ?? null}::date, date_trunc('month', now() at time zone 'UTC')::date), (date_trunc('month', now() at time zone 'UTC') + interval '3 months')::date, interval '1 month') m`.execute(db);
  await sql`insert into audit_event select * from audit_event_unpartitioned`.execute(db);
  await sql`drop table audit_event_unpartitioned`.execute(db);

  await db.schema
    .createTable('audit_tombstone')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('expiry_id', 'uuid', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_tombstone_expiry').on('audit_tombstone').column('expiry_id').execute();
  await db.schema
    .createTable('audit_retention_start')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('expiry_id', 'uuid', (c) => c.notNull())
    .execute();
  for (const table of ['audit_tombstone', 'audit_retention_start']) {
    await sql`create trigger ${sql.raw(`${table}_no_update_delete`)} before update or delete on ${sql.table(table)}
      for each row execute function audit_refuse_change()`.execute(db);
    await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function audit_refuse_change()`.execute(db);
  }
  await sql`
    do $$
    begin
      if exists (select 1 from pg_roles where rolname = 'broker_runtime') then
        revoke all on audit_event, audit_tombstone, audit_retention_start from broker_runtime;
        grant select, insert on audit_event to broker_runtime;
        grant select on audit_tombstone, audit_retention_start to broker_runtime;
      end if;
    end $$`.execute(db);
}
