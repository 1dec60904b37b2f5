/**
 * Pure pieces of the agreement pages: the overview's URL filters (parsed with the API's own list
 * schema, plus the two the store does not index), a readable diff of two versions' terms, and the
 * party notation of the create/revise form.
 */
import { z } from 'zod';
import { describeSelector } from '../agreements/csv.js';
import type { Agreement, AgreementTerms, PartySelector } from '../agreements/model.js';
import { listQuerySchema } from '../agreements/schemas.js';
import type { AgreementQuery } from '../agreements/service.js';
import type { ListOptions, ListRow, SortField } from '../agreements/store.js';

const dateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const consoleOnly = z.object({
  unitType: z.string().regex(/^[0-9A-Za-z-]{1,40}$/).optional(),
  validAt: dateOnly.optional(),
});

export interface OverviewFilters {
  readonly query: AgreementQuery;
  readonly options: Omit<ListOptions, 'limit'>;
  readonly unitType: string | undefined;
  readonly validAt: Date | undefined;
  /** The filters as given, for the form and the CSV link. */
  readonly params: Readonly<Record<string, string>>;
}

/** Empty form fields mean "no filter"; anything else must pass the API's schema, or is dropped. */
export function parseOverviewFilters(search: URLSearchParams): OverviewFilters {
  const raw: Record<string, string> = {};
  for (const [k, v] of search) if (v.trim() !== '' && k !== 'done') raw[k] = v.trim();
  const api = listQuerySchema.safeParse(raw);
  const q = api.success ? api.data : listQuerySchema.parse({ sort: raw.sort && listQuerySchema.shape.sort.safeParse(raw.sort).success ? raw.sort : undefined });
  const extra = consoleOnly.safeParse({ unitType: raw.unitType, validAt: raw.validAt });
  const params: Record<string, string> = {};
  for (const key of ['party', 'includeSubtree', 'action', 'purpose', 'status', 'legalBasis', 'expiringWithinDays', 'referencesClosedUnits', 'q', 'sort', 'unitType', 'validAt'] as const) {
    if (raw[key] !== undefined && (api.success || key === 'sort' || key === 'unitType' || key === 'validAt')) params[key] = raw[key];
  }
  return {
    query: {
      ...(q.party ? { party: { sor: q.party, includeSubtree: q.includeSubtree ?? false } } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.purpose ? { purpose: q.purpose } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.legalBasis ? { legalBasis: q.legalBasis } : {}),
      ...(q.expiringWithinDays !== undefined ? { expiringWithinDays: q.expiringWithinDays } : {}),
      ...(q.referencesClosedUnits !== undefined ? { referencesClosedUnits: q.referencesClosedUnits } : {}),
      ...(q.q ? { q: q.q } : {}),
    },
    options: { sort: q.sort.replace(/^-/, '') as SortField, descending: q.sort.startsWith('-') },
    unitType: extra.success ? extra.data.unitType : undefined,
    validAt: extra.success && extra.data.validAt ? new Date(`${extra.data.validAt}T12:00:00Z`) : undefined,
    params,
  };
}

/**
 * The two filters the store has no column for, applied to the rows it returned (already limited
 * to what the reader may see): a unit type named by a party selector or held by a named unit, and
 * a period that covers the given day.
 */
export function applyConsoleFilters(rows: readonly ListRow[], filters: Pick<OverviewFilters, 'unitType' | 'validAt'>, unitTypeOf: (sor: string) => string | null): ListRow[] {
  return rows.filter((row) => {
    const a = row.agreement;
    if (filters.unitType) {
      const parties = [...a.sideA.parties, ...a.sideB.parties];
      const named = parties.some((p) => (p.kind === 'unit-type' ? p.unitType === filters.unitType : unitTypeOf(p.sor) === filters.unitType));
      if (!named) return false;
    }
    if (filters.validAt) {
      const t = filters.validAt.getTime();
      if (new Date(a.period.validFrom).getTime() > t) return false;
      if (a.period.validTo !== null && new Date(a.period.validTo).getTime() <= t) return false;
    }
    return true;
  });
}

export interface DiffRow {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

const TERM_FIELDS = ['title', 'sideA', 'sideB', 'dataElements', 'direction', 'purposes', 'roles', 'minimumAssurance', 'legalBasis', 'period'] as const;

function show(terms: AgreementTerms, field: (typeof TERM_FIELDS)[number]): string {
  switch (field) {
    case 'sideA':
    case 'sideB': {
      const side = terms[field];
      return `${side.parties.map(describeSelector).join(', ')} (approver ${side.approvingOrganisationSor})`;
    }
    case 'dataElements':
    case 'purposes':
    case 'roles':
      return [...terms[field]].sort().join(', ');
    case 'legalBasis':
      return `${terms.legalBasis.code}${terms.legalBasis.reference ? `: ${terms.legalBasis.reference}` : ''}`;
    case 'period':
      return `${terms.period.validFrom} – ${terms.period.validTo ?? '…'}`;
    default:
      return String(terms[field]);
  }
}

/** What changed between two versions' terms, field by field, as people read it. */
export function termsDiff(before: AgreementTerms, after: AgreementTerms): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const field of TERM_FIELDS) {
    const b = show(before, field);
    const a = show(after, field);
    if (a !== b) rows.push({ field, before: b, after: a });
  }
  return rows;
}

export const selectorText = describeSelector;

/** One party per line in the form's notation (the CSV's): unit:SOR, subtree:SOR, unit-type:T@region:CODE. */
export function parseParties(text: string): PartySelector[] | { error: string } {
  const out: PartySelector[] = [];
  for (const line of text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    let m = /^(unit|subtree):(\d{6,18})$/.exec(line);
    if (m) {
      out.push({ kind: m[1] as 'unit' | 'subtree', sor: m[2] as string });
      continue;
    }
    m = /^unit-type:([0-9A-Za-z-]{1,40})@(region|municipality):(\d{3,4})$/.exec(line);
    if (m) {
      const [, unitType, kind, code] = m as unknown as [string, string, 'region' | 'municipality', string];
      out.push({ kind: 'unit-type', unitType, area: kind === 'region' ? { kind, regionCode: code } : { kind, municipalityCode: code } });
      continue;
    }
    return { error: line.slice(0, 60) };
  }
  return out;
}

export const partiesText = (parties: readonly PartySelector[]): string => parties.map(describeSelector).join('\n');

/** The versions of an agreement newest first, each with its diff against the one it amends. */
export function versionDiffs(versions: readonly Agreement[]): { version: Agreement; diff: DiffRow[] | null }[] {
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  return [...versions]
    .sort((x, y) => y.version - x.version)
    .map((v) => {
      const base = v.amends !== null ? byNumber.get(v.amends) : byNumber.get(v.version - 1);
      return { version: v, diff: base ? termsDiff(base, v) : null };
    });
}
