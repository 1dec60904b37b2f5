/**
 * Directory reads: search with filters and keyset pagination, one organisation with its
 * ancestors, children and EAN numbers (own and inherited), and the organisation as it was on a
 * given date (audit).
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, OrganisationDetails } from '../../db/schema/index.js';
import type { OrganisationTable } from '../../db/schema/directory.js';

type Row = Selectable<OrganisationTable>;

export interface OrganisationFilters {
  readonly q?: string | undefined;
  readonly sor?: string | undefined;
  readonly ean?: string | undefined;
  readonly ydernummer?: string | undefined;
  readonly unitType?: string | undefined;
  readonly ownerType?: string | undefined;
  readonly region?: string | undefined;
  readonly municipality?: string | undefined;
  readonly subtree?: string | undefined;
  readonly activeAt?: string | undefined;
  readonly local?: boolean | undefined;
}

export interface Page {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly sort: 'name' | 'sor';
  readonly order: 'asc' | 'desc';
}

export interface OrganisationSummary {
  sor: string;
  name: string;
  level: string;
  parentSor: string | null;
  unitType: string | null;
  ownerType: string | null;
  regionCode: string | null;
  municipalityCode: string | null;
  ydernummer: string | null;
  ownEans: string[];
  validFrom: string;
  validTo: string | null;
  removedAt: string | null;
  local: boolean;
}

export class InvalidCursorError extends Error {}

const SUMMARY_COLUMNS = [
  'sor', 'name', 'level', 'parent_sor', 'unit_type', 'owner_type', 'region_code', 'municipality_code', 'ydernummer',
  'own_eans', 'valid_from', 'valid_to', 'removed_at', 'local',
] as const;
type SummaryRow = Pick<Row, (typeof SUMMARY_COLUMNS)[number]>;

const toSummary = (r: SummaryRow): OrganisationSummary => ({
  sor: r.sor,
  name: r.name,
  level: r.level,
  parentSor: r.parent_sor,
  unitType: r.unit_type,
  ownerType: r.owner_type,
  regionCode: r.region_code,
  municipalityCode: r.municipality_code,
  ydernummer: r.ydernummer,
  ownEans: r.own_eans,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  removedAt: r.removed_at ? r.removed_at.toISOString() : null,
  local: r.local,
});

const encodeCursor = (key: string, sor: string) => Buffer.from(JSON.stringify([key, sor])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch {
    // fall through
  }
  throw new InvalidCursorError('cursor is not one this API issued');
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

export async function searchOrganisations(
  db: Kysely<Database>,
  filters: OrganisationFilters,
  page: Page,
  /**
   * Name-search strategy thresholds: up to `matchesToSort` matches are sorted rather than found
   * by walking the table in name order; the index-only walk gives up after `walkRows` entries.
   */
  tuning: { readonly matchesToSort?: number; readonly walkRows?: number } = {},
): Promise<{ items: OrganisationSummary[]; nextCursor: string | null }> {
  const matchesToSort = tuning.matchesToSort ?? MATCHES_TO_SORT;
  const walkRows = tuning.walkRows ?? WALK_ROWS;
  // Summary columns only: `details` (addresses, EAN metadata) is the bulk of a row and a list
  // never shows it.
  let query = db.selectFrom('organisation').select(SUMMARY_COLUMNS);
  const like = sql<boolean>`lower(name) like ${`%${likeEscape((filters.q ?? '').toLowerCase())}%`}`;
  if (filters.sor) query = query.where('sor', '=', filters.sor);
  if (filters.ean) query = query.where(sql<boolean>`own_eans @> array[${filters.ean}]::text[]`);
  if (filters.ydernummer) query = query.where('ydernummer', '=', filters.ydernummer);
  if (filters.unitType) query = query.where('unit_type', '=', filters.unitType);
  if (filters.ownerType) query = query.where('owner_type', '=', filters.ownerType);
  if (filters.region) query = query.where('region_code', '=', filters.region);
  if (filters.municipality) query = query.where('municipality_code', '=', filters.municipality);
  if (filters.local !== undefined) query = query.where('local', '=', filters.local);
  if (filters.subtree) {
    const root = await db.selectFrom('organisation').select('path').where('sor', '=', filters.subtree).executeTakeFirst();
    if (!root) return { items: [], nextCursor: null };
    query = query.where(sql<boolean>`path like ${`${likeEscape(root.path)}%`}`);
  }
  if (filters.activeAt) {
    const at = filters.activeAt;
    query = query
      .where('valid_from', '<=', at)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]))
      .where((eb) => eb.or([eb('removed_at', 'is', null), eb('removed_at', '>', new Date(`${at}T00:00:00Z`))]));
  }

  const key = page.sort === 'name' ? sql<string>`lower(name)` : sql<string>`sor`;
  const op = page.order === 'asc' ? sql.raw('>') : sql.raw('<');
  if (page.cursor) {
    const [k, s] = decodeCursor(page.cursor);
    query = query.where(sql<boolean>`(${key}, sor) ${op} (${k}, ${s})`);
  }
  const direction = page.order === 'asc' ? sql.raw('asc') : sql.raw('desc');
  const limit = page.limit + 1;
  if (page.sort === 'name' && Object.entries(filters).every(([name, value]) => value === undefined || COVERED_FILTERS.has(name))) {
    // The name-order index holds every column these filters read: find the page's codes in the
    // index alone, then fetch those rows. A search by name only walks the first `walkRows` index
    // entries in order; when they hold no full page (matches few, or clustered late in the
    // alphabet: every "Tandlægepraksis ..." sorts under T), its matches are found through the
    // trigram index and sorted instead. (With a subtree or date as well, a bounded walk makes the
    // planner sort the whole subtree first: those walk the index to the end if need be.)
    const keysQuery = query.clearSelect().select(['sor', sql<string>`lower(name)`.as('k')]);
    const nameOnly = Boolean(filters.q) && !filters.subtree && !filters.activeAt;
    let keys: Array<{ sor: string }> = nameOnly
      ? await db
          .selectFrom(keysQuery.orderBy(sql`${key} ${direction}`).orderBy(sql`sor ${direction}`).limit(walkRows).as('walk'))
          .select('sor')
          .where(sql<boolean>`k like ${`%${likeEscape((filters.q ?? '').toLowerCase())}%`}`)
          .orderBy(sql`k ${direction}`)
          .orderBy(sql`sor ${direction}`)
          .limit(limit)
          .execute()
      : await (filters.q ? keysQuery.where(like) : keysQuery).orderBy(sql`${key} ${direction}`).orderBy(sql`sor ${direction}`).limit(limit).execute();
    if (nameOnly && keys.length < limit) {
      keys = await db
        .with((cte) => cte('matches').materialized(), () => keysQuery.where(like))
        .selectFrom('matches')
        .select('sor')
        .orderBy(sql`k ${direction}`)
        .orderBy(sql`sor ${direction}`)
        .limit(limit)
        .execute();
    }
    if (keys.length === 0) return toPage([], page);
    const rows = await db.selectFrom('organisation').select(SUMMARY_COLUMNS).where('sor', 'in', keys.map((k) => k.sor)).execute();
    const bySor = new Map(rows.map((r) => [r.sor, r]));
    return toPage(keys.flatMap((k) => bySor.get(k.sor) ?? []), page);
  }
  if (filters.q) query = query.where(like);
  if (!filters.q) {
    return toPage(await query.orderBy(sql`${key} ${direction}`).orderBy(sql`sor ${direction}`).limit(limit).execute(), page);
  }

  // A name search walks the name index in order until a page is full, which is fast when matches
  // are many and spread out, and slow when they are few or cluster late in the alphabet (all
  // "Tandlægepraksis ..." sort under T): the planner cannot tell the two apart. So the matches
  // are collected first, up to `matchesToSort` of them through the trigram index, and sorted;
  // only beyond that does the ordered walk answer. One statement: the branch whose one-time
  // condition is false is never run, and each branch returns its rows in order.
  const matches = query.limit(matchesToSort + 1);
  const count = sql<number>`(select count(*) from matches)`;
  const rows = await db
    .with((cte) => cte('matches').materialized(), () => matches)
    .selectFrom((eb) => eb.selectFrom('matches').selectAll().orderBy(sql`${key} ${direction}`).orderBy(sql`sor ${direction}`).limit(limit).as('sorted'))
    .selectAll()
    .where(sql<boolean>`${count} <= ${matchesToSort}`)
    .unionAll((eb) =>
      eb
        .selectFrom(query.orderBy(sql`${key} ${direction}`).orderBy(sql`sor ${direction}`).limit(limit).as('walked'))
        .selectAll()
        .where(sql<boolean>`${count} > ${matchesToSort}`),
    )
    .execute();
  return toPage(rows, page);
}

/** Filters the name-order index answers alone (it includes name, path and validity). */
const COVERED_FILTERS = new Set(['q', 'subtree', 'activeAt']);

/** Index entries an index-only name walk reads (~1 ms) before it sorts the matches instead. */
const WALK_ROWS = 10_000;

/** Sorting 4,000 matches costs about what walking far for a page of sparse matches does. */
const MATCHES_TO_SORT = 4000;

function toPage(rows: readonly SummaryRow[], page: Page): { items: OrganisationSummary[]; nextCursor: string | null } {
  const items = rows.slice(0, page.limit).map(toSummary);
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return {
    items,
    nextCursor: last ? encodeCursor(page.sort === 'name' ? last.name.toLowerCase() : last.sor, last.sor) : null,
  };
}

export interface EanEntry {
  ean: string;
  own: boolean;
  heldBy: string;
}

export interface OrganisationDetail extends OrganisationSummary {
  shakCode: string | null;
  addresses: OrganisationDetails['addresses'];
  phones: string[];
  emails: string[];
  websites: string[];
  specialities: string[];
  replacedBy: string[];
  kombitOrganisationUuid: string | null;
  /** Own EAN numbers, or the nearest ancestor's when it has none (the MedCom address to use). */
  eanNumbers: EanEntry[];
  ancestors: OrganisationSummary[];
  children: OrganisationSummary[];
}

export async function getOrganisation(db: Kysely<Database>, sor: string): Promise<OrganisationDetail | null> {
  const row = await db.selectFrom('organisation').selectAll().where('sor', '=', sor).executeTakeFirst();
  if (!row) return null;
  const ancestorCodes = row.path.split('/').filter((s) => s && s !== sor);
  const [ancestorRows, children] = await Promise.all([
    ancestorCodes.length ? db.selectFrom('organisation').selectAll().where('sor', 'in', ancestorCodes).execute() : Promise.resolve([]),
    db.selectFrom('organisation').selectAll().where('parent_sor', '=', sor).orderBy(sql`lower(name)`).execute(),
  ]);
  // Nearest first.
  const byCode = new Map(ancestorRows.map((r) => [r.sor, r]));
  const ancestors = ancestorCodes.reverse().flatMap((code) => (byCode.get(code) ? [byCode.get(code) as Row] : []));
  return {
    ...toSummary(row),
    shakCode: row.shak_code,
    addresses: row.details.addresses,
    phones: row.details.phones,
    emails: row.details.emails,
    websites: row.details.websites,
    specialities: row.details.specialities,
    replacedBy: row.details.replacedBy,
    kombitOrganisationUuid: row.details.kombitOrganisationUuid ?? null,
    eanNumbers: effectiveEans(row, ancestors),
    ancestors: ancestors.map(toSummary),
    children: children.map(toSummary),
  };
}

/** EAN inheritance: an entity without EAN numbers of its own uses its nearest ancestor's. */
export function effectiveEans(row: Pick<Row, 'sor' | 'own_eans'>, ancestorsNearestFirst: ReadonlyArray<Pick<Row, 'sor' | 'own_eans'>>): EanEntry[] {
  if (row.own_eans.length > 0) return row.own_eans.map((ean) => ({ ean, own: true, heldBy: row.sor }));
  const holder = ancestorsNearestFirst.find((a) => a.own_eans.length > 0);
  return holder ? holder.own_eans.map((ean) => ({ ean, own: false, heldBy: holder.sor })) : [];
}

export interface OrganisationVersion {
  change: string;
  recordedFrom: string;
  recordedTo: string | null;
  importId: string | null;
  changedBy: string | null;
  record: Record<string, unknown>;
}

/** The organisation as the directory held it at `at` (null when unknown then). */
export async function organisationAsOf(db: Kysely<Database>, sor: string, at: Date): Promise<OrganisationVersion | null> {
  const row = await db
    .selectFrom('organisation_version')
    .selectAll()
    .where('sor', '=', sor)
    .where('recorded_from', '<=', at)
    .where((eb) => eb.or([eb('recorded_to', 'is', null), eb('recorded_to', '>', at)]))
    .orderBy('recorded_from', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toVersion(row) : null;
}

export async function organisationHistory(db: Kysely<Database>, sor: string): Promise<OrganisationVersion[]> {
  const rows = await db.selectFrom('organisation_version').selectAll().where('sor', '=', sor).orderBy('recorded_from').orderBy('id').execute();
  return rows.map(toVersion);
}

function toVersion(row: Selectable<Database['organisation_version']>): OrganisationVersion {
  return {
    change: row.change,
    recordedFrom: row.recorded_from.toISOString(),
    recordedTo: row.recorded_to ? row.recorded_to.toISOString() : null,
    importId: row.import_id,
    changedBy: row.changed_by,
    record: row.record,
  };
}
