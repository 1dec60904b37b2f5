/**
 * Issuing tokens the way a trusted identity provider would. Used by the local demo issuer and by
 * tests and benchmarks; the broker itself only verifies tokens.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, type KeyObject, SignJWT } from 'jose';
import { type AssuranceLevel, CITIZEN_ROLE, CLAIMS, type Role } from './caller.js';

export interface TokenRequest {
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
  readonly organisationSor: string;
  readonly role: Role;
  readonly assurance?: AssuranceLevel;
  readonly purposeOfUse?: string;
  readonly displayName?: string;
  readonly lifetimeSeconds?: number;
  readonly issuedAt?: Date;
  readonly tokenId?: string;
}

export async function signToken(
  key: CryptoKey | KeyObject | JWK | Uint8Array,
  header: { alg: string; kid?: string },
  request: TokenRequest,
): Promise<string> {
  const claims: Record<string, unknown> = {
    [CLAIMS.actingOrganisation]: request.organisationSor,
    [CLAIMS.role]: request.role,
    [CLAIMS.assurance]: request.assurance ?? 'substantial',
    [CLAIMS.purposeOfUse]: request.purposeOfUse ?? 'child-welfare-concern',
  };
  return signEnvelope(key, header, request, claims);
}

export interface CitizenTokenRequest {
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
  readonly cpr: string;
  readonly assurance?: AssuranceLevel;
  readonly displayName?: string;
  readonly lifetimeSeconds?: number;
  readonly issuedAt?: Date;
  readonly tokenId?: string;
}

/** A citizen token as a citizen identity provider (MitID broker) would issue it: role citizen and the CPR claim. */
export async function signCitizenToken(
  key: CryptoKey | KeyObject | JWK | Uint8Array,
  header: { alg: string; kid?: string },
  request: CitizenTokenRequest,
): Promise<string> {
  const claims: Record<string, unknown> = {
    [CLAIMS.role]: CITIZEN_ROLE,
    [CLAIMS.assurance]: request.assurance ?? 'substantial',
    [CLAIMS.citizenCpr]: request.cpr,
  };
  return signEnvelope(key, header, request, claims);
}

type SigningKey = CryptoKey | KeyObject | JWK | Uint8Array;

/** The registered claims every token of ours carries, around the kind's own claims. */
function signEnvelope(
  key: SigningKey,
  header: { alg: string; kid?: string },
  request: Pick<TokenRequest, 'issuer' | 'audience' | 'subject' | 'displayName' | 'lifetimeSeconds' | 'issuedAt' | 'tokenId'>,
  claims: Record<string, unknown>,
): Promise<string> {
  const iat = Math.floor((request.issuedAt ?? new Date()).getTime() / 1000);
  const all = request.displayName ? { ...claims, [CLAIMS.displayName]: request.displayName } : claims;
  return new SignJWT(all)
    .setProtectedHeader({ alg: header.alg, typ: 'JWT', ...(header.kid ? { kid: header.kid } : {}) })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (request.lifetimeSeconds ?? 300))
    .setJti(request.tokenId ?? randomUUID())
    .sign(key);
}
