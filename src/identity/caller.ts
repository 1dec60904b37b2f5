/**
 * Who is calling: the verified claims of the caller's token, in the broker's own words.
 * Every capability receives this, never the raw token.
 */
import { z } from 'zod';

export const ROLES = ['clinician', 'caseworker', 'agreement-admin', 'auditor', 'medcom-gateway'] as const;
export type Role = (typeof ROLES)[number];

/** NSIS assurance levels, in increasing order. */
export const ASSURANCE_LEVELS = ['low', 'substantial', 'high'] as const;
export type AssuranceLevel = (typeof ASSURANCE_LEVELS)[number];

export const assuranceAtLeast = (actual: AssuranceLevel, required: AssuranceLevel): boolean =>
  ASSURANCE_LEVELS.indexOf(actual) >= ASSURANCE_LEVELS.indexOf(required);

/** Claim names the broker requires beyond the registered JWT claims. Documented in the README. */
export const CLAIMS = {
  actingOrganisation: 'acting_org',
  role: 'role',
  assurance: 'nsis_loa',
  purposeOfUse: 'purpose_of_use',
  displayName: 'name',
} as const;

export const brokerClaimsSchema = z.object({
  [CLAIMS.actingOrganisation]: z.string().regex(/^\d{6,18}$/, 'must be a SOR code'),
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
