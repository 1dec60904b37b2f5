import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const issuer = { issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks', algorithms: ['ES256'], organisations: ['100000000000001'] };

function problemsOf(env: NodeJS.ProcessEnv, overrides: { demo?: boolean } = {}): string[] {
  try {
    loadConfig(env, overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('has working defaults in demo mode', () => {
    const config = loadConfig({}, { demo: true });
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', demo: true, database: { url: null }, maxTokenLifetimeSeconds: 3600 });
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it('reports every problem, one line each', () => {
    const problems = problemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
  });

  it('refuses more than one worker process without the PostgreSQL server, and in demo mode', () => {
    const issuers = JSON.stringify([issuer]);
    expect(problemsOf({ BROKER_WORKERS: '2', BROKER_TRUSTED_ISSUERS: issuers })).toEqual([
      'BROKER_WORKERS: more than one worker process needs DATABASE_URL (the embedded database belongs to one process)',
    ]);
    expect(problemsOf({ BROKER_WORKERS: '2', DATABASE_URL: 'postgres://db/broker' }, { demo: true })).toEqual([
      'BROKER_WORKERS: demo mode runs as one process (its simulated sources and demo issuer belong to it)',
    ]);
    expect(problemsOf({ BROKER_WORKERS: '0', BROKER_TRUSTED_ISSUERS: issuers })).toEqual([expect.stringMatching(/^BROKER_WORKERS: /)]);
    expect(loadConfig({ BROKER_WORKERS: '2', DATABASE_URL: 'postgres://db/broker', BROKER_TRUSTED_ISSUERS: issuers }).workers).toBe(2);
    expect(loadConfig({}, { demo: true }).workers).toBe(1);
  });

  it('reads the national oversight organisations as a list of SOR codes', () => {
    expect(loadConfig({}, { demo: true }).agreements.nationalOversightOrgs).toEqual([]);
    const config = loadConfig({ BROKER_NATIONAL_OVERSIGHT_ORGS: ' 9598011000016001, 9598021000016002 ' }, { demo: true });
    expect(config.agreements.nationalOversightOrgs).toEqual(['9598011000016001', '9598021000016002']);
    expect(problemsOf({ BROKER_NATIONAL_OVERSIGHT_ORGS: '9598011000016001;x' }, { demo: true })).toEqual([
      expect.stringMatching(/^BROKER_NATIONAL_OVERSIGHT_ORGS: must be a comma-separated list of SOR codes/),
    ]);
  });

  it('refuses demo mode in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer]) }, { demo: true })).toEqual([
      expect.stringMatching(/demo mode .* refused when NODE_ENV=production/),
    ]);
  });

  it('refuses to start outside demo mode with no trusted issuer (deny by default would refuse everything)', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/no trusted issuer configured/)]);
  });

  it('validates trusted issuers', () => {
    const bad = [{ ...issuer, algorithms: ['HS256'] }, { ...issuer, issuer: 'https://other', jwksFile: 'x.json' }, { ...issuer, issuer: 'https://third', organisations: ['abc'] }];
    const problems = problemsOf({ BROKER_TRUSTED_ISSUERS: JSON.stringify(bad) });
    expect(problems.some((p) => p.includes('[0.algorithms.0]'))).toBe(true);
    expect(problems.some((p) => p.includes('exactly one of jwksUri and jwksFile'))).toBe(true);
    expect(problems.some((p) => p.includes('[2.organisations.0]'))).toBe(true);
    expect(problemsOf({ BROKER_TRUSTED_ISSUERS: '{not json' })).toEqual(['BROKER_TRUSTED_ISSUERS: not valid JSON']);
    expect(problemsOf({ BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer, issuer]) })).toEqual([expect.stringMatching(/listed twice/)]);
  });

  it("reads the roles an issuer may assert, and leaves them unset (staff roles) when omitted", () => {
    const gateway = { ...issuer, issuer: 'https://vans.example', roles: ['medcom-gateway'] };
    const config = loadConfig({ BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer, gateway]) });
    expect(config.trustedIssuers.map((i) => i.roles)).toEqual([undefined, ['medcom-gateway']]);
    const bad = [{ ...issuer, roles: ['superuser'] }, { ...issuer, issuer: 'https://other', roles: [] }];
    const problems = problemsOf({ BROKER_TRUSTED_ISSUERS: JSON.stringify(bad) });
    expect(problems.some((p) => p.includes('[0.roles.0]'))).toBe(true);
    expect(problems.some((p) => p.includes('[1.roles]'))).toBe(true);
  });

  it('reads the MedCom gateway identities (issuer and subject); none configured is none', () => {
    const env = { BROKER_TRUSTED_ISSUERS: JSON.stringify([issuer]) };
    expect(loadConfig(env).medcom.gatewayIdentities).toEqual([]);
    const identities = [{ issuer: 'https://vans.example', subject: 'vans-gateway' }];
    expect(loadConfig({ ...env, MEDCOM_GATEWAY_IDENTITIES: JSON.stringify(identities) }).medcom.gatewayIdentities).toEqual(identities);
    expect(problemsOf({ ...env, MEDCOM_GATEWAY_IDENTITIES: '[{' })).toEqual(['MEDCOM_GATEWAY_IDENTITIES: not valid JSON']);
    expect(problemsOf({ ...env, MEDCOM_GATEWAY_IDENTITIES: JSON.stringify([{ issuer: 'https://vans.example' }]) })).toEqual([expect.stringMatching(/^MEDCOM_GATEWAY_IDENTITIES\[0\.subject\]/)]);
    expect(problemsOf({ ...env, MEDCOM_GATEWAY_IDENTITIES: JSON.stringify([{ issuer: 'https://vans.example', subject: 'x', role: 'medcom-gateway' }]) })).toHaveLength(1);
  });

  it('reads issuers from a file, resolving JWKS files beside it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'issuers.json');
    writeFileSync(file, JSON.stringify([{ issuer: 'https://idp.example', jwksFile: 'keys/idp.jwks.json', algorithms: ['RS256'], organisations: ['100000000000001'] }]));
    const config = loadConfig({ BROKER_TRUSTED_ISSUERS_FILE: file });
    expect(config.trustedIssuers[0]?.jwksFile).toBe(path.join(dir, 'keys/idp.jwks.json'));
    expect(problemsOf({ BROKER_TRUSTED_ISSUERS_FILE: path.join(dir, 'missing.json') })).toEqual([expect.stringMatching(/cannot read/)]);
  });
});
