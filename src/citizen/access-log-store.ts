/**
 * Reads the citizen log from the audit store: the person's records of the log kinds since
 * `since`, newest first, keyset-paged on (occurred_at, seq) over the audit_event_patient index,
 * without the accesses withheld now (a mark not lifted whose time has not ended).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { type AccessLogRow, CITIZEN_LOG_KINDS, type CitizenLogKind } from './access-log-view.js';

export interface AccessLogCursor {
  readonly occurredAt: Date;
  readonly seq: string;
}

/** Opaque to the citizen; never holds a CPR (a time and a chain position). */
export const encodeCursor = (c: AccessLogCursor): string => Buffer.from(`${c.occurredAt.toISOString()}|${c.seq}`, 'utf8').toString('base64url');

export function decodeCursor(value: string): AccessLogCursor | null {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(\d{1,19})$/.exec(text);
  if (!m?.[1] || !m[2]) return null;
  const occurredAt = new Date(m[1]);
  return Number.isNaN(occurredAt.getTime()) ? null : { occurredAt, seq: m[2] };
}

export async function readAccessLog(
  db: Kysely<Database>,
  query: { patientCpr: string; since: Date; now: Date; limit: number; after?: AccessLogCursor },
): Promise<{ rows: AccessLogRow[]; next: AccessLogCursor | null }> {
  let q = db
    .selectFrom('audit_event as e')
    .select(['e.seq', 'e.id', 'e.occurred_at', 'e.kind', 'e.outcome', 'e.actor_name', 'e.actor_role', 'e.actor_organisation', 'e.purpose', 'e.reason'])
    .select(sql<boolean>`coalesce(e.details ? 'override', false)`.as('override'))
    .where('e.patient_cpr', '=', query.patientCpr)
    .where('e.kind', 'in', [...CITIZEN_LOG_KINDS])
    .where('e.occurred_at', '>=', query.since)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('citizen_log_withholding as w')
            .select(sql<number>`1`.as('one'))
            .whereRef('w.audit_event_id', '=', 'e.id')
            .where('w.review_status', '<>', 'lifted')
            .where('w.withheld_until', '>', query.now),
        ),
      ),
    );
  if (query.after) {
    // Spelt out rather than a row comparison, so that `occurred_at <=` bounds the index scan
    // (the index is (patient_cpr, occurred_at); seq only breaks ties).
    const { occurredAt, seq } = query.after;
    q = q.where('e.occurred_at', '<=', occurredAt).where((eb) => eb.or([eb('e.occurred_at', '<', occurredAt), eb('e.seq', '<', seq)]));
  }
  const rows = await q.orderBy('e.occurred_at', 'desc').orderBy('e.seq', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    rows: page.map((r) => ({
      id: r.id,
      occurredAt: r.occurred_at,
      kind: r.kind as CitizenLogKind,
      outcome: r.outcome,
      actorName: r.actor_name,
      actorRole: r.actor_role,
      actorOrganisation: r.actor_organisation,
      purpose: r.purpose,
      reason: r.reason,
      emergencyOverride: r.override === true,
    })),
    next: rows.length > query.limit && last ? { occurredAt: last.occurred_at, seq: String(last.seq) } : null,
  };
}

export async function protectedOrganisations(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('staff_name_protection').select('organisation_sor').execute();
  return new Set(rows.map((r) => r.organisation_sor));
}
