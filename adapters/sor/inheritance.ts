/**
 * Pure tree helpers for the importer, run over the full set of parsed records (the parser itself
 * keeps nothing): effective EAN numbers with inheritance, and cycle detection on parent links.
 */
import type { EanNumber } from '../../src/directory/model.js';
import type { SorEanLocation } from './types.js';

export interface EanHolder {
  readonly sor: string;
  readonly parentSor: string | null;
  readonly eans: readonly SorEanLocation[];
}

function active(eans: readonly SorEanLocation[]): readonly SorEanLocation[] {
  return eans.filter((e) => e.nonActive !== true);
}

/**
 * Each entity's effective EAN list: its own active EAN numbers, or when it has none, those of
 * its nearest ancestor that has some (marked `own: false`, `heldBy` that ancestor). EANs that
 * SOR marks `NonActiveIndicator=true` are not addresses and are left out. An entity with no
 * EAN up its whole chain gets an empty list. Parent links that leave the set or loop stop the walk.
 */
export function resolveInheritedEans(records: Iterable<EanHolder>): ReadonlyMap<string, readonly EanNumber[]> {
  const bySor = new Map<string, EanHolder>();
  for (const r of records) bySor.set(r.sor, r);
  const holderOf = new Map<string, string | null>();

  const findHolder = (sor: string): string | null => {
    const chain: string[] = [];
    const visiting = new Set<string>();
    let current: string | null = sor;
    let found: string | null = null;
    while (current !== null) {
      const cached = holderOf.get(current);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      const rec = bySor.get(current);
      if (rec === undefined || visiting.has(current)) break;
      visiting.add(current);
      chain.push(current);
      if (active(rec.eans).length > 0) {
        found = current;
        break;
      }
      current = rec.parentSor;
    }
    for (const s of chain) holderOf.set(s, found);
    return found;
  };

  const result = new Map<string, readonly EanNumber[]>();
  for (const [sor] of bySor) {
    const holder = findHolder(sor);
    const held = holder === null ? undefined : bySor.get(holder);
    result.set(
      sor,
      held === undefined
        ? []
        : active(held.eans).map((e) => ({
            ean: e.ean,
            own: holder === sor,
            heldBy: held.sor,
            systemSupplier: e.systemSupplier ?? undefined,
            ediAdministrativeCode: e.ediAdministrator ?? undefined,
          })),
    );
  }
  return result;
}

export interface ParentLink {
  readonly sor: string;
  readonly parentSor: string | null;
  /** An explicit parent reference; when present it is the link that is followed. */
  readonly declaredParentSor?: string | null;
}

/**
 * Cycles in the parent links, each as the SOR codes on the loop starting from its smallest
 * code (empty when the links form a forest). Nesting alone cannot loop, but explicit parent
 * references and records merged from several sources can.
 */
export function checkParentCycles(records: Iterable<ParentLink>): readonly (readonly string[])[] {
  const parentOf = new Map<string, string | null>();
  for (const r of records) parentOf.set(r.sor, r.declaredParentSor ?? r.parentSor);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  for (const start of parentOf.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    let current: string | null | undefined = start;
    while (current !== null && current !== undefined && parentOf.has(current) && !state.has(current)) {
      state.set(current, 'open');
      path.push(current);
      current = parentOf.get(current);
    }
    if (current !== null && current !== undefined && state.get(current) === 'open') {
      const loop = path.slice(path.indexOf(current));
      const min = loop.reduce((a, b) => (compareSor(a, b) <= 0 ? a : b));
      const at = loop.indexOf(min);
      cycles.push([...loop.slice(at), ...loop.slice(0, at)]);
    }
    for (const s of path) state.set(s, 'done');
  }
  return cycles;
}

/** Numeric order of digit strings without converting (they exceed safe integers). */
function compareSor(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
