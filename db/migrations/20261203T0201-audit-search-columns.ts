import { type Kysely, sql } from 'kysely';

/**
 * What an auditor filters on, as columns of the audit row with indexes, so that the search at
 * national volume reads indexes instead of scanning JSONB:
 * - `concerned_organisations`: the organisations a record concerns besides the acting one
 *   (a lookup's consulted sources and named organisations, a message's counterpart and receiver),
 *   GIN-indexed for the auditor's subtree and the "organisation concerned" filter;
 * - `source_ids` (GIN) and `counterpart_sor`;
 * - keyset indexes on (child, seq), (user, seq), (acting organisation, seq), newest first;
 *   recorded_at for the exports' periods.
 * The columns live on the row itself (no side table), so partitioning the table by time later
 * carries them along. The writer derives them from the hashed details; verification re-derives
 * them. Existing rows are backfilled here with the same rule (src/audit/audit-record.ts,
 * `searchColumnsOf`): the append-only trigger is set aside for this one statement, by the owner.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_event
    add column concerned_organisations text[] not null default '{}',
    add column source_ids text[] not null default '{}',
    add column counterpart_sor text`.execute(db);

  await sql`alter table audit_event disable trigger audit_event_no_update_delete`.execute(db);
  await sql`
    update audit_event e set
      concerned_organisations = coalesce((
        select array_agg(distinct o order by o) from (
          select s->>'organisation' as o from jsonb_array_elements(case when jsonb_typeof(e.details->'sources') = 'array' then e.details->'sources' else '[]'::jsonb end) s
            where jsonb_typeof(s) = 'object' and jsonb_typeof(s->'organisation') = 'string'
          union all
          select n #>> '{}' from jsonb_array_elements(case when jsonb_typeof(e.details->'namedOrganisations') = 'array' then e.details->'namedOrganisations' else '[]'::jsonb end) n
            where jsonb_typeof(n) = 'string'
          union all select e.details->>'counterpartSor' where jsonb_typeof(e.details->'counterpartSor') = 'string'
          union all select e.details->>'receiverSor' where jsonb_typeof(e.details->'receiverSor') = 'string'
        ) c), '{}'),
      source_ids = coalesce((
        select array_agg(distinct s->>'sourceId' order by s->>'sourceId')
        from jsonb_array_elements(case when jsonb_typeof(e.details->'sources') = 'array' then e.details->'sources' else '[]'::jsonb end) s
        where jsonb_typeof(s) = 'object' and jsonb_typeof(s->'sourceId') = 'string'), '{}'),
      counterpart_sor = case when jsonb_typeof(e.details->'counterpartSor') = 'string' then e.details->>'counterpartSor' end
    where e.details ?| array['sources', 'namedOrganisations', 'counterpartSor', 'receiverSor']`.execute(db);
  await sql`alter table audit_event enable trigger audit_event_no_update_delete`.execute(db);

  await sql`create index audit_event_concerned on audit_event using gin (concerned_organisations)`.execute(db);
  await sql`create index audit_event_sources on audit_event using gin (source_ids)`.execute(db);
  await sql`create index audit_event_counterpart on audit_event (counterpart_sor, seq) where counterpart_sor is not null`.execute(db);
  await sql`create index audit_event_patient_seq on audit_event (patient_cpr, seq) where patient_cpr is not null`.execute(db);
  await sql`create index audit_event_subject_seq on audit_event (actor_subject, seq) where actor_subject is not null`.execute(db);
  await sql`create index audit_event_actor_seq on audit_event (actor_organisation, seq) where actor_organisation is not null`.execute(db);
  // The exports find a period's chain positions by recorded_at (src/audit/export/reader.ts),
  // from the index alone.
  await sql`create index audit_event_recorded on audit_event (recorded_at, seq)`.execute(db);
}
