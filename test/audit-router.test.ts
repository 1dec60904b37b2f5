/**
 * The audit capability's one router: every route under /v1/audit is for auditors only, guarded by
 * the one rule in src/audit/audit-router.ts (remove it and every row below goes red).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';

const ORG = '100000000000010';

describe('the audit router', () => {
  let database: DatabaseHandle;
  let idp: TestIssuer;
  let broker: TestBroker;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    idp = await createTestIssuer({ issuer: 'https://idp.audit-router.example', organisations: [ORG] });
    broker = await startTestBroker({ database, issuers: [idp], organisations: { isWithin: (sor, root) => sor === root } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const routes: Array<[string, string, unknown]> = [
    ['POST', '/v1/audit/search', { reason: 'Stikprøvekontrol af opslag' }],
    ['GET', '/v1/audit/integrity', undefined],
    ['POST', '/v1/audit/checkpoints', undefined],
    ['GET', '/v1/audit/anomalies', undefined],
    ['POST', '/v1/audit/anomalies/run', undefined],
    ['POST', '/v1/audit/anomalies/5b1e3a8e-0f55-4b4e-9d37-1d8f0a3c2b10/decision', { decision: 'justified', comment: 'checked with the unit' }],
  ];

  it.each(routes)('%s %s refuses a clinician with 403 forbidden-role', async (method, path, body) => {
    const token = await idp.token({ organisationSor: ORG, role: 'clinician' });
    const response = await broker.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}forbidden-role`);
  });

  it('lets an auditor through to each part', async () => {
    // A token is used once (replay guard): a fresh one per request.
    const headers = async () => ({ Authorization: `Bearer ${await idp.token({ organisationSor: ORG, role: 'auditor' })}` });
    expect((await broker.request('/v1/audit/integrity', { headers: await headers() })).status).toBe(200);
    expect((await broker.request('/v1/audit/anomalies', { headers: await headers() })).status).toBe(200);
  });
});
