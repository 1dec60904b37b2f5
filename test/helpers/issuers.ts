/**
 * Real identity providers for tests: key pairs generated per test run, JWKS written to files the
 * broker's configuration points at, and tokens signed exactly as an issuer would sign them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair } from 'jose';
import type { TrustedIssuerConfig } from '../../src/config/config.js';
import { type TokenRequest, signToken } from '../../src/identity/signing.js';

export const TEST_AUDIENCE = 'urn:dk:child-data-broker:test';

export interface TestIssuer {
  readonly issuer: string;
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly config: TrustedIssuerConfig;
  token(request: Partial<TokenRequest> & Pick<TokenRequest, 'organisationSor'>): Promise<string>;
}

const dir = mkdtempSync(path.join(tmpdir(), 'broker-issuers-'));

export async function createTestIssuer(options: {
  issuer: string;
  organisations: string[];
  alg?: 'ES256' | 'RS256';
  allowedAlgorithms?: TrustedIssuerConfig['algorithms'];
  maxTokenLifetimeSeconds?: number;
  /** The roles the broker lets this issuer assert; omitted: the broker's default (staff roles). */
  roles?: NonNullable<TrustedIssuerConfig['roles']>;
}): Promise<TestIssuer> {
  const alg = options.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const jwksFile = path.join(dir, `${kid}.jwks.json`);
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const config: TrustedIssuerConfig = {
    issuer: options.issuer,
    jwksFile,
    algorithms: options.allowedAlgorithms ?? [alg],
    organisations: options.organisations,
    ...(options.maxTokenLifetimeSeconds ? { maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds } : {}),
    ...(options.roles ? { roles: options.roles } : {}),
  };
  return {
    issuer: options.issuer,
    alg,
    kid,
    privateKey,
    config,
    token: (request) =>
      signToken(privateKey, { alg, kid }, {
        issuer: options.issuer,
        audience: TEST_AUDIENCE,
        subject: 'user-1',
        role: 'clinician',
        ...request,
      }),
  };
}
