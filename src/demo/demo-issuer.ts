/**
 * The local demo issuer: in demo mode only, a signing key created in the data directory on first
 * start, so that a newcomer can get a token with `broker token` and try the API. Refused in
 * production by the configuration loader.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type JWK, createLocalJWKSet, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { GatewayIdentity } from '../config/config.js';
import { ROLES, type Role } from '../identity/caller.js';
import type { TrustedIssuer } from '../identity/issuers.js';
import { type CitizenTokenRequest, type TokenRequest, signCitizenToken, signToken } from '../identity/signing.js';

export const DEMO_ISSUER = 'urn:dk:child-data-broker:demo-issuer';
const ALG = 'ES256';
/**
 * The demo plays every part, the MedCom gateway included; listed by name so that a role added
 * later is not granted to the demo issuer by accident.
 */
export const DEMO_ISSUER_ROLES: readonly Role[] = ROLES;
/** The subject the demo issuer's MedCom gateway tokens carry (`broker token --role medcom-gateway`). */
export const DEMO_GATEWAY_SUBJECT = 'demo-medcom-gateway';
/** In demo mode, the one identity let in at the MedCom inbound door unless others are configured. */
export const DEMO_GATEWAY_IDENTITY: GatewayIdentity = { issuer: DEMO_ISSUER, subject: DEMO_GATEWAY_SUBJECT };

export interface DemoIssuerKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly kid: string;
}

export function demoKeyPath(dataDir: string): string {
  return path.join(dataDir, 'demo-issuer', 'signing-key.jwk.json');
}

/** Loads the demo key, creating it on first use. */
export async function ensureDemoIssuerKey(dataDir: string): Promise<DemoIssuerKey> {
  const file = demoKeyPath(dataDir);
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    privateJwk = await exportJWK(privateKey);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(privateJwk), { mode: 0o600 });
  }
  const { d: _private, ...publicJwk } = privateJwk;
  const kid = createHash('sha256').update(`${publicJwk.x}.${publicJwk.y}`).digest('base64url').slice(0, 16);
  return { privateJwk, publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' }, kid };
}

export function demoTrustedIssuer(key: DemoIssuerKey): TrustedIssuer {
  return {
    issuer: DEMO_ISSUER,
    algorithms: [ALG],
    organisations: 'any',
    maxTokenLifetimeSeconds: undefined,
    roles: DEMO_ISSUER_ROLES,
    keys: createLocalJWKSet({ keys: [key.publicJwk] }),
  };
}

export async function mintDemoToken(key: DemoIssuerKey, request: Omit<TokenRequest, 'issuer'>): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, ALG);
  return signToken(privateKey, { alg: ALG, kid: key.kid }, { ...request, issuer: DEMO_ISSUER });
}

export async function mintDemoCitizenToken(key: DemoIssuerKey, request: Omit<CitizenTokenRequest, 'issuer'>): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, ALG);
  return signCitizenToken(privateKey, { alg: ALG, kid: key.kid }, { ...request, issuer: DEMO_ISSUER });
}
