/**
 * Who is calling: the verified claims of the caller's token, in the broker's own words.
 * Every capability receives this, never the raw token.
 */
import { z } from 'zod';
import { isCpr, isOrganisationCode } from '../../domain/identifiers.js';

export const ROLES = ['clinician', 'caseworker', 'agreement-admin', 'auditor', 'medcom-gateway', 'citizen'] as const;
export type Role = (typeof ROLES)[number];

/** The roles that see data about a child, and only under a sharing agreement that allows them. */
export const DATA_ROLES = ['clinician', 'caseworker'] as const satisfies readonly Role[];
export type DataRole = (typeof DATA_ROLES)[number];

export const isDataRole = (role: Role): role is DataRole => (DATA_ROLES as readonly Role[]).includes(role);

/**
 * A person acting for themselves or for a child in their custody (MitID through a citizen identity
 * provider). Never a staff role: only an issuer configured for exactly this role may assert it.
 */
export const CITIZEN_ROLE = 'citizen' as const satisfies Role;

/** The roles of an organisation's staff: what its identity provider may assert (never a system role, never citizen). */
export const STAFF_ROLES = ['clinician', 'caseworker', 'agreement-admin', 'auditor'] as const satisfies readonly Role[];

/**
 * Purposes of use. A token asserts one (purpose_of_use), a lookup
 * states it again, and an agreement lists those it allows.
 * - child-welfare-concern: concern for a child's welfare (before or without a case)
 * - case-assessment: the municipality's assessment of a child's need for support (barnets lov)
 * - coordinated-care: coordinating an ongoing course across sectors
 * - treatment: the health professional's own treatment of the child
 * - referral: referring the child to, or receiving a referral from, the other party
 * - notification: a professional's notification (underretning) to the municipality
 */
export const PURPOSES = [
  'child-welfare-concern',
  'case-assessment',
  'coordinated-care',
  'treatment',
  'referral',
  'notification',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/** NSIS assurance levels, in increasing order. */
export const ASSURANCE_LEVELS = ['low', 'substantial', 'high'] as const;
export type AssuranceLevel = (typeof ASSURANCE_LEVELS)[number];

export const ASSURANCE_RANK: Readonly<Record<AssuranceLevel, number>> = { low: 0, substantial: 1, high: 2 };

export const assuranceAtLeast = (actual: AssuranceLevel, required: AssuranceLevel): boolean => ASSURANCE_RANK[actual] >= ASSURANCE_RANK[required];

/** Claim names the broker requires beyond the registered JWT claims. Documented in the README. */
export const CLAIMS = {
  actingOrganisation: 'acting_org',
  role: 'role',
  assurance: 'nsis_loa',
  purposeOfUse: 'purpose_of_use',
  displayName: 'name',
  /** A citizen token's own CPR number (10 digits). Only in citizen tokens; see CitizenCaller. */
  citizenCpr: 'cpr',
} as const;

export const brokerClaimsSchema = z.object({
  [CLAIMS.actingOrganisation]: z.string().refine(isOrganisationCode, 'must be a SOR code'),
  [CLAIMS.role]: z.enum(ROLES),
  [CLAIMS.assurance]: z.enum(ASSURANCE_LEVELS),
  [CLAIMS.purposeOfUse]: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'must be a purpose-of-use code'),
  [CLAIMS.displayName]: z.string().min(1).max(200).optional(),
});

export interface Caller {
  readonly issuer: string;
  /** The user's (or system's) id at its identity provider. */
  readonly subject: string;
  readonly tokenId: string;
  /** SOR code of the organisation the caller acts for in this request. */
  readonly organisationSor: string;
  readonly role: Role;
  readonly assurance: AssuranceLevel;
  readonly purposeOfUse: string;
  readonly displayName: string | null;
  readonly expiresAt: Date;
}

/**
 * A citizen token's claims: no acting organisation and no purpose of use (a person acts for
 * themselves), but their CPR number, as the citizen identity provider vouches for it. A
 * replacement CPR is refused: MitID identifies a person by the real CPR.
 */
export const citizenClaimsSchema = z.object({
  [CLAIMS.role]: z.literal(CITIZEN_ROLE),
  [CLAIMS.assurance]: z.enum(ASSURANCE_LEVELS),
  [CLAIMS.citizenCpr]: z.string().refine(isCpr, 'must be a CPR number'),
  [CLAIMS.displayName]: z.string().min(1).max(200).optional(),
});

/** A verified citizen. Never passed where a Caller (staff) is expected. */
export interface CitizenCaller {
  readonly issuer: string;
  readonly subject: string;
  readonly tokenId: string;
  readonly role: typeof CITIZEN_ROLE;
  /** The person's own CPR number, from the token. Never logged. */
  readonly cpr: string;
  readonly assurance: AssuranceLevel;
  readonly displayName: string | null;
  readonly expiresAt: Date;
}

/** What a verified token is: an organisation's staff (or system) member, or a citizen. */
export type Identity = { readonly kind: 'staff'; readonly caller: Caller } | { readonly kind: 'citizen'; readonly citizen: CitizenCaller };
