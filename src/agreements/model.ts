/**
 * Sharing agreements: who (side A, side B) may look up or write to whom, for which data, for
 * which purposes, under which legal basis and in which period. Values are immutable; a change
 * to an active agreement is a new version (see lifecycle.ts).
 */
import { type AssuranceLevel, type DataRole, PURPOSES, type Purpose } from '../identity/caller.js';
import type { LegalBasisCode } from './legal-basis.js';

export type AgreementStatus =
  | 'draft'
  | 'awaiting-approval'
  | 'active'
  | 'suspended'
  | 'revoked'
  | 'expired'
  /** An older version replaced by an approved amendment. */
  | 'superseded';

/** What an agreement covers; also what a request asks for. */
export type DataElement = 'case-existence' | 'contact-details' | 'correspondence';
export const DATA_ELEMENTS: readonly DataElement[] = ['case-existence', 'contact-details', 'correspondence'];

/** `a-to-b`: side A may look up / write to side B, not the reverse. `mutual`: both ways. */
export type Direction = 'a-to-b' | 'mutual';

/** Purposes of use are the caller's vocabulary (a token asserts one); agreements list those they allow. */
export { PURPOSES, type Purpose };


export type Area =
  | { readonly kind: 'region'; readonly regionCode: string }
  | { readonly kind: 'municipality'; readonly municipalityCode: string };

/**
 * Who a side covers. Resolved against the directory at decision time, so a GP practice opened
 * in the region tomorrow is covered by "all GP practices in Region Nordjylland" without an edit.
 */
export type PartySelector =
  /** That single unit. */
  | { readonly kind: 'unit'; readonly sor: string }
  /** That unit and everything below it. */
  | { readonly kind: 'subtree'; readonly sor: string }
  /**
   * Every unit of that SOR unit type whose region/municipality (own or inherited) is the area,
   * and the units below it (a GP practice's clinic unit has no type of its own).
   */
  | { readonly kind: 'unit-type'; readonly unitType: string; readonly area: Area };

export type SideName = 'a' | 'b';

export interface AgreementSide {
  readonly parties: readonly PartySelector[];
  /** SOR code of the organisation whose agreement administrator approves for this side. */
  readonly approvingOrganisationSor: string;
}

export interface LegalBasisRef {
  readonly code: LegalBasisCode;
  /** Free text: the exact provision (stk., nr.), a journal number, a decision reference. */
  readonly reference: string;
}

/**
 * Validity period as ISO 8601 instants (a bare date means 00:00 UTC that day).
 * `validFrom` is inclusive, `validTo` exclusive: an agreement valid to 2027-01-01 ends at the
 * first instant of 2027-01-01, so consecutive periods meet without overlapping. `null` = open.
 */
export interface ValidityPeriod {
  readonly validFrom: string;
  readonly validTo: string | null;
}

export interface Approval {
  readonly side: SideName;
  /** The approving administrator's user id (not a CPR number). */
  readonly approvedBy: string;
  /** The organisation the administrator acted for. */
  readonly actingForSor: string;
  readonly approvedAt: string;
  /** The version approved; an approval never carries over to a later version. */
  readonly version: number;
}

/** The negotiable content of an agreement: what a draft or an amendment sets. */
export interface AgreementTerms {
  readonly title: string;
  readonly sideA: AgreementSide;
  readonly sideB: AgreementSide;
  readonly dataElements: readonly DataElement[];
  readonly direction: Direction;
  readonly purposes: readonly Purpose[];
  readonly roles: readonly DataRole[];
  readonly minimumAssurance: AssuranceLevel;
  readonly legalBasis: LegalBasisRef;
  readonly period: ValidityPeriod;
}

/** One version of an agreement. */
export interface Agreement extends AgreementTerms {
  readonly id: string;
  readonly version: number;
  readonly status: AgreementStatus;
  readonly approvals: readonly Approval[];
  /** For an amendment: the version it replaces once active. */
  readonly amends: number | null;
}

/** All versions of one agreement, oldest first. */
export interface AgreementRecord {
  readonly id: string;
  readonly versions: readonly Agreement[];
}

export interface AgreementRef {
  readonly id: string;
  readonly version: number;
}

/** Statuses a version can be indexed with; drafts and superseded versions never decide. */
export function isIndexable(status: AgreementStatus): boolean {
  return status !== 'draft' && status !== 'superseded';
}
