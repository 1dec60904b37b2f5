/**
 * Whose data a citizen may see: their own, from the age of 15, or a child's in their custody,
 * while the child is under 18 and the person register names them custody-holder today. Pure:
 * the register's answer comes in as a fact; an unknown answer shows nothing.
 */
import { parsePersonIdentifier } from '../../domain/identifiers.js';
import { type AssuranceLevel, assuranceAtLeast } from '../identity/caller.js';
import type { CustodyHolder } from '../../adapters/person-register/index.js';

/** The child's own view opens at 15 (as sundhed.dk's); custody ends at majority. */
export const OWN_VIEW_FROM_AGE = 15;
export const CUSTODY_UNTIL_AGE = 18;
export const CITIZEN_MIN_ASSURANCE: AssuranceLevel = 'substantial';

export type CitizenScope =
  | { readonly kind: 'self'; readonly cpr: string }
  | { readonly kind: 'custody'; readonly childCpr: string }
  | { readonly kind: 'refused'; readonly reason: CitizenRefusal }
  | { readonly kind: 'unavailable' };

export type CitizenRefusal =
  /** The token's NSIS level is below substantial. */
  | 'insufficient-assurance'
  /** The person asked about is not the caller, nor a child in the caller's custody (said alike: a refusal never tells which). */
  | 'not-own-or-custody'
  /** The caller's own view, before their 15th birthday: their custody-holders see it. */
  | 'own-view-too-young';

/** What the register said about the requested child's custody; `unknown`: it could not say. */
export type CustodyFact = { readonly kind: 'known'; readonly holders: readonly CustodyHolder[] } | { readonly kind: 'unknown' };

export interface ScopeQuestion {
  readonly callerCpr: string;
  readonly assurance: AssuranceLevel;
  readonly requestedCpr: string;
  /** Today in Copenhagen, `YYYY-MM-DD`. */
  readonly today: string;
}

/** Whole years from an ISO birth date to `today` (ISO); null when the CPR carries no birth date. */
export function ageOn(cpr: string, today: string): number | null {
  const person = parsePersonIdentifier(cpr);
  if (person?.kind !== 'cpr') return null;
  const [by, bm, bd] = person.birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** The register is asked only when the request is not about the caller themselves. */
export const needsCustody = (q: Pick<ScopeQuestion, 'callerCpr' | 'requestedCpr'>): boolean => q.callerCpr !== q.requestedCpr;

export function decideCitizenScope(q: ScopeQuestion, custody: CustodyFact | null): CitizenScope {
  if (!assuranceAtLeast(q.assurance, CITIZEN_MIN_ASSURANCE)) return { kind: 'refused', reason: 'insufficient-assurance' };
  if (!needsCustody(q)) {
    const age = ageOn(q.callerCpr, q.today);
    return age !== null && age >= OWN_VIEW_FROM_AGE ? { kind: 'self', cpr: q.callerCpr } : { kind: 'refused', reason: 'own-view-too-young' };
  }
  const childAge = ageOn(q.requestedCpr, q.today);
  // Nobody holds custody of an adult (or of a number that is no CPR): no register answer changes that.
  if (childAge === null || childAge < 0 || childAge >= CUSTODY_UNTIL_AGE) return { kind: 'refused', reason: 'not-own-or-custody' };
  if (!custody || custody.kind === 'unknown') return { kind: 'unavailable' };
  const holds = custody.holders.some((h) => h.holderCpr === q.callerCpr && (h.from === null || h.from <= q.today) && (h.to === null || q.today <= h.to));
  return holds ? { kind: 'custody', childCpr: q.requestedCpr } : { kind: 'refused', reason: 'not-own-or-custody' };
}
