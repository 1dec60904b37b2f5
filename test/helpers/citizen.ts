/**
 * Citizen identity providers for tests: a real key pair whose issuer the broker trusts for the
 * citizen role only (as a MitID broker would be configured), and real signed citizen tokens.
 */
import type { TrustedIssuerConfig } from '../../src/config/config.js';
import { type CitizenTokenRequest, signCitizenToken } from '../../src/identity/signing.js';
import { TEST_AUDIENCE, type TestIssuer, createTestIssuer } from './issuers.js';

export interface TestCitizenIssuer extends TestIssuer {
  citizenToken(request: Partial<CitizenTokenRequest> & Pick<CitizenTokenRequest, 'cpr'>): Promise<string>;
}

/** An issuer configured with `roles: ["citizen"]` and no organisations. */
export async function createTestCitizenIssuer(issuer = 'https://mitid-broker.example'): Promise<TestCitizenIssuer> {
  const base = await createTestIssuer({ issuer, organisations: [] });
  const { organisations: _none, ...rest } = base.config;
  const config: TrustedIssuerConfig = { ...rest, roles: ['citizen'] };
  return { ...base, config, citizenToken: (request) => citizenTokenFrom(base, request) };
}

/** A citizen token signed by any test issuer's key: for playing a staff issuer that tries to mint a citizen. */
export function citizenTokenFrom(issuer: TestIssuer, request: Partial<CitizenTokenRequest> & Pick<CitizenTokenRequest, 'cpr'>): Promise<string> {
  return signCitizenToken(issuer.privateKey, { alg: issuer.alg, kid: issuer.kid }, { issuer: issuer.issuer, audience: TEST_AUDIENCE, subject: 'citizen-1', ...request });
}

export const bearer = (token: string, body?: unknown): RequestInit => ({
  method: body === undefined ? 'GET' : 'POST',
  headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
