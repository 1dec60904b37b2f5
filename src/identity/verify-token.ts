/**
 * Verifies a caller's bearer token (jose) and turns it into a Caller, or refuses it with a
 * problem whose `type` says exactly why. The order matters: cheap structural checks first, the
 * signature next, the database-backed replay check last (so a forged token costs no write).
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ProblemError, type ProblemSlug } from '../http/problem.js';
import { inspectJson } from '../platform/storable-text.js';
import { type Caller, CITIZEN_ROLE, CLAIMS, type Identity, brokerClaimsSchema, citizenClaimsSchema } from './caller.js';
import type { TrustedIssuer } from './issuers.js';
import type { ReplayGuard } from './replay-guard.js';

export interface OrganisationScope {
  /** True when `sor` is `rootSor` or lies below it in the directory. */
  isWithin(sor: string, rootSor: string): boolean;
}

export interface TokenVerifierOptions {
  readonly issuers: readonly TrustedIssuer[];
  readonly audience: string;
  readonly maxTokenLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly replayGuard: ReplayGuard;
  readonly organisations: OrganisationScope;
  readonly now?: () => Date;
}

/** Staff (and system) tokens only: a citizen token is refused. */
export type TokenVerifier = (token: string) => Promise<Caller>;
/** Any trusted token: staff or citizen, each only from an issuer configured for its role. */
export type IdentityVerifier = (token: string) => Promise<Identity>;

const unauthorized = (slug: ProblemSlug, title: string, detail: string): ProblemError =>
  new ProblemError(401, slug, title, {
    detail,
    headers: {
      // RFC 6750 allows printable ASCII but `"` and `\` here; anything else (CR/LF) would fail the response.
      'WWW-Authenticate': `Bearer realm="broker", error="invalid_token", error_description="${detail.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?')}"`,
    },
  });

/** The token's algorithm name when it is a plain name; never the caller's bytes otherwise. */
const algName = (alg: string | undefined): string => (alg === undefined ? '(none)' : /^[A-Za-z0-9+_-]{1,32}$/.test(alg) ? alg : '(malformed)');

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const identify = createIdentityVerifier(options);
  return async function verifyToken(token: string): Promise<Caller> {
    const identity = await identify(token);
    if (identity.kind !== 'staff') throw citizenOnStaffRoute();
    return identity.caller;
  };
}

/** A citizen token where staff are expected: the same refusal as any role not allowed. */
export const citizenOnStaffRoute = (): ProblemError =>
  new ProblemError(403, 'forbidden-role', 'Role not allowed', { detail: 'a citizen token is accepted only on the citizen routes (/v1/citizen/)' });

export function createIdentityVerifier(options: TokenVerifierOptions): IdentityVerifier {
  const byIssuer = new Map(options.issuers.map((i) => [i.issuer, i]));
  const now = options.now ?? (() => new Date());

  return async function verifyIdentity(token: string): Promise<Identity> {
    let alg: string | undefined;
    let unverifiedIssuer: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverifiedIssuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('invalid-token', 'Invalid token', 'the bearer token is not a well-formed JWT');
    }
    if (!alg || alg === 'none' || /^HS/i.test(alg)) {
      throw unauthorized('token-algorithm-refused', 'Token algorithm refused', `algorithm ${algName(alg)} is never accepted`);
    }
    const issuer = typeof unverifiedIssuer === 'string' ? byIssuer.get(unverifiedIssuer) : undefined;
    if (!issuer) {
      throw unauthorized('untrusted-issuer', 'Untrusted issuer', 'the token was not issued by a trusted issuer');
    }
    if (!issuer.algorithms.includes(alg as (typeof issuer.algorithms)[number])) {
      throw unauthorized('token-algorithm-refused', 'Token algorithm refused', `algorithm ${algName(alg)} is not allowed for this issuer`);
    }

    const current = now();
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, issuer.keys, {
        issuer: issuer.issuer,
        audience: options.audience,
        algorithms: [...issuer.algorithms],
        clockTolerance: options.clockSkewSeconds,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
        currentDate: current,
      });
      payload = verified.payload;
    } catch (error) {
      throw mapJoseError(error);
    }

    const iat = payload.iat as number;
    const exp = payload.exp as number;
    const nowSeconds = Math.floor(current.getTime() / 1000);
    if (iat > nowSeconds + options.clockSkewSeconds) {
      throw unauthorized('token-not-yet-valid', 'Token not yet valid', 'the token is issued in the future');
    }
    const maxLifetime = Math.min(options.maxTokenLifetimeSeconds, issuer.maxTokenLifetimeSeconds ?? Number.POSITIVE_INFINITY);
    if (exp - iat > maxLifetime) {
      throw unauthorized('token-lifetime-too-long', 'Token lifetime too long', `the token lives longer than ${maxLifetime} seconds`);
    }

    // sub, jti and name go to the database (replay guard, audit): text it cannot store is refused here.
    if (inspectJson(payload, { maxDepth: 16 }).unstorable > 0) {
      throw unauthorized('token-claims-invalid', 'Token claims invalid', 'the token claims hold characters that cannot be stored');
    }
    // A citizen token has its own claims (their CPR, no acting organisation) and comes only from
    // an issuer configured for the citizen role: a staff issuer can never mint a citizen.
    if (payload[CLAIMS.role] === CITIZEN_ROLE) {
      if (!issuer.roles.includes(CITIZEN_ROLE)) throw roleOutOfScope();
      const citizen = citizenClaimsSchema.safeParse(payload);
      if (!citizen.success) throw claimsInvalid(citizen.error.issues);
      const jti = payload.jti as string;
      const expiresAt = new Date(exp * 1000);
      if (!(await options.replayGuard.firstUse(issuer.issuer, jti, expiresAt))) {
        throw unauthorized('token-replayed', 'Token replayed', 'this token has already been used');
      }
      return {
        kind: 'citizen',
        citizen: {
          issuer: issuer.issuer,
          subject: payload.sub as string,
          tokenId: jti,
          role: CITIZEN_ROLE,
          cpr: citizen.data[CLAIMS.citizenCpr],
          assurance: citizen.data[CLAIMS.assurance],
          displayName: citizen.data[CLAIMS.displayName] ?? null,
          expiresAt,
        },
      };
    }
    const claims = brokerClaimsSchema.safeParse(payload);
    if (!claims.success) throw claimsInvalid(claims.error.issues);
    // An issuer speaks only in the roles it is trusted for: a municipality's identity provider
    // can never mint the MedCom gateway, nor a gateway's issuer a clinician.
    const role = claims.data[CLAIMS.role];
    if (!issuer.roles.includes(role)) throw roleOutOfScope();
    const organisationSor = claims.data[CLAIMS.actingOrganisation];
    if (issuer.organisations !== 'any' && !issuer.organisations.some((root) => options.organisations.isWithin(organisationSor, root))) {
      throw new ProblemError(403, 'organisation-out-of-issuer-scope', 'Organisation outside issuer scope', {
        detail: 'the token issuer may not speak for the acting organisation',
      });
    }

    const jti = payload.jti as string;
    const expiresAt = new Date(exp * 1000);
    if (!(await options.replayGuard.firstUse(issuer.issuer, jti, expiresAt))) {
      throw unauthorized('token-replayed', 'Token replayed', 'this token has already been used');
    }

    return {
      kind: 'staff',
      caller: {
        issuer: issuer.issuer,
        subject: payload.sub as string,
        tokenId: jti,
        organisationSor,
        role,
        assurance: claims.data[CLAIMS.assurance],
        purposeOfUse: claims.data[CLAIMS.purposeOfUse],
        displayName: claims.data[CLAIMS.displayName] ?? null,
        expiresAt,
      },
    };
  };
}

const roleOutOfScope = (): ProblemError =>
  new ProblemError(403, 'role-out-of-issuer-scope', 'Role outside issuer scope', { detail: 'the token issuer may not assert this role' });

/** Names the claims at fault, never their values (a CPR claim's value must not be echoed). */
function claimsInvalid(issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey> }>): ProblemError {
  const names = [...new Set(issues.map((i) => String(i.path[0])))].join(', ');
  return unauthorized('token-claims-invalid', 'Token claims invalid', `missing or invalid claims: ${names}`);
}

function mapJoseError(error: unknown): ProblemError {
  if (error instanceof joseErrors.JWTExpired) {
    return unauthorized('token-expired', 'Token expired', 'the token has expired');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return unauthorized('token-audience-mismatch', 'Wrong token audience', 'the token is not meant for this broker');
      case 'nbf':
        return unauthorized('token-not-yet-valid', 'Token not yet valid', 'the token is not valid yet');
      case 'iss':
        return unauthorized('untrusted-issuer', 'Untrusted issuer', 'the token was not issued by a trusted issuer');
      default:
        return unauthorized('token-claims-invalid', 'Token claims invalid', `missing or invalid claim: ${error.claim}`);
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return unauthorized('token-algorithm-refused', 'Token algorithm refused', 'algorithm not allowed for this issuer');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return unauthorized('token-signature-invalid', 'Invalid token signature', 'the token signature does not verify');
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new ProblemError(503, 'issuer-keys-unavailable', 'Issuer keys unavailable', {
      detail: "the issuer's signing keys could not be fetched",
    });
  }
  return unauthorized('invalid-token', 'Invalid token', 'the bearer token could not be verified');
}
