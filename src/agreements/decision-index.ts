/**
 * The in-memory index the access decision reads. Agreements are indexed by the keys of their
 * party selectors (unit SOR, subtree root SOR, unit type + area), so a decision looks up the
 * caller's and the target's organisations and walks their ancestors instead of scanning every
 * agreement. Which agreements (and which sides) an organisation falls under is memoised per
 * organisation as a sorted slot array; a decision intersects the two arrays.
 *
 * Updates (`replace`, `remove`, `setDirectory`) clear the memo: they come from LISTEN/NOTIFY at
 * a rate of a few per minute, and the memo refills lazily within milliseconds.
 */
import { selectorUnitType } from '../directory/local-unit-types.js';
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { ASSURANCE_RANK, DATA_ROLES, type DataRole } from '../identity/caller.js';
import { PURPOSES, isIndexable, type Agreement, type DataElement, type PartySelector, type Purpose } from './model.js';

/** Bit per data element, purpose and role: checks in the hot path are single AND operations. */
export const ELEMENT_BIT: Readonly<Record<DataElement, number>> = {
  'case-existence': 1,
  'contact-details': 2,
  correspondence: 4,
};
export const PURPOSE_BIT: Readonly<Record<Purpose, number>> = Object.fromEntries(
  PURPOSES.map((p, i) => [p, 1 << i]),
) as Record<Purpose, number>;
export const ROLE_BIT: Readonly<Record<DataRole, number>> = Object.fromEntries(DATA_ROLES.map((r, i) => [r, 1 << i])) as Record<
  DataRole,
  number
>;

/** Side bits in an organisation's match mask. */
export const SIDE_A = 1;
export const SIDE_B = 2;

export interface IndexedAgreement {
  readonly agreement: Agreement;
  readonly slot: number;
  readonly fromMs: number;
  /** Exclusive end; +Infinity when open-ended. */
  readonly toMs: number;
  readonly elementBits: number;
  readonly purposeBits: number;
  readonly roleBits: number;
  readonly minimumAssuranceRank: number;
  readonly mutual: boolean;
}

/** Agreement slots an organisation falls under, ascending, with the side bits per slot. */
export interface OrganisationMatches {
  readonly slots: Int32Array;
  readonly sides: Uint8Array;
}

export interface DecisionIndex {
  readonly directory: DecisionDirectoryView;
  /** Number of indexed agreement versions. */
  readonly size: number;
  matchesOf(sor: string): OrganisationMatches;
  agreementAt(slot: number): IndexedAgreement | undefined;
  /** Replace every indexed version of agreement `id` by `versions` (incremental refresh). */
  replace(id: string, versions: readonly Agreement[]): void;
  remove(id: string): void;
  /** Swap in a new directory snapshot (party selectors resolve against it). */
  setDirectory(directory: DecisionDirectoryView): void;
}

export interface DecisionIndexOptions {
  /** Most organisations whose matches are memoised before the memo is cleared. */
  readonly memoLimit?: number;
}

const NO_MATCHES: OrganisationMatches = { slots: new Int32Array(0), sides: new Uint8Array(0) };

function selectorKeys(s: PartySelector): string {
  switch (s.kind) {
    case 'unit':
      return `u:${s.sor}`;
    case 'subtree':
      return `s:${s.sor}`;
    case 'unit-type':
      return s.area.kind === 'region'
        ? `t:${s.unitType}|r:${s.area.regionCode}`
        : `t:${s.unitType}|m:${s.area.municipalityCode}`;
  }
}

function bits<T extends string>(values: readonly T[], table: Readonly<Record<T, number>>): number {
  let b = 0;
  for (const v of values) b |= table[v] ?? 0;
  return b;
}

function instant(value: string, what: string, id: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`agreement ${id}: ${what} is not a date: ${value}`);
  return ms;
}

export function buildDecisionIndex(
  agreements: readonly Agreement[],
  directory: DecisionDirectoryView,
  options: DecisionIndexOptions = {},
): DecisionIndex {
  const memoLimit = options.memoLimit ?? 100_000;
  const slots: (IndexedAgreement | undefined)[] = [];
  /** selector key -> packed (slot << 2 | side bit) */
  const byKey = new Map<string, number[]>();
  const slotsById = new Map<string, number[]>();
  const memo = new Map<string, OrganisationMatches>();
  let dir = directory;
  let size = 0;

  function add(a: Agreement): void {
    if (!isIndexable(a.status)) return;
    const slot = slots.length;
    slots.push({
      agreement: a,
      slot,
      fromMs: instant(a.period.validFrom, 'validFrom', a.id),
      toMs: a.period.validTo === null ? Number.POSITIVE_INFINITY : instant(a.period.validTo, 'validTo', a.id),
      elementBits: bits(a.dataElements, ELEMENT_BIT),
      purposeBits: bits(a.purposes, PURPOSE_BIT),
      roleBits: bits(a.roles, ROLE_BIT),
      minimumAssuranceRank: ASSURANCE_RANK[a.minimumAssurance],
      mutual: a.direction === 'mutual',
    });
    size++;
    const ids = slotsById.get(a.id);
    if (ids) ids.push(slot);
    else slotsById.set(a.id, [slot]);
    const put = (s: PartySelector, side: number): void => {
      const key = selectorKeys(s);
      const packed = slot * 4 + side;
      const list = byKey.get(key);
      if (list) list.push(packed);
      else byKey.set(key, [packed]);
    };
    for (const s of a.sideA.parties) put(s, SIDE_A);
    for (const s of a.sideB.parties) put(s, SIDE_B);
  }

  function drop(id: string): void {
    const old = slotsById.get(id);
    if (!old) return;
    const gone = new Set(old);
    const keys = new Set<string>();
    for (const slot of old) {
      const ia = slots[slot];
      if (!ia) continue;
      for (const s of ia.agreement.sideA.parties) keys.add(selectorKeys(s));
      for (const s of ia.agreement.sideB.parties) keys.add(selectorKeys(s));
      slots[slot] = undefined;
      size--;
    }
    for (const key of keys) {
      const list = byKey.get(key);
      if (!list) continue;
      const kept = list.filter((packed) => !gone.has(Math.floor(packed / 4)));
      if (kept.length === 0) byKey.delete(key);
      else byKey.set(key, kept);
    }
    slotsById.delete(id);
  }

  function collect(acc: Map<number, number>, key: string): void {
    const list = byKey.get(key);
    if (!list) return;
    for (const packed of list) {
      const slot = Math.floor(packed / 4);
      acc.set(slot, (acc.get(slot) ?? 0) | (packed & 3));
    }
  }

  function compute(sor: string): OrganisationMatches {
    const org = dir.get(sor);
    if (!org) return NO_MATCHES;
    const acc = new Map<number, number>();
    collect(acc, `u:${sor}`);
    collect(acc, `s:${sor}`);
    for (const a of dir.ancestors(sor)) collect(acc, `s:${a.sor}`);
    // A unit type covers the typed entity and what lies below it: in SOR the GP practice is the
    // health institution typed "almen praksis", while its clinic unit (with the ydernummer) has
    // no type of its own and is what a GP system acts for.
    // A local unit counts only for municipal types (selectorUnitType): never as a GP practice.
    for (const typed of [org, ...dir.ancestors(sor)]) {
      const unitType = selectorUnitType(org, typed);
      if (unitType === null) continue;
      const region = dir.regionOf(typed.sor);
      if (region !== null) collect(acc, `t:${unitType}|r:${region}`);
      const municipality = dir.municipalityOf(typed.sor);
      if (municipality !== null) collect(acc, `t:${unitType}|m:${municipality}`);
    }
    if (acc.size === 0) return NO_MATCHES;
    const ordered = [...acc.keys()].sort((x, y) => x - y);
    const sides = new Uint8Array(ordered.length);
    ordered.forEach((slot, i) => {
      sides[i] = acc.get(slot) ?? 0;
    });
    return { slots: Int32Array.from(ordered), sides };
  }

  for (const a of agreements) add(a);

  return {
    get directory() {
      return dir;
    },
    get size() {
      return size;
    },
    matchesOf(sor) {
      let m = memo.get(sor);
      if (m === undefined) {
        if (memo.size >= memoLimit) memo.clear();
        m = compute(sor);
        memo.set(sor, m);
      }
      return m;
    },
    agreementAt: (slot) => slots[slot],
    replace(id, versions) {
      for (const v of versions) {
        if (v.id !== id) throw new Error(`replace(${id}): got a version of agreement ${v.id}`);
      }
      drop(id);
      for (const v of versions) add(v);
      memo.clear();
    },
    remove(id) {
      drop(id);
      memo.clear();
    },
    setDirectory(next) {
      dir = next;
      memo.clear();
    },
  };
}
