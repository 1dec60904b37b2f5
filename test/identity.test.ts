/**
 * Caller identity over real HTTP: each refusal the broker must make, with real signed tokens.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { signToken } from '../src/identity/signing.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { TEST_AUDIENCE, type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

// A small directory: two municipalities, each with a unit below it.
const AALBORG = '100000000000001';
const AALBORG_PPR = '100000000000011';
const HJORRING = '100000000000002';
const HJORRING_PPR = '100000000000021';
const parents = new Map([
  [AALBORG_PPR, AALBORG],
  [HJORRING_PPR, HJORRING],
]);
const organisations = {
  isWithin(sor: string, root: string): boolean {
    for (let s: string | undefined = sor; s; s = parents.get(s)) if (s === root) return true;
    return false;
  },
};

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(databaseKinds())('caller identity on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let aalborg: TestIssuer;
  let hjorring: TestIssuer;
  let region: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [AALBORG] });
    hjorring = await createTestIssuer({ issuer: 'https://idp.hjorring.example', organisations: [HJORRING], alg: 'RS256' });
    region = await createTestIssuer({
      issuer: 'https://sts.region.example',
      organisations: [AALBORG, HJORRING],
      maxTokenLifetimeSeconds: 600,
    });
    broker = await startTestBroker({ database, issuers: [aalborg, hjorring, region], organisations });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const me = (token: string) => broker.request('/v1/me', { headers: { Authorization: `Bearer ${token}` } });

  async function expectProblem(response: Response, status: number, slug: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as { type: string; status: number; title: string };
    expect(body.type).toBe(PROBLEM_BASE + slug);
    expect(body.status).toBe(status);
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="broker"/);
    return body;
  }

  it('accepts a valid token and reports the caller', async () => {
    const response = await me(await aalborg.token({ organisationSor: AALBORG_PPR, role: 'caseworker', displayName: 'Mette Sørensen' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: aalborg.issuer,
      organisation: AALBORG_PPR,
      role: 'caseworker',
      assurance: 'substantial',
      displayName: 'Mette Sørensen',
    });
  });

  it('refuses a request without a token', async () => {
    await expectProblem(await broker.request('/v1/me'), 401, 'unauthenticated');
  });

  it('refuses a token from an unknown issuer', async () => {
    const stranger = await createTestIssuer({ issuer: 'https://idp.stranger.example', organisations: [AALBORG] });
    await expectProblem(await me(await stranger.token({ organisationSor: AALBORG })), 401, 'untrusted-issuer');
  });

  it('refuses alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      iss: aalborg.issuer, sub: 'x', aud: TEST_AUDIENCE, iat: now, exp: now + 60, jti: 'none-1',
      acting_org: AALBORG, role: 'clinician', nsis_loa: 'high', purpose_of_use: 'treatment',
    })}.`;
    await expectProblem(await me(unsigned), 401, 'token-algorithm-refused');
  });

  it('refuses HMAC-signed tokens', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-anyone-with-the-jwks-could-guess');
    const token = await signToken(secret, { alg: 'HS256', kid: aalborg.kid }, {
      issuer: aalborg.issuer, audience: TEST_AUDIENCE, subject: 'x', organisationSor: AALBORG, role: 'clinician',
    });
    await expectProblem(await me(token), 401, 'token-algorithm-refused');
  });

  it('refuses an algorithm the issuer is not configured for', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await signToken(privateKey, { alg: 'RS256', kid: aalborg.kid }, {
      issuer: aalborg.issuer, audience: TEST_AUDIENCE, subject: 'x', organisationSor: AALBORG, role: 'clinician',
    });
    await expectProblem(await me(token), 401, 'token-algorithm-refused');
  });

  it('refuses a bad signature', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await signToken(privateKey, { alg: 'ES256', kid: aalborg.kid }, {
      issuer: aalborg.issuer, audience: TEST_AUDIENCE, subject: 'x', organisationSor: AALBORG, role: 'clinician',
    });
    await expectProblem(await me(token), 401, 'token-signature-invalid');
  });

  it('refuses an expired token', async () => {
    const token = await aalborg.token({ organisationSor: AALBORG, issuedAt: new Date(Date.now() - 20 * 60_000), lifetimeSeconds: 300 });
    await expectProblem(await me(token), 401, 'token-expired');
  });

  it('refuses a token that is not yet valid, beyond the allowed clock skew', async () => {
    const future = await aalborg.token({ organisationSor: AALBORG, issuedAt: new Date(Date.now() + 10 * 60_000) });
    await expectProblem(await me(future), 401, 'token-not-yet-valid');
    const now = Math.floor(Date.now() / 1000);
    const withNbf = await new SignJWT({ acting_org: AALBORG, role: 'clinician', nsis_loa: 'high', purpose_of_use: 'treatment' })
      .setProtectedHeader({ alg: 'ES256', kid: aalborg.kid })
      .setIssuer(aalborg.issuer).setAudience(TEST_AUDIENCE).setSubject('x').setJti('nbf-1')
      .setIssuedAt(now).setNotBefore(now + 600).setExpirationTime(now + 900)
      .sign(aalborg.privateKey);
    await expectProblem(await me(withNbf), 401, 'token-not-yet-valid');
  });

  it('accepts a token issued slightly in the future (clock skew)', async () => {
    const token = await aalborg.token({ organisationSor: AALBORG, issuedAt: new Date(Date.now() + 20_000) });
    expect((await me(token)).status).toBe(200);
  });

  it('refuses a lifetime above the broker maximum (60 min) and above the issuer maximum', async () => {
    await expectProblem(await me(await aalborg.token({ organisationSor: AALBORG, lifetimeSeconds: 2 * 3600 })), 401, 'token-lifetime-too-long');
    await expectProblem(await me(await region.token({ organisationSor: AALBORG, lifetimeSeconds: 900 })), 401, 'token-lifetime-too-long');
  });

  it('refuses a token for another audience', async () => {
    const token = await signToken(aalborg.privateKey, { alg: 'ES256', kid: aalborg.kid }, {
      issuer: aalborg.issuer, audience: 'urn:some:other-service', subject: 'x', organisationSor: AALBORG, role: 'clinician',
    });
    await expectProblem(await me(token), 401, 'token-audience-mismatch');
  });

  it('refuses a replayed token id within its lifetime', async () => {
    const token = await hjorring.token({ organisationSor: HJORRING_PPR });
    expect((await me(token)).status).toBe(200);
    await expectProblem(await me(token), 401, 'token-replayed');
    // Another token that reuses the jti is a replay too, even if freshly signed.
    const reused = await hjorring.token({ organisationSor: HJORRING_PPR, tokenId: 'fixed-jti-1' });
    expect((await me(reused)).status).toBe(200);
    await expectProblem(await me(await hjorring.token({ organisationSor: HJORRING_PPR, tokenId: 'fixed-jti-1' })), 401, 'token-replayed');
  });

  it('accepts a token once when it arrives many times at the same moment (replay guard inserts are grouped)', async () => {
    const token = await hjorring.token({ organisationSor: HJORRING_PPR });
    const others = await Promise.all(Array.from({ length: 5 }, () => hjorring.token({ organisationSor: HJORRING_PPR })));
    const answers = await Promise.all([...Array.from({ length: 10 }, () => me(token)), ...others.map((t) => me(t))]);
    const statuses = answers.map((a) => a.status);
    // The ten copies: one accepted, nine refused; the five distinct tokens sharing their batches: all accepted.
    expect(statuses.slice(0, 10).filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.slice(0, 10).filter((s) => s === 401)).toHaveLength(9);
    expect(statuses.slice(10)).toEqual([200, 200, 200, 200, 200]);
  });

  it("refuses issuer A's token claiming an organisation only issuer B may speak for", async () => {
    const body = await expectProblem(await me(await aalborg.token({ organisationSor: HJORRING_PPR })), 403, 'organisation-out-of-issuer-scope');
    expect(JSON.stringify(body)).not.toContain(HJORRING_PPR);
    // Issuer B may speak for its own unit; the regional STS for both.
    expect((await me(await hjorring.token({ organisationSor: HJORRING_PPR }))).status).toBe(200);
    expect((await me(await region.token({ organisationSor: HJORRING_PPR }))).status).toBe(200);
  });

  it('refuses tokens missing the broker claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'ES256', kid: aalborg.kid })
      .setIssuer(aalborg.issuer).setAudience(TEST_AUDIENCE).setSubject('x').setJti('claims-1')
      .setIssuedAt(now).setExpirationTime(now + 300)
      .sign(aalborg.privateKey);
    const body = (await expectProblem(await me(token), 401, 'token-claims-invalid')) as { detail?: string };
    expect(body.detail).toContain('acting_org');
    expect(body.detail).toContain('role');
  });

  it('refuses a token without jti', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ acting_org: AALBORG, role: 'clinician', nsis_loa: 'high', purpose_of_use: 'treatment' })
      .setProtectedHeader({ alg: 'ES256', kid: aalborg.kid })
      .setIssuer(aalborg.issuer).setAudience(TEST_AUDIENCE).setSubject('x')
      .setIssuedAt(now).setExpirationTime(now + 300)
      .sign(aalborg.privateKey);
    await expectProblem(await me(token), 401, 'token-claims-invalid');
  });
});
