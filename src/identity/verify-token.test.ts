/**
 * Token verification without a database or HTTP: every refusal as a table, with real keys and
 * signatures (the same refusals over HTTP and real databases are in test/identity.test.ts). Fast,
 * so that mutation testing (npm run mutation) can run it against every mutant.
 */
import { type CryptoKey, SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../http/problem.js';
import type { TrustedIssuer } from './issuers.js';
import type { ReplayGuard } from './replay-guard.js';
import { type TokenVerifier, createTokenVerifier } from './verify-token.js';
import { STAFF_ROLES } from './caller.js';

const AUD = 'urn:test:broker';
const ISS = 'https://idp.unit.example';
const ROOT = '100000000000001';
const UNIT = '100000000000011';
const OTHER = '200000000000001';
const NOW = new Date('2026-12-01T10:00:00Z');
const now = Math.floor(NOW.getTime() / 1000);
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

let key: CryptoKey;
let otherKey: CryptoKey;
let verify: TokenVerifier;
const seen = new Set<string>();

const claims = { acting_org: UNIT, role: 'clinician', nsis_loa: 'substantial', purpose_of_use: 'child-welfare-concern' };
async function token(overrides: { claims?: Record<string, unknown>; iss?: string; aud?: string; sub?: string; jti?: string; iat?: number; exp?: number; nbf?: number; signWith?: CryptoKey } = {}) {
  const jwt = new SignJWT({ ...claims, ...overrides.claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(overrides.iss ?? ISS)
    .setAudience(overrides.aud ?? AUD)
    .setSubject(overrides.sub ?? 'user-1')
    .setJti(overrides.jti ?? crypto.randomUUID())
    .setIssuedAt(overrides.iat ?? now)
    .setExpirationTime(overrides.exp ?? now + 300);
  if (overrides.nbf !== undefined) jwt.setNotBefore(overrides.nbf);
  return jwt.sign(overrides.signWith ?? key);
}

async function refusal(t: string): Promise<ProblemError> {
  const error = await verify(t).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

beforeAll(async () => {
  ({ privateKey: key } = await generateKeyPair('ES256', { extractable: true }));
  const pair = await generateKeyPair('ES256', { extractable: true });
  otherKey = pair.privateKey;
  // The public half of `key`: its JWK without the private part.
  const jwk = await exportJWK(key);
  delete jwk.d;
  const issuer: TrustedIssuer = {
    issuer: ISS,
    algorithms: ['ES256'],
    roles: STAFF_ROLES,
    organisations: [ROOT],
    maxTokenLifetimeSeconds: 600,
    keys: createLocalJWKSet({ keys: [{ ...jwk, kid: 'k1', alg: 'ES256' }] }),
  };
  const replayGuard: ReplayGuard = {
    firstUse: async (iss, jti) => {
      const k = `${iss} ${jti}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    },
    purgeExpired: async () => 0,
  };
  verify = createTokenVerifier({
    issuers: [issuer],
    audience: AUD,
    maxTokenLifetimeSeconds: 3600,
    clockSkewSeconds: 60,
    replayGuard,
    organisations: { isWithin: (sor, root) => sor === root || (sor === UNIT && root === ROOT) },
    now: () => NOW,
  });
});

describe('verifyToken', () => {
  it('accepts a valid token and reports the caller', async () => {
    const caller = await verify(await token({ claims: { name: 'Mette' }, jti: 'ok-1' }));
    expect(caller).toEqual({
      issuer: ISS, subject: 'user-1', tokenId: 'ok-1', organisationSor: UNIT, role: 'clinician', assurance: 'substantial',
      purposeOfUse: 'child-welfare-concern', displayName: 'Mette', expiresAt: new Date((now + 300) * 1000),
    });
    expect((await verify(await token())).displayName).toBeNull();
  });

  it('accepts a token issued slightly in the future, within the clock skew, and one at the longest lifetime', async () => {
    await expect(verify(await token({ iat: now + 50, exp: now + 350 }))).resolves.toMatchObject({ subject: 'user-1' });
    await expect(verify(await token({ iat: now, exp: now + 600 }))).resolves.toMatchObject({ subject: 'user-1' });
  });

  const cases: Array<[string, () => Promise<string>, number, string]> = [
    ['not a JWT', async () => 'abc.def', 401, 'invalid-token'],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ iss: ISS })}.`, 401, 'token-algorithm-refused'],
    ['no alg', async () => `${b64({ typ: 'JWT' })}.${b64({ iss: ISS })}.c2ln`, 401, 'token-algorithm-refused'],
    ['HMAC', async () => `${b64({ alg: 'HS256' })}.${b64({ iss: ISS })}.c2ln`, 401, 'token-algorithm-refused'],
    ['HMAC in lower case', async () => `${b64({ alg: 'hs512' })}.${b64({ iss: ISS })}.c2ln`, 401, 'token-algorithm-refused'],
    ['an algorithm the issuer does not use', async () => `${b64({ alg: 'RS256' })}.${b64({ iss: ISS })}.c2ln`, 401, 'token-algorithm-refused'],
    ['an untrusted issuer', async () => token({ iss: 'https://evil.example' }), 401, 'untrusted-issuer'],
    ['no issuer', async () => `${b64({ alg: 'ES256' })}.${b64({ sub: 'x' })}.c2ln`, 401, 'untrusted-issuer'],
    ['a bad signature', async () => token({ signWith: otherKey }), 401, 'token-signature-invalid'],
    ['expired', async () => token({ iat: now - 1000, exp: now - 100 }), 401, 'token-expired'],
    ['not yet valid (nbf)', async () => token({ nbf: now + 600, exp: now + 900 }), 401, 'token-not-yet-valid'],
    ['issued in the future beyond the skew', async () => token({ iat: now + 120, exp: now + 400 }), 401, 'token-not-yet-valid'],
    ['living longer than the issuer allows', async () => token({ iat: now, exp: now + 601 }), 401, 'token-lifetime-too-long'],
    ['for another audience', async () => token({ aud: 'urn:other' }), 401, 'token-audience-mismatch'],
    ['with an unknown role', async () => token({ claims: { role: 'superuser' } }), 401, 'token-claims-invalid'],
    ['without acting_org', async () => token({ claims: { acting_org: undefined } }), 401, 'token-claims-invalid'],
    ['with a NUL in sub', async () => token({ sub: 'user\u0000' }), 401, 'token-claims-invalid'],
    ['with a lone surrogate in name', async () => token({ claims: { name: 'x\ud800' } }), 401, 'token-claims-invalid'],
    ['for an organisation outside the issuer scope', async () => token({ claims: { acting_org: OTHER } }), 403, 'organisation-out-of-issuer-scope'],
  ];
  it.each(cases)('refuses a token %s', async (_name, make, status, slug) => {
    const problem = await refusal(await make());
    expect({ status: problem.status, slug: problem.slug }).toEqual({ status, slug });
    if (status === 401) expect(problem.headers['WWW-Authenticate']).toMatch(/^Bearer realm="broker", error="invalid_token", error_description="[\x20-\x7E]+"$/);
  });

  it('lets an issuer with several SOR subtrees speak for each of them, and for no other', async () => {
    const jwk = await exportJWK(key);
    delete jwk.d;
    const regional = createTokenVerifier({
      issuers: [{ issuer: ISS, algorithms: ['ES256'], roles: STAFF_ROLES, organisations: [OTHER, ROOT], maxTokenLifetimeSeconds: undefined, keys: createLocalJWKSet({ keys: [{ ...jwk, kid: 'k1', alg: 'ES256' }] }) }],
      audience: AUD,
      maxTokenLifetimeSeconds: 3600,
      clockSkewSeconds: 60,
      replayGuard: { firstUse: async () => true, purgeExpired: async () => 0 },
      organisations: { isWithin: (sor, root) => sor === root || (sor === UNIT && root === ROOT) },
      now: () => NOW,
    });
    await expect(regional(await token({ claims: { acting_org: UNIT } }))).resolves.toMatchObject({ organisationSor: UNIT });
    await expect(regional(await token({ claims: { acting_org: OTHER } }))).resolves.toMatchObject({ organisationSor: OTHER });
    await expect(regional(await token({ claims: { acting_org: '300000000000001' } }))).rejects.toMatchObject({ status: 403 });
    // Without an issuer limit, the broker's maximum lifetime applies.
    await expect(regional(await token({ iat: now, exp: now + 3601 }))).rejects.toMatchObject({ slug: 'token-lifetime-too-long' });
    await expect(regional(await token({ iat: now, exp: now + 3600 }))).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('refuses a replayed token id', async () => {
    const t = await token({ jti: 'replay-1' });
    await verify(t);
    const problem = await refusal(t);
    expect(problem.slug).toBe('token-replayed');
  });

  it('names a plain algorithm, never a malformed one, and keeps CR/LF out of the header', async () => {
    const plain = await refusal(`${b64({ alg: 'HS256' })}.${b64({ iss: ISS })}.c2ln`);
    expect(plain.detail).toBe('algorithm HS256 is never accepted');
    const crlf = await refusal(`${b64({ alg: 'HS256\r\nX-Injected: 1' })}.${b64({ iss: ISS })}.c2ln`);
    expect(crlf.detail).toBe('algorithm (malformed) is never accepted');
    expect(crlf.headers['WWW-Authenticate']).not.toMatch(/[\r\n]/);
    const unlisted = await refusal(`${b64({ alg: 'RS256' })}.${b64({ iss: ISS })}.c2ln`);
    expect(unlisted.detail).toBe('algorithm RS256 is not allowed for this issuer');
  });
});
