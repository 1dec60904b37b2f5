/**
 * Who may approve, draft and see an agreement: pure rules over the directory (see the README's
 * "Trust model: agreements").
 *
 * Authority follows SOR. An organisation has authority over a party when it is that party's own
 * SOR entity or an owner above it: an ancestor at the institution-owner or health-institution
 * level (the municipality for its PPR, the region or the hospital for its psychiatry units). A
 * parent organisational unit is not an owner. For a unit-type selector ("all GP practices in
 * Region Nordjylland") the owner is the authority of the area: the region's institution owner
 * (owner type region, that region code) or the municipality's (owner type municipality, that
 * kommunekode); GP practices are private owners, so the region that contracts them speaks for
 * them, not one practice for all.
 */
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import type { Agreement, AgreementSide, AgreementTerms, Area, PartySelector, SideName } from './model.js';

const OWNER_LEVELS = new Set(['institution-owner', 'health-institution']);

/** True when `org` is an owner (institution owner or health institution) above `sor` in SOR. */
export function isOwnerOf(org: string, sor: string, dir: DecisionDirectoryView): boolean {
  return dir.ancestors(sor).some((a) => a.sor === org && OWNER_LEVELS.has(a.level));
}

/** The area key of the region or municipality `org` is the institution owner of, if any. */
export function areaOf(org: string, dir: DecisionDirectoryView): string | null {
  const o = dir.get(org);
  if (!o || o.level !== 'institution-owner') return null;
  if (o.ownerType === 'region' && o.regionCode !== null) return `r:${o.regionCode}`;
  if (o.ownerType === 'municipality' && o.municipalityCode !== null) return `m:${o.municipalityCode}`;
  return null;
}

export const areaKey = (area: Area): string => (area.kind === 'region' ? `r:${area.regionCode}` : `m:${area.municipalityCode}`);

/** `org` is the party's own entity or its owner (for a unit type: the area's authority). */
export function hasAuthorityOver(org: string, party: PartySelector, dir: DecisionDirectoryView): boolean {
  if (party.kind === 'unit-type') return areaOf(org, dir) === areaKey(party.area);
  return org === party.sor || isOwnerOf(org, party.sor, dir);
}

/** The side's named approving organisation has authority over every one of its parties. */
export function approverHasAuthority(side: AgreementSide, dir: DecisionDirectoryView): boolean {
  return side.parties.length > 0 && side.parties.every((p) => hasAuthorityOver(side.approvingOrganisationSor, p, dir));
}

/** `org` is the side's named approver or an owner above it. */
export function actsForApprover(org: string, side: AgreementSide, dir: DecisionDirectoryView): boolean {
  return org === side.approvingOrganisationSor || isOwnerOf(org, side.approvingOrganisationSor, dir);
}

/** `org` stands for the side: a party or owner of one of its parties, or its approver or above. */
export function standsFor(org: string, side: AgreementSide, dir: DecisionDirectoryView): boolean {
  return actsForApprover(org, side, dir) || side.parties.some((p) => hasAuthorityOver(org, p, dir));
}

/** A drafter (creating or revising terms) must stand for one side of them. */
export function mayDraft(org: string, terms: AgreementTerms, dir: DecisionDirectoryView): boolean {
  return standsFor(org, terms.sideA, dir) || standsFor(org, terms.sideB, dir);
}

export type ApprovalRefusal =
  /** The side's named approver is not a party or owner of all of its parties. */
  | 'approver-not-authorised'
  /** The actor is not the side's named approver nor an owner above it. */
  | 'not-approver'
  /** An amendment moved the side's approval elsewhere; the side's previous approver must agree. */
  | 'approver-changed'
  | 'already-approved'
  /** The actor's organisation, or the same person, already approved the other side. */
  | 'approved-other-side';

export interface ApprovalAttempt {
  /** The version being approved. */
  readonly version: Agreement;
  /** For an amendment: the version in force that it would replace. */
  readonly previous: Agreement | undefined;
  readonly side: SideName;
  readonly actor: {
    readonly organisationSor: string;
    /** The person, as `issuer#subject`: two people, not one with two hats. */
    readonly user: string;
  };
}

const sideOf = (terms: AgreementTerms, side: SideName): AgreementSide => (side === 'a' ? terms.sideA : terms.sideB);
const otherSide = (side: SideName): SideName => (side === 'a' ? 'b' : 'a');

/**
 * Whether an approval counts, and why not. A side's approval counts only from an
 * agreement-admin acting for the side's named approver (or an owner above it) where that
 * approver is party or owner of every party of the side; never from the organisation or person
 * that approved the other side of the same version (so a drafter standing for both sides, or
 * for one, never approves for the other); and an approval of version N never counts for N+1.
 * When an amendment changes who approves a side, the approval must also come from one who could
 * approve for that side under the version in force: one side cannot re-route the other's consent.
 */
export function judgeApproval(attempt: ApprovalAttempt, dir: DecisionDirectoryView): ApprovalRefusal | null {
  const { version, previous, side, actor } = attempt;
  const s = sideOf(version, side);
  if (!approverHasAuthority(s, dir)) return 'approver-not-authorised';
  if (!actsForApprover(actor.organisationSor, s, dir)) return 'not-approver';
  if (previous) {
    const before = sideOf(previous, side);
    // A previous approver without authority (data from before this rule) has no say.
    if (
      before.approvingOrganisationSor !== s.approvingOrganisationSor &&
      approverHasAuthority(before, dir) &&
      !actsForApprover(actor.organisationSor, before, dir)
    ) {
      return 'approver-changed';
    }
  }
  const current = version.approvals.filter((a) => a.version === version.version);
  if (current.some((a) => a.side === side)) return 'already-approved';
  const other = current.filter((a) => a.side === otherSide(side));
  if (other.some((a) => a.actingForSor === actor.organisationSor || a.approvedBy === actor.user)) return 'approved-other-side';
  return null;
}

/** The sides `org` could approve now, the side naming it exactly first (an owner may hold both). */
export function approvableSides(org: string, user: string, version: Agreement, previous: Agreement | undefined, dir: DecisionDirectoryView): SideName[] {
  const sides = (['a', 'b'] as const).filter(
    (side) => judgeApproval({ version, previous, side, actor: { organisationSor: org, user } }, dir) === null,
  );
  return [...sides].sort((x, y) => Number(sideOf(version, y).approvingOrganisationSor === org) - Number(sideOf(version, x).approvingOrganisationSor === org));
}

/**
 * Whether a version's recorded approvals meet the authority rule: each side approved, for this
 * version, by its approving organisation (or an owner above it) where that organisation has
 * authority over the side. For versions that became active before the rule existed; it does not
 * re-judge "one organisation, one side", which pilot data approved by the region on both sides
 * of a region-wide agreement would fail without any harm.
 */
export function approvalsHold(version: Agreement, dir: DecisionDirectoryView): boolean {
  return (['a', 'b'] as const).every((side) => {
    const s = sideOf(version, side);
    return (
      approverHasAuthority(s, dir) &&
      version.approvals.some((a) => a.side === side && a.version === version.version && actsForApprover(a.actingForSor, s, dir))
    );
  });
}
