/**
 * The auditor's search over the audit log. An auditor acting for an organisation sees the records
 * of that organisation's SOR subtree: what its own staff did (the acting organisation), and what
 * was asked of or sent to it (a lookup's consulted or named organisations, a message's counterpart
 * or receiver), each record projected onto what it may see (projection.ts).
 *
 * Every filter is a column of the audit row with an index (migration 20261203T0201): the subtree
 * is matched against `actor_organisation` (btree) and `concerned_organisations` (GIN), never by
 * reading the JSONB details. Newest first, keyset-paginated on the chain sequence: a cursor is the
 * last `seq` shown, and records written meanwhile (higher seq) never shift a page.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditKind, AuditOutcome } from './audit-event.js';
import { MESSAGE_KINDS, type ProjectedRecord, SYSTEM_ROLES, projectAuditRecord } from './projection.js';
import { auditRecordFromRow } from './record-view.js';

/** What an auditor filters on; each is a column with an index, or narrows one that is. */
export interface AuditFilters {
  readonly patientCpr?: string;
  /** Records of staff acting for this organisation. */
  readonly actorOrganisation?: string;
  /** The user's id at the identity provider. */
  readonly actorSubject?: string;
  /** Records concerning this organisation: its staff acted, or it was a source, named, or a message's party. */
  readonly organisation?: string;
  /** Lookups that asked (or were denied) this source. */
  readonly sourceId?: string;
  /** Messages with this organisation at the other end. */
  readonly counterpartSor?: string;
  readonly purpose?: string;
  readonly kinds?: readonly AuditKind[];
  readonly from?: Date;
  readonly to?: Date;
}

export interface AuditSearch extends AuditFilters {
  /** The auditor's organisation: the subtree whose records may be seen. */
  readonly scopeSor: string;
  readonly outcomes?: readonly AuditOutcome[];
  /** Records older than this sequence number (the previous page's cursor). */
  readonly beforeSeq?: string;
  readonly limit: number;
}

export type { AuditRecordView } from './record-view.js';

/** Rounds at most (of limit + 1 rows each) while filling a page, before answering a short page. */
const MAX_ROUNDS = 10;

const fromAudit = (db: Kysely<Database>) => db.selectFrom('audit_event as e');
type AuditQuery = ReturnType<typeof fromAudit>;

/** The auditor's organisation and every unit below it in SOR. */
export async function subtreeOf(db: Kysely<Database>, sor: string): Promise<string[]> {
  const rows = await sql<{ sor: string }>`
    with recursive sub(sor) as (
      select sor from organisation where sor = ${sor}
      union select o.sor from organisation o join sub on o.parent_sor = sub.sor
    ) select sor from sub`.execute(db);
  return rows.rows.map((r) => r.sor);
}

/**
 * The records the subtree may see at all, in SQL: the projection's rule (projection.ts) on the
 * search columns, so that the indexes answer it. Own staff (a system acting for the organisation
 * about a child is not its staff), or a lookup or message that concerned the subtree.
 */
function visibleTo(subtree: readonly string[]): RawBuilder<boolean> {
  const sub = sql`${[...subtree]}::text[]`;
  const systemRoles = sql`${[...SYSTEM_ROLES]}::text[]`;
  const concernedKinds = sql`${['lookup', ...MESSAGE_KINDS]}::text[]`;
  return sql<boolean>`(
    (e.actor_organisation = any(${sub}) and not (e.patient_cpr is not null and coalesce(e.actor_role = any(${systemRoles}), false)))
    or (e.concerned_organisations && ${sub} and e.kind = any(${concernedKinds})))`;
}

function filtered(query: AuditQuery, f: AuditFilters): AuditQuery {
  let q = query;
  if (f.patientCpr) q = q.where('e.patient_cpr', '=', f.patientCpr);
  if (f.actorOrganisation) q = q.where('e.actor_organisation', '=', f.actorOrganisation);
  if (f.actorSubject) q = q.where('e.actor_subject', '=', f.actorSubject);
  if (f.organisation) {
    const org = f.organisation;
    q = q.where(sql<boolean>`(e.actor_organisation = ${org} or e.concerned_organisations @> array[${org}]::text[])`);
  }
  if (f.sourceId) q = q.where(sql<boolean>`e.source_ids @> array[${f.sourceId}]::text[]`);
  if (f.counterpartSor) q = q.where('e.counterpart_sor', '=', f.counterpartSor);
  if (f.purpose) q = q.where('e.purpose', '=', f.purpose);
  if (f.kinds && f.kinds.length > 0) q = q.where('e.kind', 'in', [...f.kinds]);
  if (f.from) q = q.where('e.occurred_at', '>=', f.from);
  if (f.to) q = q.where('e.occurred_at', '<', f.to);
  return q;
}

export async function searchAudit(db: Kysely<Database>, q: AuditSearch): Promise<{ items: ProjectedRecord[]; nextCursor: string | null }> {
  const subtree = await subtreeOf(db, q.scopeSor);
  if (subtree.length === 0) return { items: [], nextCursor: null };
  const scope = new Set(subtree);
  const ownStaff = sql<boolean>`coalesce(e.actor_organisation = any(${subtree}::text[]), false)`;

  const page: ProjectedRecord[] = [];
  let cursor = q.beforeSeq;
  let more = true;
  for (let round = 0; round < MAX_ROUNDS && more && page.length <= q.limit; round += 1) {
    let query = filtered(fromAudit(db).where(visibleTo(subtree)), q);
    // The stored outcome is the whole lookup's; for others' records the auditor is shown (and
    // filters on) the outcome of its own sources, so those are filtered after the projection.
    if (q.outcomes && q.outcomes.length > 0) query = query.where(sql<boolean>`(not ${ownStaff} or e.outcome = any(${[...q.outcomes]}::text[]))`);
    if (cursor) query = query.where(sql<boolean>`e.seq < ${cursor}::bigint`);
    const batch = q.limit + 1;
    const rows = await query.selectAll('e').orderBy(sql`e.seq`, 'desc').limit(batch).execute();
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

/** The time zone days are counted in: the auditors' (Danish) calendar day. */
export const COUNT_TIME_ZONE = 'Europe/Copenhagen';

export interface AuditDayCount {
  /** YYYY-MM-DD, Copenhagen time. */
  readonly day: string;
  readonly records: number;
}

/**
 * How many records the subtree may see per day under the filters (outcomes aside: another
 * organisation's outcome is recomputed per record, see projection.ts). Days without records are
 * left out.
 */
export async function countAuditPerDay(db: Kysely<Database>, q: AuditFilters & { readonly scopeSor: string }): Promise<AuditDayCount[]> {
  const subtree = await subtreeOf(db, q.scopeSor);
  if (subtree.length === 0) return [];
  const day = sql<string>`to_char((e.occurred_at at time zone ${COUNT_TIME_ZONE})::date, 'YYYY-MM-DD')`;
  const rows = await filtered(fromAudit(db).where(visibleTo(subtree)), q)
    .select([day.as('day'), sql<string>`count(*)`.as('records')])
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  return rows.map((r) => ({ day: r.day, records: Number(r.records) }));
}
