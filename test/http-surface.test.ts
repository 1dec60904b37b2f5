/**
 * The HTTP basics every integration relies on: health, readiness, OpenAPI, docs, request ids,
 * security headers, body limits, problem+json, and logs that never hold a CPR number.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

const ORG = '100000000000001';
const CPR = '0707614285';
const CPR_DASHED = '070761-4285';

describe.each(databaseKinds())('HTTP surface on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let issuer: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    issuer = await createTestIssuer({ issuer: 'https://idp.test.example', organisations: [ORG] });
    broker = await startTestBroker({ database, issuers: [issuer], env: { BROKER_BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  it('answers liveness and readiness', async () => {
    const health = await broker.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await broker.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'reachable', pendingMigrations: [] });
  });

  it('describes every route in /openapi.json', async () => {
    const doc = (await (await broker.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/me']));
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('builds /openapi.json once, not on every (unauthenticated) request', async () => {
    const first = await (await broker.request('/openapi.json')).text();
    const build = vi.spyOn(broker.broker.app, 'getOpenAPI31Document');
    try {
      const again = await Promise.all(Array.from({ length: 5 }, async () => (await broker.request('/openapi.json')).text()));
      expect(again.every((doc) => doc === first)).toBe(true);
      expect(build).not.toHaveBeenCalled();
    } finally {
      build.mockRestore();
    }
  });

  it('serves the API reference page and its assets from the broker itself', async () => {
    const page = await broker.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const bundle = await broker.request('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await broker.request('/docs/assets/package.json')).status).toBe(404);
  });

  it('honours a caller request id and generates one otherwise', async () => {
    const given = await broker.request('/healthz', { headers: { 'X-Request-Id': 'gp-system-42.abc' } });
    expect(given.headers.get('x-request-id')).toBe('gp-system-42.abc');
    const generated = await broker.request('/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await broker.request('/healthz', { headers: { 'X-Request-Id': 'a b<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers and no-store on the API', async () => {
    const response = await broker.request('/v1/me', { headers: { Authorization: `Bearer ${await issuer.token({ organisationSor: ORG })}` } });
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers unknown routes with problem+json', async () => {
    const response = await broker.request('/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}not-found`);
  });

  it('refuses an oversize body with 413 before reading it all', async () => {
    const response = await broker.request('/v1/me', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ filler: 'x'.repeat(10_000) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}body-too-large`);
  });

  it('writes no CPR number to any log line, whatever the request carries', async () => {
    const token = await issuer.token({ organisationSor: ORG });
    await broker.request('/v1/me', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'X-Request-Id': CPR },
      body: JSON.stringify({ cpr: CPR, text: `about ${CPR_DASHED}` }),
    });
    await broker.request(`/v1/me?cpr=${CPR}`, { headers: { Authorization: `Bearer ${await issuer.token({ organisationSor: ORG, subject: CPR })}` } });
    await broker.request('/v1/me', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `{"cpr":"${CPR}"` });
    await broker.request('/v1/me', { headers: { Authorization: `Bearer not.a.${CPR}` } });
    const logText = broker.logs.join('');
    expect(broker.logs.length).toBeGreaterThan(3);
    expect(logText).not.toContain(CPR);
    expect(logText).not.toContain(CPR_DASHED);
    expect(logText).not.toContain(token);
  });
});
