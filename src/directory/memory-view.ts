/**
 * An in-memory directory snapshot: the DirectoryView the pure access decision reads, plus the
 * derived facts it needs (inherited region/municipality, validity at an instant). Built once
 * from a list of organisations; filled from the database by the directory service.
 */
import type { DirectoryView, Organisation } from './model.js';

export interface DecisionDirectoryView extends DirectoryView {
  /** Region code of the organisation, or of its nearest ancestor that has one. */
  regionOf(sor: string): string | null;
  /** Kommunekode of the organisation, or of its nearest ancestor that has one. */
  municipalityOf(sor: string): string | null;
  /**
   * True when the organisation exists and its own SOR validity covers `at`
   * (validFrom inclusive, validTo exclusive). An unknown code is not active.
   */
  isActive(sor: string, at: Date): boolean;
  /** Children of an organisation (direct only). */
  children(sor: string): readonly Organisation[];
  readonly size: number;
}

interface Entry {
  readonly org: Organisation;
  readonly fromMs: number;
  readonly toMs: number;
  ancestors: readonly Organisation[] | undefined;
  region: string | null | undefined;
  municipality: string | null | undefined;
}

const EMPTY: readonly Organisation[] = [];

function parseInstant(value: string, what: string, sor: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`organisation ${sor}: ${what} is not a date: ${value}`);
  return ms;
}

export function createMemoryDirectoryView(orgs: readonly Organisation[]): DecisionDirectoryView {
  const entries = new Map<string, Entry>();
  const children = new Map<string, Organisation[]>();
  for (const org of orgs) {
    if (entries.has(org.sor)) throw new Error(`duplicate SOR code in directory: ${org.sor}`);
    entries.set(org.sor, {
      org,
      fromMs: parseInstant(org.validFrom, 'validFrom', org.sor),
      toMs: org.validTo === null ? Number.POSITIVE_INFINITY : parseInstant(org.validTo, 'validTo', org.sor),
      ancestors: undefined,
      region: undefined,
      municipality: undefined,
    });
    if (org.parentSor !== null) {
      const list = children.get(org.parentSor);
      if (list) list.push(org);
      else children.set(org.parentSor, [org]);
    }
  }

  // Ancestor chains are computed lazily and memoised: each entry reuses its parent's chain.
  function ancestorsOf(entry: Entry): readonly Organisation[] {
    if (entry.ancestors) return entry.ancestors;
    const chain: Organisation[] = [];
    const seen = new Set<string>([entry.org.sor]);
    let parentSor = entry.org.parentSor;
    while (parentSor !== null) {
      const parent = entries.get(parentSor);
      // A dangling parent or a cycle ends the chain: a bad snapshot must not hang the decision.
      if (!parent || seen.has(parentSor)) break;
      if (parent.ancestors) {
        chain.push(parent.org);
        for (const a of parent.ancestors) {
          if (seen.has(a.sor)) break;
          chain.push(a);
        }
        break;
      }
      seen.add(parentSor);
      chain.push(parent.org);
      parentSor = parent.org.parentSor;
    }
    entry.ancestors = chain;
    return chain;
  }

  function inherited(entry: Entry, pick: (o: Organisation) => string | null): string | null {
    const own = pick(entry.org);
    if (own !== null) return own;
    for (const a of ancestorsOf(entry)) {
      const v = pick(a);
      if (v !== null) return v;
    }
    return null;
  }

  return {
    size: entries.size,
    get: (sor) => entries.get(sor)?.org,
    ancestors(sor) {
      const e = entries.get(sor);
      return e ? ancestorsOf(e) : EMPTY;
    },
    isWithin(sor, rootSor) {
      if (sor === rootSor) return entries.has(sor);
      const e = entries.get(sor);
      return e ? ancestorsOf(e).some((a) => a.sor === rootSor) : false;
    },
    children: (sor) => children.get(sor) ?? EMPTY,
    regionOf(sor) {
      const e = entries.get(sor);
      if (!e) return null;
      if (e.region === undefined) e.region = inherited(e, (o) => o.regionCode);
      return e.region;
    },
    municipalityOf(sor) {
      const e = entries.get(sor);
      if (!e) return null;
      if (e.municipality === undefined) e.municipality = inherited(e, (o) => o.municipalityCode);
      return e.municipality;
    },
    isActive(sor, at) {
      const e = entries.get(sor);
      if (!e) return false;
      const t = at.getTime();
      return e.fromMs <= t && t < e.toMs;
    },
  };
}
