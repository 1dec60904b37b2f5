/**
 * Who sees which agreements (pure). An organisation sees an agreement when, in any of its
 * versions, it or an organisation below it in SOR is named (party, approving organisation) or
 * covered (below a subtree party, of a party's unit type in its area), or when it is the
 * authority of a unit-type selector's area (the region for "all GP practices in the region").
 * National oversight organisations (configured) see every agreement. The same keys drive the
 * overview's SQL filter (store.ts) and the single reads, so the two cannot disagree.
 */
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { areaKey, areaOf } from './approval-rule.js';
import type { AgreementRecord, AgreementTerms } from './model.js';
import { unitTypeKey } from './store.js';
import { selectorUnitType } from '../directory/local-unit-types.js';

export interface PartyFilter {
  readonly sor: string;
  readonly includeSubtree: boolean;
}

export interface PartyKeys {
  readonly units: string[];
  readonly subtrees: string[];
  readonly typeKeys: string[];
}

/** What an organisation's viewing rights match: its party keys with its subtree, and its areas. */
export interface ViewerKeys extends PartyKeys {
  /** `r:<region code>` / `m:<kommunekode>` where the organisation is the area's authority. */
  readonly areas: string[];
}

/**
 * Which stored selectors concern an organisation: a unit selector naming it, a subtree selector
 * rooted at it or above it, a unit-type selector covering it (its own type or an ancestor's, in
 * its area). With `includeSubtree`, the same for every organisation below it.
 */
export function partyKeys(dir: DecisionDirectoryView, filter: PartyFilter): PartyKeys {
  const units = new Set<string>([filter.sor]);
  const subtrees = new Set<string>([filter.sor]);
  const typeKeys = new Set<string>();
  const addTypes = (sor: string) => {
    const org = dir.get(sor);
    if (!org) return;
    for (const typed of [org, ...dir.ancestors(sor)]) {
      // The access decision's rule (decision-index.ts): a local unit counts only for municipal types.
      const unitType = selectorUnitType(org, typed);
      if (unitType === null) continue;
      const region = dir.regionOf(typed.sor);
      const municipality = dir.municipalityOf(typed.sor);
      if (region !== null) typeKeys.add(unitTypeKey({ kind: 'unit-type', unitType, area: { kind: 'region', regionCode: region } }));
      if (municipality !== null) {
        typeKeys.add(unitTypeKey({ kind: 'unit-type', unitType, area: { kind: 'municipality', municipalityCode: municipality } }));
      }
    }
  };
  for (const a of dir.ancestors(filter.sor)) subtrees.add(a.sor);
  addTypes(filter.sor);
  if (filter.includeSubtree) {
    const stack = [...dir.children(filter.sor)];
    const seen = new Set<string>([filter.sor]);
    while (stack.length > 0) {
      const o = stack.pop();
      if (!o || seen.has(o.sor)) continue;
      seen.add(o.sor);
      units.add(o.sor);
      subtrees.add(o.sor);
      addTypes(o.sor);
      stack.push(...dir.children(o.sor));
    }
  }
  return { units: [...units], subtrees: [...subtrees], typeKeys: [...typeKeys] };
}

/** The keys of what `org` may see; `null` for a national oversight organisation (everything). */
export function viewerKeys(dir: DecisionDirectoryView, org: string, nationalOversight: readonly string[]): ViewerKeys | null {
  if (nationalOversight.includes(org)) return null;
  const area = areaOf(org, dir);
  return { ...partyKeys(dir, { sor: org, includeSubtree: true }), areas: area === null ? [] : [area] };
}

export function termsVisible(keys: ViewerKeys, terms: AgreementTerms): boolean {
  const units = new Set(keys.units);
  const subtrees = new Set(keys.subtrees);
  const typeKeys = new Set(keys.typeKeys);
  const areas = new Set(keys.areas);
  for (const side of [terms.sideA, terms.sideB]) {
    if (units.has(side.approvingOrganisationSor)) return true;
    for (const p of side.parties) {
      if (p.kind === 'unit' && units.has(p.sor)) return true;
      // Rooted at or below the viewer (it owns it), or above it (it is covered).
      if (p.kind === 'subtree' && (units.has(p.sor) || subtrees.has(p.sor))) return true;
      if (p.kind === 'unit-type' && (typeKeys.has(unitTypeKey(p)) || areas.has(areaKey(p.area)))) return true;
    }
  }
  return false;
}

export function recordVisible(keys: ViewerKeys | null, record: AgreementRecord): boolean {
  return keys === null || record.versions.some((v) => termsVisible(keys, v));
}
