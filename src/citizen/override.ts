/**
 * Emergency override (værdispring): a clinician sets a citizen's block aside for one lookup by
 * stating why. Only a clinician, and only with NSIS assurance high: the override reaches health
 * data the citizen has refused, so it needs the strongest identity the national scheme has.
 * The reason itself is checked at the edge (the lookup request schema).
 */
import { type Caller, assuranceAtLeast } from '../identity/caller.js';

export type OverrideRefusal = 'override-role-not-allowed' | 'override-assurance-too-low';

export function overrideRefusal(caller: Pick<Caller, 'role' | 'assurance'>): OverrideRefusal | null {
  if (caller.role !== 'clinician') return 'override-role-not-allowed';
  if (!assuranceAtLeast(caller.assurance, 'high')) return 'override-assurance-too-low';
  return null;
}

export const OVERRIDE_REFUSAL_DETAIL: Readonly<Record<OverrideRefusal, string>> = {
  'override-role-not-allowed': 'only a clinician may override a citizen\'s block',
  'override-assurance-too-low': 'an emergency override needs NSIS assurance high; sign in with a high-assurance identity to override',
};
