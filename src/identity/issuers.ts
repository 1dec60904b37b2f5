/**
 * Trusted issuers: who may issue tokens to the broker, with which keys and algorithms, and for
 * which organisations. An issuer of one municipality must never speak for another's users.
 */
import { readFileSync } from 'node:fs';
import { type JSONWebKeySet, type JWTVerifyGetKey, createLocalJWKSet, createRemoteJWKSet } from 'jose';
import type { SigningAlgorithm, TrustedIssuerConfig } from '../config/config.js';
import { type Role, STAFF_ROLES } from './caller.js';

/**
 * What an issuer may assert when its configuration names no roles: staff roles only. The
 * medcom-gateway system role is never implied; an issuer must be configured for it explicitly.
 */
export const DEFAULT_ISSUER_ROLES: readonly Role[] = STAFF_ROLES;

export interface TrustedIssuer {
  readonly issuer: string;
  readonly algorithms: readonly SigningAlgorithm[];
  /** SOR subtree roots the issuer may speak for; `'any'` only for the local demo issuer. */
  readonly organisations: readonly string[] | 'any';
  readonly maxTokenLifetimeSeconds: number | undefined;
  /** The roles a token from this issuer may carry; any other is refused. */
  readonly roles: readonly Role[];
  readonly keys: JWTVerifyGetKey;
}

export function trustedIssuerFromConfig(config: TrustedIssuerConfig, options: { jwksCacheSeconds: number }): TrustedIssuer {
  let keys: JWTVerifyGetKey;
  if (config.jwksUri) {
    keys = createRemoteJWKSet(new URL(config.jwksUri), {
      cacheMaxAge: options.jwksCacheSeconds * 1000,
      cooldownDuration: 30_000,
      timeoutDuration: 5_000,
    });
  } else {
    const jwks = JSON.parse(readFileSync(config.jwksFile as string, 'utf8')) as JSONWebKeySet;
    keys = createLocalJWKSet(jwks);
  }
  return {
    issuer: config.issuer,
    algorithms: config.algorithms,
    // A citizen issuer speaks for no organisation.
    organisations: config.organisations ?? [],
    maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
    roles: config.roles ?? DEFAULT_ISSUER_ROLES,
    keys,
  };
}
