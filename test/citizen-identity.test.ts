/**
 * Citizen identity over real HTTP with real signed tokens: a citizen token only from an issuer
 * configured for the citizen role, and only on the citizen routes; a staff issuer can never mint
 * a citizen, a citizen issuer never a member of staff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { bearer, citizenTokenFrom, createTestCitizenIssuer, type TestCitizenIssuer } from './helpers/citizen.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { createTestIssuer, type TestIssuer } from './helpers/issuers.js';
import type { DatabaseHandle } from '../db/connection.js';

const AALBORG = '9520011000016001';
const FREJA = '2811104038';
const PROBLEM = 'https://broker.example.dk/problems/';

describe.each(databaseKinds())('citizen identity (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let mitid: TestCitizenIssuer;
  let staffIdp: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    mitid = await createTestCitizenIssuer();
    staffIdp = await createTestIssuer({ issuer: 'https://idp.aalborg.example', organisations: [AALBORG] });
    broker = await startTestBroker({ database, issuers: [mitid, staffIdp], organisations: { isWithin: (sor, root) => sor === root } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const problemOf = async (res: Response) => ({ status: res.status, type: ((await res.json()) as { type: string }).type });

  it('a staff issuer cannot mint a citizen token: 403 role-out-of-issuer-scope', async () => {
    const forged = await citizenTokenFrom(staffIdp, { cpr: FREJA });
    expect(await problemOf(await broker.request('/v1/citizen/access-log', bearer(forged, { cpr: FREJA })))).toEqual({ status: 403, type: `${PROBLEM}role-out-of-issuer-scope` });
  });

  it('a citizen issuer cannot mint a member of staff: 403 role-out-of-issuer-scope', async () => {
    const forged = await mitid.token({ organisationSor: AALBORG, role: 'caseworker' });
    expect(await problemOf(await broker.request('/v1/me', bearer(forged)))).toEqual({ status: 403, type: `${PROBLEM}role-out-of-issuer-scope` });
    const auditor = await mitid.token({ organisationSor: AALBORG, role: 'auditor' });
    expect(await problemOf(await broker.request('/v1/audit/search', bearer(auditor, { reason: 'x' })))).toEqual({ status: 403, type: `${PROBLEM}role-out-of-issuer-scope` });
  });

  it('a citizen token on a staff route: 403 forbidden-role', async () => {
    const token = await mitid.citizenToken({ cpr: FREJA });
    expect(await problemOf(await broker.request('/v1/me', bearer(token)))).toEqual({ status: 403, type: `${PROBLEM}forbidden-role` });
    const again = await mitid.citizenToken({ cpr: FREJA });
    expect(await problemOf(await broker.request('/v1/lookups', bearer(again, { cpr: FREJA, purposeOfUse: 'treatment', reason: 'x' })))).toEqual({ status: 403, type: `${PROBLEM}forbidden-role` });
  });

  it('a staff token on the citizen route: 403 forbidden-role', async () => {
    const token = await staffIdp.token({ organisationSor: AALBORG, role: 'caseworker' });
    expect(await problemOf(await broker.request('/v1/citizen/access-log', bearer(token, { cpr: FREJA })))).toEqual({ status: 403, type: `${PROBLEM}forbidden-role` });
  });

  it('a citizen token without a valid CPR claim is refused without echoing it', async () => {
    const token = await mitid.citizenToken({ cpr: '3213991234' });
    const res = await broker.request('/v1/citizen/access-log', bearer(token, { cpr: FREJA }));
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).toContain('token-claims-invalid');
    expect(text).not.toContain('3213991234');
  });
});

describe('citizen issuer configuration', () => {
  const base = { issuer: 'https://mitid.example', jwksUri: 'https://mitid.example/jwks', algorithms: ['ES256'] };
  const load = (issuers: unknown[]) => loadConfig({ NODE_ENV: 'test', BROKER_TRUSTED_ISSUERS: JSON.stringify(issuers) });

  it('accepts a citizen-only issuer without organisations', () => {
    expect(load([{ ...base, roles: ['citizen'] }]).trustedIssuers[0]?.roles).toEqual(['citizen']);
  });
  it.each([
    ['citizen and a staff role on one issuer', { ...base, roles: ['citizen', 'clinician'] }],
    ['a citizen issuer naming organisations', { ...base, roles: ['citizen'], organisations: [AALBORG] }],
    ['a staff issuer without organisations', { ...base }],
  ])('refuses %s', (_name, issuer) => {
    expect(() => load([issuer])).toThrow(ConfigError);
  });
});
