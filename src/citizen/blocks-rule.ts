/**
 * Blocking (spærring): a citizen, or a custody-holder for a child, stops a named organisation or
 * unit (with its SOR subtree) or a named professional from receiving the child's health data
 * through the broker. Pure: which of a child's blocks stop this caller.
 */
import type { SourceKind } from '../../adapters/source.js';

export type BlockTarget =
  /** The organisation or unit and everything below it in SOR. */
  | { readonly kind: 'organisation'; readonly sor: string }
  /** One professional, as their identity provider names them. */
  | { readonly kind: 'professional'; readonly issuer: string; readonly subject: string };

export interface Block {
  readonly id: string;
  readonly target: BlockTarget;
  /** Inclusive start; the block holds until withdrawn or until `validTo`. */
  readonly validFrom: Date;
  readonly validTo: Date | null;
}

/** What the block rule knows of the caller: the organisation acted for and the person. */
export interface BlockedParty {
  readonly organisationSor: string;
  readonly issuer: string;
  readonly subject: string;
}

/** Health data: the sources a block stops (the municipal PPR and family cases are not health data). */
export const HEALTH_SOURCE_KINDS: readonly SourceKind[] = ['gp', 'child-psychiatry'];

export const holdsHealthData = (kind: SourceKind): boolean => HEALTH_SOURCE_KINDS.includes(kind);

/** The blocks that stop `party` at `at`, in the order given. */
export function blocksAgainst(
  blocks: readonly Block[],
  party: BlockedParty,
  at: Date,
  isWithin: (sor: string, rootSor: string) => boolean,
): Block[] {
  const t = at.getTime();
  return blocks.filter((b) => {
    if (t < b.validFrom.getTime() || (b.validTo !== null && t >= b.validTo.getTime())) return false;
    if (b.target.kind === 'organisation') return isWithin(party.organisationSor, b.target.sor);
    return b.target.issuer === party.issuer && b.target.subject === party.subject;
  });
}
