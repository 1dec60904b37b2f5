/**
 * Anomaly review: rules over the audit log that flag patterns an auditor should look at. Each rule
 * is one SQL query over the lookup records of a lookback window, in fixed periods (a Copenhagen
 * calendar day, a clock hour, a window of T hours), so a rerun finds the same period again and the
 * flag's dedupe key (rule, subject, period) keeps it from being flagged twice. Explanations are in
 * Danish, in words an auditor understands, and never name a child.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AnomalyStatus } from '../../db/schema/anomaly.js';

export const ANOMALY_RULES = ['distinct-children-per-day', 'denials-per-hour', 'organisations-per-child', 'off-hours', 'no-follow-up', 'emergency-override'] as const;
export type AnomalyRule = (typeof ANOMALY_RULES)[number];
export const ANOMALY_DECISIONS = ['justified', 'unjustified', 'needs-follow-up'] as const satisfies readonly AnomalyStatus[];

export interface AnomalyRulesConfig {
  /** (a) more than this many distinct children looked up by one user in a Copenhagen day. */
  readonly distinctChildrenPerDay: number;
  /** (b) more than this many denied lookups by one user in a clock hour. */
  readonly denialsPerHour: number;
  /** (c) the same child looked up from more than this many organisations ... */
  readonly organisationsPerChild: number;
  /** ... within a window of this many hours. */
  readonly organisationsWindowHours: number;
  /** (d) Working hours, Copenhagen time, Monday to Friday: [start, end) hours; a lookup outside them is flagged. */
  readonly workingHours: { readonly start: number; readonly end: number };
  /** Organisations that work around the clock (exact SOR codes): their staff's off-hours lookups are not flagged. */
  readonly offHoursExempt: readonly string[];
  /**
   * (e) A lookup after which, within this many days, the user's organisation neither exchanged
   * correspondence about the child (sent, or received addressed to it) nor found a case for the
   * child at any source (that lookup or a later one). The broker does not see the organisation's
   * own case system: a case here is one a source showed through the broker.
   */
  readonly noFollowUpDays: number;
  /** How far back each run looks; periods already flagged are not flagged again. */
  readonly lookbackHours: number;
}

export const DEFAULT_ANOMALY_RULES: AnomalyRulesConfig = {
  distinctChildrenPerDay: 30,
  denialsPerHour: 5,
  organisationsPerChild: 4,
  organisationsWindowHours: 24,
  workingHours: { start: 7, end: 19 },
  offHoursExempt: [],
  noFollowUpDays: 14,
  lookbackHours: 48,
};

/** A flag a rule found, before it is stored. */
export interface AnomalyFinding {
  readonly rule: AnomalyRule;
  readonly subjectIssuer: string | null;
  readonly subjectUser: string | null;
  readonly subjectName: string | null;
  readonly organisationSor: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly auditEventIds: readonly string[];
  readonly count: number;
  readonly limit: number;
  /** For off-hours: the working hours it was measured against. */
  readonly workingHours?: { readonly start: number; readonly end: number };
  /** For no-follow-up: the days waited for a follow-up. */
  readonly followUpDays?: number;
  /** For emergency-override: the reason the clinician stated, and how many sources it opened. */
  readonly override?: { readonly reason: string; readonly sourcesOpened: number };
}

const MONTHS = ['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december'];

/** "2. december 2026", "2. december 2026 kl. 14", in Copenhagen time. */
export function danishDate(at: Date, withHour = false): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const date = `${Number(parts.day)}. ${MONTHS[Number(parts.month) - 1]} ${parts.year}`;
  return withHour ? `${date} kl. ${parts.hour}` : date;
}

/** The auditor's explanation of a finding, in Danish. */
export function explainFinding(f: AnomalyFinding): string {
  const who = `Bruger ${f.subjectName ?? f.subjectUser ?? 'ukendt'} hos ${f.organisationSor}`;
  switch (f.rule) {
    case 'distinct-children-per-day':
      return `${who} slog ${f.count} forskellige børn op den ${danishDate(f.periodStart)} (grænse ${f.limit}).`;
    case 'denials-per-hour':
      return `${who} fik ${f.count} opslag afvist i timen fra ${danishDate(f.periodStart, true)} (grænse ${f.limit}).`;
    case 'organisations-per-child':
      return (
        `Samme barn blev slået op fra ${f.count} forskellige organisationer mellem ${danishDate(f.periodStart, true)} og ${danishDate(f.periodEnd, true)} ` +
        `(grænse ${f.limit}); ${f.auditEventIds.length} af opslagene kom fra ${f.organisationSor}.`
      );
    case 'off-hours': {
      const h = f.workingHours ?? DEFAULT_ANOMALY_RULES.workingHours;
      const hours = `${String(h.start).padStart(2, '0')}-${String(h.end).padStart(2, '0')}`;
      return `${who} lavede ${f.count} opslag uden for normal arbejdstid (${hours} på hverdage) den ${danishDate(f.periodStart)}.`;
    }
    case 'no-follow-up': {
      const days = f.followUpDays ?? DEFAULT_ANOMALY_RULES.noFollowUpDays;
      const lookups = f.count === 1 ? 'et barn' : `${f.count} børn`;
      return (
        `${who} slog ${lookups} op den ${danishDate(f.periodStart)}, uden at organisationen inden for ${days} dage ` +
        `skrev eller modtog en korrespondancemeddelelse om ${f.count === 1 ? 'barnet' : 'børnene'} eller fandt en sag hos en kilde.`
      );
    }
    case 'emergency-override': {
      const o = f.override ?? { reason: '', sourcesOpened: 0 };
      const opened = o.sourcesOpened === 0 ? 'ingen spærring blev tilsidesat' : `${o.sourcesOpened} ${o.sourcesOpened === 1 ? 'kilde' : 'kilder'} blev besvaret trods borgerens spærring`;
      return `${who} brugte værdispring (nødadgang til helbredsoplysninger, som borgeren har spærret for) ${danishDate(f.periodStart, true)}; ${opened}. Begrundelse: "${o.reason}". Hvert værdispring gennemgås.`;
    }
  }
}

/** The dedupe key: one flag per rule, subject and period. */
export function dedupeKey(f: Pick<AnomalyFinding, 'rule' | 'subjectIssuer' | 'subjectUser' | 'organisationSor' | 'periodStart'>, child?: string): string {
  return [f.rule, f.subjectIssuer ?? '', f.subjectUser ?? '', f.organisationSor, f.periodStart.toISOString(), child ?? ''].join('|');
}

interface UserPeriodRow {
  issuer: string | null;
  subject: string | null;
  name: string | null;
  organisation: string;
  period_start: Date;
  period_end: Date;
  n: string;
  ids: string[];
}

/** (a) Users who looked up more than N distinct children in one Copenhagen calendar day. */
async function distinctChildrenPerDay(db: Kysely<Database>, since: Date, limit: number): Promise<AnomalyFinding[]> {
  const rows = await sql<UserPeriodRow>`
    with l as (
      select e.*, (e.occurred_at at time zone 'Europe/Copenhagen')::date as day from audit_event e
      where e.kind = 'lookup' and e.patient_cpr is not null and e.actor_organisation is not null and e.occurred_at >= ${since})
    select actor_issuer as issuer, actor_subject as subject, max(actor_name) as name, actor_organisation as organisation,
      (day::timestamp at time zone 'Europe/Copenhagen') as period_start, ((day + 1)::timestamp at time zone 'Europe/Copenhagen') as period_end,
      count(distinct patient_cpr)::text as n, array_agg(id order by seq) as ids
    from l group by actor_issuer, actor_subject, actor_organisation, day
    having count(distinct patient_cpr) > ${limit}`.execute(db);
  return rows.rows.map((r) => userFinding('distinct-children-per-day', r, limit));
}

/** (b) Users with more than N denied lookups in one clock hour. */
async function denialsPerHour(db: Kysely<Database>, since: Date, limit: number): Promise<AnomalyFinding[]> {
  const rows = await sql<UserPeriodRow>`
    select actor_issuer as issuer, actor_subject as subject, max(actor_name) as name, actor_organisation as organisation,
      date_trunc('hour', occurred_at) as period_start, date_trunc('hour', occurred_at) + interval '1 hour' as period_end,
      count(*)::text as n, array_agg(id order by seq) as ids
    from audit_event
    where kind = 'lookup' and outcome = 'denied' and actor_organisation is not null and occurred_at >= ${since}
    group by actor_issuer, actor_subject, actor_organisation, date_trunc('hour', occurred_at)
    having count(*) > ${limit}`.execute(db);
  return rows.rows.map((r) => userFinding('denials-per-hour', r, limit));
}

/** (d) Users' lookups outside working hours (Copenhagen time, weekdays), one flag per user and Copenhagen day. */
async function offHours(db: Kysely<Database>, since: Date, hours: AnomalyRulesConfig['workingHours'], exempt: readonly string[]): Promise<AnomalyFinding[]> {
  const rows = await sql<UserPeriodRow>`
    with l as (
      select e.*, e.occurred_at at time zone 'Europe/Copenhagen' as local from audit_event e
      where e.kind = 'lookup' and e.actor_organisation is not null and e.occurred_at >= ${since}
        and not (e.actor_organisation = any(${[...exempt]}::text[])))
    select actor_issuer as issuer, actor_subject as subject, max(actor_name) as name, actor_organisation as organisation,
      (local::date::timestamp at time zone 'Europe/Copenhagen') as period_start, ((local::date + 1)::timestamp at time zone 'Europe/Copenhagen') as period_end,
      count(*)::text as n, array_agg(id order by seq) as ids
    from l
    where not (extract(isodow from local) between 1 and 5 and extract(hour from local) >= ${hours.start} and extract(hour from local) < ${hours.end})
    group by actor_issuer, actor_subject, actor_organisation, local::date`.execute(db);
  return rows.rows.map((r) => ({ ...userFinding('off-hours', r, 0), workingHours: hours }));
}

/**
 * (e) Lookups with no follow-up: per user and Copenhagen day, the lookups (permitted, at least in
 * part) of children about whom, within `days` after the lookup, the user's organisation neither
 * sent nor received correspondence nor found a case at any source. Only lookups whose waiting time
 * has passed are judged: those from `days` before the lookback window to `days` ago.
 */
async function noFollowUp(db: Kysely<Database>, now: Date, lookbackHours: number, days: number): Promise<AnomalyFinding[]> {
  const until = new Date(now.getTime() - days * 86_400_000);
  // From the start of the Copenhagen day the window begins in, so a day is always judged whole.
  const since = new Date(until.getTime() - lookbackHours * 3_600_000 - 86_400_000);
  const rows = await sql<UserPeriodRow>`
    with l as (
      select e.*, (e.occurred_at at time zone 'Europe/Copenhagen')::date as day from audit_event e
      where e.kind = 'lookup' and e.outcome in ('success', 'partial') and e.patient_cpr is not null and e.actor_organisation is not null
        and e.occurred_at >= ${since} and e.occurred_at < ${until})
    select actor_issuer as issuer, actor_subject as subject, max(actor_name) as name, actor_organisation as organisation,
      (day::timestamp at time zone 'Europe/Copenhagen') as period_start, ((day + 1)::timestamp at time zone 'Europe/Copenhagen') as period_end,
      count(distinct patient_cpr)::text as n, array_agg(id order by seq) as ids
    from l
    where day < (${until}::timestamptz at time zone 'Europe/Copenhagen')::date
      and not exists (
        select 1 from audit_event f
        where f.patient_cpr = l.patient_cpr and f.outcome = 'success' and f.occurred_at >= l.occurred_at and f.occurred_at < l.occurred_at + make_interval(days => ${days})
          and ((f.kind = 'correspondence-sent' and f.actor_organisation = l.actor_organisation)
            or (f.kind = 'correspondence-received' and f.details->>'receiverSor' = l.actor_organisation)))
      and not exists (
        select 1 from audit_event g
        where g.kind = 'lookup' and g.patient_cpr = l.patient_cpr and g.actor_organisation = l.actor_organisation
          and g.occurred_at >= l.occurred_at and g.occurred_at < l.occurred_at + make_interval(days => ${days})
          and exists (select 1 from jsonb_array_elements(case when jsonb_typeof(g.details->'sources') = 'array' then g.details->'sources' else '[]'::jsonb end) s
            where (s->>'cases') ~ '^[0-9]+$' and (s->>'cases')::int > 0))
    group by actor_issuer, actor_subject, actor_organisation, day`.execute(db);
  return rows.rows.map((r) => ({ ...userFinding('no-follow-up', r, 0), followUpDays: days }));
}

/** (f) Every lookup that stated an emergency override (værdispring): one flag each, automatically. */
async function emergencyOverrides(db: Kysely<Database>, since: Date): Promise<(AnomalyFinding & { child: string })[]> {
  const rows = await sql<{ id: string; issuer: string | null; subject: string | null; name: string | null; organisation: string; occurred_at: Date; reason: string | null; opened: string }>`
    select id, actor_issuer as issuer, actor_subject as subject, actor_name as name, actor_organisation as organisation, occurred_at,
      details->'override'->>'reason' as reason, coalesce(jsonb_array_length(details->'override'->'sources'), 0)::text as opened
    from audit_event
    where kind = 'lookup' and details ? 'override' and actor_organisation is not null and occurred_at >= ${since}`.execute(db);
  return rows.rows.map((r) => {
    const at = new Date(r.occurred_at);
    return {
      rule: 'emergency-override',
      subjectIssuer: r.issuer,
      subjectUser: r.subject,
      subjectName: r.name,
      organisationSor: r.organisation,
      periodStart: at,
      periodEnd: at,
      auditEventIds: [r.id],
      count: 1,
      limit: 0,
      override: { reason: r.reason ?? '', sourcesOpened: Number(r.opened) },
      // One flag per override: the record's id keys it (never the child's number).
      child: r.id,
    };
  });
}

function userFinding(rule: AnomalyRule, r: UserPeriodRow, limit: number): AnomalyFinding {
  return {
    rule,
    subjectIssuer: r.issuer,
    subjectUser: r.subject,
    subjectName: r.name,
    organisationSor: r.organisation,
    periodStart: new Date(r.period_start),
    periodEnd: new Date(r.period_end),
    auditEventIds: r.ids,
    count: Number(r.n),
    limit,
  };
}

/**
 * (c) The same child looked up from more than N organisations within a window of T hours (fixed
 * windows from the epoch). One flag per organisation involved, resting on that organisation's own
 * records, so each organisation's auditor reviews its own staff's part.
 */
async function organisationsPerChild(db: Kysely<Database>, lookbackSince: Date, limit: number, hours: number): Promise<(AnomalyFinding & { child: string })[]> {
  const seconds = hours * 3600;
  // From the start of the window the lookback begins in, so a window is always read whole.
  const since = new Date(Math.floor(lookbackSince.getTime() / (seconds * 1000)) * seconds * 1000);
  const rows = await sql<{ child: string; organisation: string; period_start: Date; n: string; ids: string[] }>`
    with l as (
      select e.*, floor(extract(epoch from e.occurred_at) / ${seconds})::bigint as w from audit_event e
      where e.kind = 'lookup' and e.patient_cpr is not null and e.actor_organisation is not null and e.occurred_at >= ${since}),
    hit as (
      select patient_cpr, w, count(distinct actor_organisation) as n, (array_agg(id order by seq))[1]::text as first_id
      from l group by patient_cpr, w having count(distinct actor_organisation) > ${limit})
    select max(hit.first_id) as child, l.actor_organisation as organisation, to_timestamp(l.w * ${seconds}) as period_start,
      max(hit.n)::text as n, array_agg(l.id order by l.seq) as ids
    from l join hit on hit.patient_cpr = l.patient_cpr and hit.w = l.w
    group by l.patient_cpr, l.w, l.actor_organisation`.execute(db);
  return rows.rows.map((r) => {
    const periodStart = new Date(r.period_start);
    return {
      rule: 'organisations-per-child',
      subjectIssuer: null,
      subjectUser: null,
      subjectName: null,
      organisationSor: r.organisation,
      periodStart,
      periodEnd: new Date(periodStart.getTime() + seconds * 1000),
      auditEventIds: r.ids,
      count: Number(r.n),
      limit,
      child: r.child,
    };
  });
}

/** A new flag, as the SIEM feed is told of it. */
export interface StoredFlag {
  readonly id: string;
  readonly rule: AnomalyRule;
  readonly organisationSor: string;
  readonly subjectIssuer: string | null;
  readonly subjectUser: string | null;
  readonly periodStart: Date;
  readonly count: number;
}

/** Runs every rule over the lookback window and stores new flags; returns the ids of those stored. */
export async function runAnomalyRules(
  db: Kysely<Database>,
  config: AnomalyRulesConfig,
  now: Date = new Date(),
  onFlag?: (flag: StoredFlag) => void,
): Promise<{ flagged: string[]; found: number }> {
  const since = new Date(now.getTime() - config.lookbackHours * 3600 * 1000);
  const findings: { finding: AnomalyFinding; key: string }[] = [
    ...(await distinctChildrenPerDay(db, since, config.distinctChildrenPerDay)).map((finding) => ({ finding, key: dedupeKey(finding) })),
    ...(await denialsPerHour(db, since, config.denialsPerHour)).map((finding) => ({ finding, key: dedupeKey(finding) })),
    ...(await offHours(db, since, config.workingHours, config.offHoursExempt)).map((finding) => ({ finding, key: dedupeKey(finding) })),
    ...(await noFollowUp(db, now, config.lookbackHours, config.noFollowUpDays)).map((finding) => ({ finding, key: dedupeKey(finding) })),
    // The child is keyed by the id of the window's first lookup of it: the key tells children apart
    // without holding the number or anything it can be recovered from (a hash of a CPR can be).
    ...(await organisationsPerChild(db, since, config.organisationsPerChild, config.organisationsWindowHours)).map(({ child, ...finding }) => ({ finding, key: dedupeKey(finding, child) })),
    ...(await emergencyOverrides(db, since)).map(({ child, ...finding }) => ({ finding, key: dedupeKey(finding, child) })),
  ];
  const flagged: string[] = [];
  for (const { finding: f, key } of findings) {
    const inserted = await db
      .insertInto('anomaly_flag')
      .values({
        id: randomUUID(),
        rule: f.rule,
        dedupe_key: key,
        subject_issuer: f.subjectIssuer,
        subject_user: f.subjectUser,
        subject_name: f.subjectName,
        organisation_sor: f.organisationSor,
        period_start: f.periodStart,
        period_end: f.periodEnd,
        audit_event_ids: [...f.auditEventIds],
        explanation: explainFinding(f),
        flagged_at: now,
        status: 'open',
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      flagged.push(inserted.id);
      onFlag?.({ id: inserted.id, rule: f.rule, organisationSor: f.organisationSor, subjectIssuer: f.subjectIssuer, subjectUser: f.subjectUser, periodStart: f.periodStart, count: f.count });
    }
  }
  return { flagged, found: findings.length };
}

export type AnomalyFlagRow = Selectable<Database['anomaly_flag']>;

export interface AnomalyFlagView {
  readonly id: string;
  readonly rule: string;
  readonly status: AnomalyStatus;
  readonly subject: { readonly issuer: string | null; readonly user: string | null; readonly name: string | null; readonly organisation: string };
  readonly period: { readonly start: string; readonly end: string };
  readonly auditEventIds: readonly string[];
  readonly explanation: string;
  readonly flaggedAt: string;
  readonly decision: { readonly comment: string | null; readonly decidedBy: string | null; readonly decidedAt: string | null } | null;
}

export function toFlagView(r: AnomalyFlagRow): AnomalyFlagView {
  return {
    id: r.id,
    rule: r.rule,
    status: r.status,
    subject: { issuer: r.subject_issuer, user: r.subject_user, name: r.subject_name, organisation: r.organisation_sor },
    period: { start: new Date(r.period_start).toISOString(), end: new Date(r.period_end).toISOString() },
    auditEventIds: r.audit_event_ids,
    explanation: r.explanation,
    flaggedAt: new Date(r.flagged_at).toISOString(),
    decision: r.status === 'open' ? null : { comment: r.decision_comment, decidedBy: r.decided_by, decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null },
  };
}

const MAX_ROUNDS = 10;

/** The flags of the auditor's subtree, newest first, keyset-paginated on the flag's sequence. */
export async function listAnomalyFlags(
  db: Kysely<Database>,
  q: { readonly within: (sor: string) => boolean; readonly status?: AnomalyStatus; readonly rule?: string; readonly beforeSeq?: string; readonly limit: number },
): Promise<{ items: AnomalyFlagView[]; nextCursor: string | null }> {
  const page: AnomalyFlagRow[] = [];
  let cursor = q.beforeSeq;
  let more = true;
  for (let round = 0; round < MAX_ROUNDS && more && page.length <= q.limit; round += 1) {
    let query = db.selectFrom('anomaly_flag').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.rule) query = query.where('rule', '=', q.rule);
    if (cursor) query = query.where(sql<boolean>`seq < ${cursor}::bigint`);
    const batch = q.limit + 1;
    const rows = await query.orderBy(sql`seq`, 'desc').limit(batch).execute();
    more = rows.length === batch;
    for (const r of rows) {
      cursor = r.seq;
      if (!q.within(r.organisation_sor)) continue;
      page.push(r);
      if (page.length > q.limit) break;
    }
  }
  const items = page.slice(0, q.limit);
  const nextCursor = page.length > q.limit ? (items.at(-1)?.seq ?? null) : more ? (cursor ?? null) : null;
  return { items: items.map(toFlagView), nextCursor };
}

/** The flag as a security event for the SIEM feed: rule, user, organisation and period, no child. */
export function flagSecurityEvent(flag: StoredFlag, at: Date) {
  return {
    type: 'anomaly-flag' as const,
    at,
    actor: { issuer: flag.subjectIssuer, subject: flag.subjectUser, organisation: flag.organisationSor },
    reason: flag.rule,
    details: { flagId: flag.id, periodStart: flag.periodStart.toISOString(), count: flag.count },
  };
}
