/**
 * Agreement persistence (Kysely). Every function takes the database (or a transaction) as its
 * first argument, so a command's agreement, version and change-log writes share one transaction.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AuditActor } from '../audit/audit-event.js';
import { appendAuditInTransaction } from '../audit/audit-writer.js';
import { versionInForce } from './lifecycle.js';
import type { Agreement, AgreementRecord, AgreementStatus, AgreementTerms, Approval, PartySelector } from './model.js';

export interface StoredAgreement {
  readonly record: AgreementRecord;
  /** Optimistic-lock counter, the ETag. */
  readonly rowVersion: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ChangeEntry {
  readonly agreementId: string;
  readonly version: number;
  readonly action: string;
  readonly at: Date;
  readonly actorIssuer: string;
  readonly actorSubject: string;
  readonly actorOrganisation: string | null;
  readonly requestId: string | null;
  readonly reason: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ChangeRow extends ChangeEntry {
  readonly id: string;
}

type Db = Kysely<Database>;

/** The terms part of a version, as stored in `agreement_version.terms`. */
export function termsOf(a: AgreementTerms): AgreementTerms {
  return {
    title: a.title,
    sideA: a.sideA,
    sideB: a.sideB,
    dataElements: a.dataElements,
    direction: a.direction,
    purposes: a.purposes,
    roles: a.roles,
    minimumAssurance: a.minimumAssurance,
    legalBasis: a.legalBasis,
    period: a.period,
  };
}

/** The highest version. */
export function latestVersion(record: AgreementRecord): Agreement {
  const latest = record.versions.reduce<Agreement | undefined>((m, v) => (m === undefined || v.version > m.version ? v : m), undefined);
  if (!latest) throw new Error(`agreement ${record.id} has no versions`);
  return latest;
}

/** The version the overview shows: the one in force, else the latest. */
export function listedVersion(record: AgreementRecord): Agreement {
  return versionInForce(record) ?? latestVersion(record);
}

export function unitTypeKey(s: Extract<PartySelector, { kind: 'unit-type' }>): string {
  return s.area.kind === 'region' ? `${s.unitType}|r:${s.area.regionCode}` : `${s.unitType}|m:${s.area.municipalityCode}`;
}

function selectorColumns(a: AgreementTerms) {
  const parties = [...a.sideA.parties, ...a.sideB.parties];
  const units = parties.flatMap((p) => (p.kind === 'unit' ? [p.sor] : []));
  const subtrees = parties.flatMap((p) => (p.kind === 'subtree' ? [p.sor] : []));
  const keys = parties.flatMap((p) => (p.kind === 'unit-type' ? [unitTypeKey(p)] : []));
  const all = new Set([...units, ...subtrees, a.sideA.approvingOrganisationSor, a.sideB.approvingOrganisationSor]);
  return { unit_sors: [...new Set(units)], subtree_sors: [...new Set(subtrees)], unit_type_keys: [...new Set(keys)], all_sors: [...all] };
}

const iso = (value: string): string => new Date(Date.parse(value)).toISOString();

interface VersionRow {
  agreement_id: string;
  version: number;
  status: string;
  amends: number | null;
  terms: unknown;
  approvals: unknown;
}

function toAgreement(row: VersionRow): Agreement {
  // Written only by saveAgreement from validated terms.
  const terms = row.terms as AgreementTerms;
  return {
    ...terms,
    id: row.agreement_id,
    version: row.version,
    status: row.status as AgreementStatus,
    approvals: row.approvals as Approval[],
    amends: row.amends,
  };
}

async function versionsOf(db: Db, ids: readonly string[]): Promise<Map<string, Agreement[]>> {
  const out = new Map<string, Agreement[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('agreement_version')
    .select(['agreement_id', 'version', 'status', 'amends', 'terms', 'approvals'])
    .where('agreement_id', 'in', ids)
    .orderBy('agreement_id')
    .orderBy('version')
    .execute();
  for (const r of rows) {
    const list = out.get(r.agreement_id);
    if (list) list.push(toAgreement(r));
    else out.set(r.agreement_id, [toAgreement(r)]);
  }
  return out;
}

export async function loadAgreement(db: Db, id: string, options: { lock?: boolean } = {}): Promise<StoredAgreement | undefined> {
  let q = db.selectFrom('agreement').select(['id', 'row_version', 'created_at', 'updated_at']).where('id', '=', id);
  if (options.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  const versions = (await versionsOf(db, [id])).get(id) ?? [];
  return { record: { id, versions }, rowVersion: row.row_version, createdAt: row.created_at, updatedAt: row.updated_at };
}

async function writeVersions(db: Db, record: AgreementRecord, changed: readonly Agreement[], at: Date): Promise<void> {
  for (const v of changed) {
    const cols = selectorColumns(v);
    const values = {
      status: v.status,
      amends: v.amends,
      terms: JSON.stringify(termsOf(v)),
      approvals: JSON.stringify(v.approvals),
      title: v.title,
      legal_basis_code: v.legalBasis.code,
      legal_reference: v.legalBasis.reference,
      valid_from: iso(v.period.validFrom),
      valid_to: v.period.validTo === null ? null : iso(v.period.validTo),
      data_elements: [...v.dataElements],
      purposes: [...v.purposes],
      ...cols,
      updated_at: at,
    };
    await db
      .insertInto('agreement_version')
      .values({ agreement_id: record.id, version: v.version, created_at: at, ...values })
      .onConflict((oc) => oc.columns(['agreement_id', 'version']).doUpdateSet(values))
      .execute();
  }
}

export async function insertAgreement(db: Db, record: AgreementRecord, at: Date): Promise<number> {
  const listed = listedVersion(record);
  await db
    .insertInto('agreement')
    .values({
      id: record.id,
      status: listed.status,
      listed_version: listed.version,
      latest_version: Math.max(...record.versions.map((v) => v.version)),
      row_version: 1,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await writeVersions(db, record, record.versions, at);
  return 1;
}

/**
 * Writes the versions that differ from `previous` and bumps the row version, only if it is still
 * `expectedRowVersion`. Returns the new row version, or null when someone else changed it first.
 */
export async function saveAgreement(
  db: Db,
  previous: AgreementRecord,
  next: AgreementRecord,
  expectedRowVersion: number,
  at: Date,
): Promise<number | null> {
  const listed = listedVersion(next);
  const updated = await db
    .updateTable('agreement')
    .set({
      status: listed.status,
      listed_version: listed.version,
      latest_version: Math.max(...next.versions.map((v) => v.version)),
      row_version: expectedRowVersion + 1,
      updated_at: at,
    })
    .where('id', '=', next.id)
    .where('row_version', '=', expectedRowVersion)
    .returning('row_version')
    .executeTakeFirst();
  if (!updated) return null;
  await writeVersions(db, next, changedVersions(previous, next).map((c) => c.after), at);
  return updated.row_version;
}

/** Versions that are new or differ, with their previous state (undefined when new). */
export function changedVersions(previous: AgreementRecord, next: AgreementRecord): { before: Agreement | undefined; after: Agreement }[] {
  const old = new Map(previous.versions.map((v) => [v.version, v]));
  return next.versions
    .filter((v) => JSON.stringify(old.get(v.version)) !== JSON.stringify(v))
    .map((v) => ({ before: old.get(v.version), after: v }));
}

/**
 * Records a change in the agreement's history and, in the same transaction, in the audit chain:
 * administration of who may see children's data is audited like the access itself, and
 * tamper-evidently (the record carries the new state). `db` must be a transaction.
 */
export async function recordChange(db: Db, change: ChangeEntry, by?: AuditActor): Promise<void> {
  await db
    .insertInto('agreement_change')
    .values({
      agreement_id: change.agreementId,
      version: change.version,
      action: change.action,
      at: change.at,
      actor_issuer: change.actorIssuer,
      actor_subject: change.actorSubject,
      actor_organisation: change.actorOrganisation,
      request_id: change.requestId,
      reason: change.reason,
      before: change.before === undefined ? null : JSON.stringify(change.before),
      after: JSON.stringify(change.after),
    })
    .execute();
  await appendAuditInTransaction(db, {
    kind: 'agreement-change',
    outcome: 'success',
    occurredAt: change.at,
    requestId: change.requestId,
    // Without a caller (seeding, expiry) the change entry says all there is.
    actor: by ?? { issuer: change.actorIssuer, subject: change.actorSubject, displayName: null, role: null, organisationSor: change.actorOrganisation, assurance: null, callingSystem: null },
    purpose: null,
    reason: change.reason,
    patientCpr: null,
    details: { agreementId: change.agreementId, version: change.version, action: change.action, after: change.after ?? null },
  });
}

export async function loadHistory(db: Db, id: string): Promise<ChangeRow[]> {
  const rows = await db.selectFrom('agreement_change').selectAll().where('agreement_id', '=', id).orderBy('id').execute();
  return rows.map((r) => ({
    id: String(r.id),
    agreementId: r.agreement_id,
    version: r.version,
    action: r.action,
    at: r.at,
    actorIssuer: r.actor_issuer,
    actorSubject: r.actor_subject,
    actorOrganisation: r.actor_organisation,
    requestId: r.request_id,
    reason: r.reason,
    before: r.before,
    after: r.after,
  }));
}

/** The organisation that made the agreement's latest change of this kind (null: none, or the system). */
export async function lastChangeOrganisation(db: Db, id: string, action: string): Promise<string | null> {
  const row = await db
    .selectFrom('agreement_change')
    .select('actor_organisation')
    .where('agreement_id', '=', id)
    .where('action', '=', action)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.actor_organisation ?? null;
}

/** Row version per agreement: what the decision index compares to find changed agreements. */
export async function agreementRowVersions(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('agreement').select(['id', 'row_version']).execute();
  return new Map(rows.map((r) => [r.id, r.row_version]));
}

/** Every version of the given agreements (all agreements when `ids` is omitted). */
export async function loadVersions(db: Db, ids?: readonly string[]): Promise<Map<string, Agreement[]>> {
  if (ids) return versionsOf(db, ids);
  const all = await db.selectFrom('agreement').select('id').execute();
  return versionsOf(db, all.map((r) => r.id));
}

/** Agreements whose version in force has reached the end of its period. */
export async function dueForExpiry(db: Db, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('agreement_version')
    .select('agreement_id')
    .distinct()
    .where('status', 'in', ['active', 'suspended'])
    .where('valid_to', 'is not', null)
    .where('valid_to', '<=', now)
    .execute();
  return rows.map((r) => r.agreement_id);
}

export async function countAgreements(db: Db): Promise<number> {
  const row = await db.selectFrom('agreement').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- the overview -------------------------------------------------------------------------

export type SortField = 'title' | 'validTo' | 'updatedAt';

export interface ListCursor {
  /** The sort key of the last row, as PostgreSQL text. */
  readonly key: string;
  readonly id: string;
}

export interface ListFilter {
  /** Party match, precomputed from the directory by the caller. */
  readonly party?: { readonly units: readonly string[]; readonly subtrees: readonly string[]; readonly typeKeys: readonly string[] };
  /**
   * What the reader may see (visibility.ts), matched against every version; absent: everything
   * (national oversight).
   */
  readonly viewer?: {
    readonly units: readonly string[];
    readonly subtrees: readonly string[];
    readonly typeKeys: readonly string[];
    readonly areas: readonly string[];
  };
  readonly action?: string;
  readonly purpose?: string;
  readonly status?: string;
  readonly legalBasis?: string;
  readonly expiringWithinDays?: number;
  readonly referencesClosedUnits?: boolean;
  readonly q?: string;
  readonly now: Date;
}

export interface ListOptions {
  readonly sort: SortField;
  readonly descending: boolean;
  readonly after?: ListCursor;
  readonly limit: number;
}

export interface ListRow {
  readonly agreement: Agreement;
  readonly status: AgreementStatus;
  readonly latestVersion: number;
  readonly rowVersion: number;
  readonly updatedAt: Date;
  readonly sortKey: string;
}

const SORT_KEY = {
  title: sql`v.title`,
  validTo: sql`coalesce(v.valid_to, 'infinity'::timestamptz)`,
  updatedAt: sql`a.updated_at`,
} as const;
const SORT_CAST = { title: sql`text`, validTo: sql`timestamptz`, updatedAt: sql`timestamptz` } as const;

const likePattern = (q: string): string => `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

export async function listAgreements(db: Db, filter: ListFilter, options: ListOptions): Promise<ListRow[]> {
  const where = [sql`true`];
  const f = filter;
  if (f.party) {
    where.push(sql`(v.unit_sors && ${[...f.party.units]}::text[] or v.subtree_sors && ${[...f.party.subtrees]}::text[] or v.unit_type_keys && ${[...f.party.typeKeys]}::text[])`);
  }
  if (f.viewer) {
    const w = f.viewer;
    // The same tests as termsVisible: named or covered at or below the reader, or its area.
    where.push(sql`exists (select 1 from agreement_version w where w.agreement_id = a.id and (
      w.all_sors && ${[...w.units]}::text[] or w.subtree_sors && ${[...w.subtrees]}::text[]
      or w.unit_type_keys && ${[...w.typeKeys]}::text[]
      or exists (select 1 from unnest(w.unit_type_keys) as k(key) where split_part(k.key, '|', 2) = any(${[...w.areas]}::text[]))))`);
  }
  if (f.action) where.push(sql`${f.action} = any(v.data_elements)`);
  if (f.purpose) where.push(sql`${f.purpose} = any(v.purposes)`);
  if (f.status) where.push(sql`a.status = ${f.status}`);
  if (f.legalBasis) where.push(sql`v.legal_basis_code = ${f.legalBasis}`);
  if (f.expiringWithinDays !== undefined) {
    const until = new Date(f.now.getTime() + f.expiringWithinDays * 86_400_000);
    where.push(sql`v.valid_to is not null and v.valid_to > ${f.now} and v.valid_to <= ${until}`);
  }
  if (f.referencesClosedUnits !== undefined) {
    const today = f.now.toISOString().slice(0, 10);
    const closed = sql`exists (select 1 from unnest(v.all_sors) as s(sor) left join organisation o on o.sor = s.sor
      where o.sor is null or o.removed_at is not null or (o.valid_to is not null and o.valid_to <= ${today}::date))`;
    where.push(f.referencesClosedUnits ? closed : sql`not ${closed}`);
  }
  if (f.q) {
    const p = likePattern(f.q);
    where.push(sql`(v.title ilike ${p} or v.legal_reference ilike ${p} or a.id::text = ${f.q})`);
  }
  const key = SORT_KEY[options.sort];
  const dir = options.descending ? sql`desc` : sql`asc`;
  if (options.after) {
    const cmp = options.descending ? sql`<` : sql`>`;
    where.push(sql`(${key}, a.id) ${cmp} (${options.after.key}::${SORT_CAST[options.sort]}, ${options.after.id}::uuid)`);
  }
  const result = await sql<VersionRow & { a_status: string; latest_version: number; row_version: number; a_updated_at: Date; sort_key: string }>`
    select v.agreement_id, v.version, v.status, v.amends, v.terms, v.approvals,
           a.status as a_status, a.latest_version, a.row_version, a.updated_at as a_updated_at, (${key})::text as sort_key
      from agreement a join agreement_version v on v.agreement_id = a.id and v.version = a.listed_version
     where ${sql.join(where, sql` and `)}
     order by ${key} ${dir}, a.id ${dir}
     limit ${options.limit}`.execute(db);
  return result.rows.map((r) => ({
    agreement: toAgreement(r),
    status: r.a_status as AgreementStatus,
    latestVersion: r.latest_version,
    rowVersion: r.row_version,
    updatedAt: r.a_updated_at,
    sortKey: r.sort_key,
  }));
}
