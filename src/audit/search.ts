/**
 * The auditor's search over the audit log. An auditor acting for an organisation sees the records
 * of that organisation's SOR subtree: what its own staff did (the acting organisation), and what
 * was asked of or sent to it (a lookup's consulted sources, a message's counterpart). Newest first,
 * keyset-paginated on the chain sequence.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditKind, AuditOutcome } from './audit-event.js';

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

export interface AuditRecordView {
  readonly id: string;
  readonly seq: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly kind: string;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly actor: {
    readonly issuer: string | null;
    readonly subject: string | null;
    readonly name: string | null;
    readonly role: string | null;
    readonly organisation: string | null;
    readonly assurance: string | null;
  };
  readonly purpose: string | null;
  readonly reason: string | null;
  readonly patientCpr: string | null;
  readonly details: Record<string, unknown>;
}

export async function searchAudit(db: Kysely<Database>, q: AuditSearch): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
  const subtree = sql`(
    with recursive sub(sor) as (
      select sor from organisation where sor = ${q.scopeSor}
      union select o.sor from organisation o join sub on o.parent_sor = sub.sor
    ) select sor from sub)`;
  // Organisations a record concerns besides the actor's: consulted sources, a message's counterpart.
  const concerned = sql`(
    select s->>'organisation' from jsonb_array_elements(case when jsonb_typeof(e.details->'sources') = 'array' then e.details->'sources' else '[]'::jsonb end) s
    union all select e.details->>'counterpartSor')`;
  let query = db
    .selectFrom('audit_event as e')
    .selectAll('e')
    .where(sql<boolean>`(e.actor_organisation in ${subtree} or exists (select 1 from ${concerned} c(sor) where c.sor in ${subtree}))`);
  if (q.patientCpr) query = query.where('e.patient_cpr', '=', q.patientCpr);
  if (q.actorOrganisation) query = query.where('e.actor_organisation', '=', q.actorOrganisation);
  if (q.actorSubject) query = query.where('e.actor_subject', '=', q.actorSubject);
  if (q.kinds && q.kinds.length > 0) query = query.where('e.kind', 'in', [...q.kinds]);
  if (q.outcomes && q.outcomes.length > 0) query = query.where('e.outcome', 'in', [...q.outcomes]);
  if (q.from) query = query.where('e.occurred_at', '>=', q.from);
  if (q.to) query = query.where('e.occurred_at', '<', q.to);
  if (q.beforeSeq) query = query.where(sql<boolean>`e.seq < ${q.beforeSeq}::bigint`);
  const rows = await query.orderBy(sql`e.seq`, 'desc').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      seq: r.seq,
      occurredAt: r.occurred_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      kind: r.kind,
      outcome: r.outcome,
      requestId: r.request_id,
      actor: { issuer: r.actor_issuer, subject: r.actor_subject, name: r.actor_name, role: r.actor_role, organisation: r.actor_organisation, assurance: r.actor_assurance },
      purpose: r.purpose,
      reason: r.reason,
      patientCpr: r.patient_cpr,
      details: r.details,
    })),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.seq ?? null) : null,
  };
}
