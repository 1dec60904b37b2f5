/**
 * Request and response schemas of the agreements API, named for the OpenAPI document.
 */
import { z } from '@hono/zod-openapi';
import { LEGAL_BASES, type LegalBasisCode } from './legal-basis.js';
import { PURPOSES, type Agreement, type AgreementTerms } from './model.js';
import { sorCodeSchema } from '../http/schemas.js';
import { ASSURANCE_LEVELS, DATA_ROLES } from '../identity/caller.js';

/** ISO 8601 date or instant; a bare date means 00:00 UTC. */
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO 8601 date or date-time with offset');

export const areaSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('region'), regionCode: z.string().regex(/^\d{4}$/, 'must be a 4-digit region code') }),
    z.object({ kind: z.literal('municipality'), municipalityCode: z.string().regex(/^\d{3}$/, 'must be a 3-digit kommunekode') }),
  ])
  .openapi('Area');

export const partySelectorSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('unit'), sor: sorCodeSchema }),
    z.object({ kind: z.literal('subtree'), sor: sorCodeSchema }),
    z.object({ kind: z.literal('unit-type'), unitType: z.string().regex(/^[0-9A-Za-z-]{1,40}$/), area: areaSchema }),
  ])
  .openapi('PartySelector', { description: 'A single SOR unit, a SOR subtree, or every unit of a SOR unit type within a region or municipality (resolved at decision time)' });

export const sideSchema = z
  .object({
    parties: z.array(partySelectorSchema).max(500),
    approvingOrganisationSor: sorCodeSchema.openapi({ description: 'The organisation whose agreement administrator approves for this side (or an owner above it); it must be a party of the side or an owner of every party in SOR (for a unit type: the region or municipality of the area)' }),
  })
  .openapi('AgreementSide');

export const termsSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    sideA: sideSchema,
    sideB: sideSchema,
    dataElements: z.array(z.enum(['case-existence', 'contact-details', 'correspondence'])).max(3),
    direction: z.enum(['a-to-b', 'mutual']),
    purposes: z.array(z.enum(PURPOSES)).max(PURPOSES.length),
    roles: z.array(z.enum(DATA_ROLES)).max(DATA_ROLES.length),
    minimumAssurance: z.enum(ASSURANCE_LEVELS),
    legalBasis: z.object({
      code: z.string().max(100).openapi({ description: 'A code from the maintained list', example: LEGAL_BASES[0].code }),
      reference: z.string().max(1000).openapi({ description: 'Free text: provision, journal number' }),
    }),
    period: z.object({ validFrom: instant, validTo: instant.nullable() }),
  })
  .openapi('AgreementTerms');

export type TermsInput = z.infer<typeof termsSchema>;

/** The parsed body as domain terms; the legal-basis code is checked by validateTerms. */
export function toTerms(input: TermsInput): AgreementTerms {
  return {
    ...input,
    dataElements: [...new Set(input.dataElements)],
    purposes: [...new Set(input.purposes)],
    roles: [...new Set(input.roles)],
    legalBasis: { code: input.legalBasis.code as LegalBasisCode, reference: input.legalBasis.reference },
  };
}

export const approvalSchema = z
  .object({ side: z.enum(['a', 'b']), approvedBy: z.string(), actingForSor: z.string(), approvedAt: z.string(), version: z.number().int() })
  .openapi('Approval');

export const versionSchema = termsSchema
  .extend({
    version: z.number().int(),
    status: z.enum(['draft', 'awaiting-approval', 'active', 'suspended', 'revoked', 'expired', 'superseded']),
    approvals: z.array(approvalSchema),
    amends: z.number().int().nullable(),
  })
  .openapi('AgreementVersion');

export const agreementSchema = z
  .object({
    id: z.string(),
    status: versionSchema.shape.status,
    etag: z.string(),
    inForceVersion: z.number().int().nullable(),
    pendingVersion: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    versions: z.array(versionSchema),
  })
  .openapi('Agreement');

export const listItemSchema = z
  .object({
    id: z.string(),
    status: versionSchema.shape.status,
    version: z.number().int(),
    latestVersion: z.number().int(),
    title: z.string(),
    sideA: sideSchema,
    sideB: sideSchema,
    dataElements: z.array(z.string()),
    purposes: z.array(z.string()),
    legalBasis: termsSchema.shape.legalBasis,
    period: termsSchema.shape.period,
    updatedAt: z.string(),
  })
  .openapi('AgreementListItem');

export const listSchema = z
  .object({ items: z.array(listItemSchema), nextCursor: z.string().nullable() })
  .openapi('AgreementList');

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listQuerySchema = z.object({
  party: sorCodeSchema.optional().openapi({ description: 'Agreements whose parties cover this SOR code (unit, a subtree above it, a unit type in its area)' }),
  includeSubtree: bool.optional().openapi({ description: 'Also agreements covering organisations below `party`' }),
  action: z.enum(['case-existence', 'contact-details', 'correspondence']).optional(),
  purpose: z.enum(PURPOSES).optional(),
  status: versionSchema.shape.status.optional(),
  legalBasis: z.string().max(100).optional(),
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
  referencesClosedUnits: bool.optional().openapi({ description: 'Agreements naming a SOR code that is closed or gone from the directory' }),
  q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Free text in title or legal reference' }),
  sort: z.enum(['title', '-title', 'validTo', '-validTo', 'updatedAt', '-updatedAt']).default('title'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'csv: the whole filtered overview as CSV (same as Accept: text/csv)' }),
});

export const changeSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    action: z.string(),
    at: z.string(),
    actor: z.object({ issuer: z.string(), subject: z.string(), organisation: z.string().nullable() }),
    requestId: z.string().nullable(),
    reason: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .openapi('AgreementChange');

export const historySchema = z.object({ items: z.array(changeSchema) }).openapi('AgreementHistory');

export const idParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const approveBodySchema = z
  .object({
    version: z.number().int().min(1),
    side: z.enum(['a', 'b']).optional().openapi({ description: 'The side to approve for, where the caller could approve either' }),
  })
  .openapi('ApproveRequest');
export const reasonBodySchema = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).openapi('ReasonRequest');
export const revokeBodySchema = z.object({ reason: z.string().trim().min(1).max(1000) }).openapi('RevokeRequest');

/** A version as the API shows it (mutable copies of the immutable domain value). */
export function versionBody(v: Agreement): z.infer<typeof versionSchema> {
  return {
    title: v.title,
    sideA: { parties: v.sideA.parties.map((p) => ({ ...p })), approvingOrganisationSor: v.sideA.approvingOrganisationSor },
    sideB: { parties: v.sideB.parties.map((p) => ({ ...p })), approvingOrganisationSor: v.sideB.approvingOrganisationSor },
    dataElements: [...v.dataElements],
    direction: v.direction,
    purposes: [...v.purposes],
    roles: [...v.roles],
    minimumAssurance: v.minimumAssurance,
    legalBasis: { ...v.legalBasis },
    period: { ...v.period },
    version: v.version,
    status: v.status,
    approvals: v.approvals.map((a) => ({ ...a })),
    amends: v.amends,
  };
}
