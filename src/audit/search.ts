/**
 * The auditor's search over the audit log. An auditor acting for an organisation sees the records
 * of that organisation's SOR subtree: what its own staff did (the acting organisation), and what
 * was asked of or sent to it (a lookup's consulted or named organisations, a message's counterpart
 * or receiver), each record projected onto what it may see (projection.ts). Newest first,
 * keyset-paginated on the chain sequence.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditKind, AuditOutcome } from './audit-event.js';
import { type ProjectedRecord, projectAuditRecord } from './projection.js';
import { auditRecordFromRow } from './record-view.js';

export interface AuditSearch {
  /** The auditor's organisation: the subtree whose records may be seen. */
  readonly scopeSor: string;
  readonly patientCpr?: string;
  readonly actorOrganisation?: string;
  readonly actorSubject?: string;
  readonly kinds?: readonly AuditKind[];
  readonly outcomes?: readonly AuditOutcome[];
  readonly from?: Date;
  readonly to?: Date;
  /** Records older than this sequence number (the previous page's cursor). */
  readonly beforeSeq?: string;
  readonly limit: number;
}

export type { AuditRecordView } from './record-view.js';

/** Rows read per round while filling a page, and rounds at most before answering a short page. */
const MAX_ROUNDS = 10;

export async function searchAudit(db: Kysely<Database>, q: AuditSearch): Promise<{ items: ProjectedRecord[]; nextCursor: string | null }> {
  const subtreeRows = await sql<{ sor: string }>`
    with recursive sub(sor) as (
      select sor from organisation where sor = ${q.scopeSor}
      union select o.sor from organisation o join sub on o.parent_sor = sub.sor
    ) select sor from sub`.execute(db);
  const subtree = subtreeRows.rows.map((r) => r.sor);
  if (subtree.length === 0) return { items: [], nextCursor: null };
  const scope = new Set(subtree);
  const inSubtree = sql`(select unnest(${subtree}::text[]))`;
  const ownStaff = sql<boolean>`coalesce(e.actor_organisation in ${inSubtree}, false)`;
  // Organisations a record concerns besides the actor's: consulted sources, named organisations,
  // a message's counterpart and receiver. The projection decides what of it may be seen.
  const concerned = sql`(
    select s->>'organisation' from jsonb_array_elements(case when jsonb_typeof(e.details->'sources') = 'array' then e.details->'sources' else '[]'::jsonb end) s
    union all select n from jsonb_array_elements_text(case when jsonb_typeof(e.details->'namedOrganisations') = 'array' then e.details->'namedOrganisations' else '[]'::jsonb end) n
    union all select e.details->>'counterpartSor'
    union all select e.details->>'receiverSor')`;

  const page: ProjectedRecord[] = [];
  let cursor = q.beforeSeq;
  let more = true;
  for (let round = 0; round < MAX_ROUNDS && more && page.length <= q.limit; round += 1) {
    let query = db
      .selectFrom('audit_event as e')
      .selectAll('e')
      .where(sql<boolean>`(${ownStaff} or exists (select 1 from ${concerned} c(sor) where c.sor in ${inSubtree}))`);
    if (q.patientCpr) query = query.where('e.patient_cpr', '=', q.patientCpr);
    if (q.actorOrganisation) query = query.where('e.actor_organisation', '=', q.actorOrganisation);
    if (q.actorSubject) query = query.where('e.actor_subject', '=', q.actorSubject);
    if (q.kinds && q.kinds.length > 0) query = query.where('e.kind', 'in', [...q.kinds]);
    // The stored outcome is the whole lookup's; for others' records the auditor is shown (and
    // filters on) the outcome of its own sources, so those are filtered after the projection.
    if (q.outcomes && q.outcomes.length > 0) query = query.where(sql<boolean>`(not ${ownStaff} or e.outcome in (${sql.join([...q.outcomes])}))`);
    if (q.from) query = query.where('e.occurred_at', '>=', q.from);
    if (q.to) query = query.where('e.occurred_at', '<', q.to);
    if (cursor) query = query.where(sql<boolean>`e.seq < ${cursor}::bigint`);
    const batch = q.limit + 1;
    const rows = await query.orderBy(sql`e.seq`, 'desc').limit(batch).execute();
    more = rows.length === batch;
    for (const r of rows) {
      cursor = r.seq;
      const seen = projectAuditRecord(auditRecordFromRow(r), (sor) => scope.has(sor));
      if (!seen || (q.outcomes && q.outcomes.length > 0 && !(q.outcomes as readonly string[]).includes(seen.outcome))) continue;
      page.push(seen);
      if (page.length > q.limit) break;
    }
  }
  const items = page.slice(0, q.limit);
  // A full page continues after its last record; a short one after the last row read, when the
  // rounds ran out before the log did.
  const nextCursor = page.length > q.limit ? (items.at(-1)?.seq ?? null) : more ? (cursor ?? null) : null;
  return { items, nextCursor };
}

