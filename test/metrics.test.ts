/**
 * GET /metrics: served only with METRICS_TOKEN as a bearer token; after a lookup and a MedCom
 * message it shows the requests by route pattern, the lookup and per-source figures, the circuit
 * breakers, the audit batches, the jobs and the MedCom messages, and never a CPR number or any
 * other person-level label.
 */
import { readFileSync } from 'node:fs';
import { HttpResponse, delay, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fremsoegResponseXml } from '../adapters/simulators/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import { seedDemoAgreements } from '../src/agreements/index.js';
import { loadOrganisations } from '../src/directory/directory-cache.js';
import { createMemoryDirectoryView } from '../src/directory/memory-view.js';
import { importSorSnapshot } from '../src/directory/sor-import.js';
import { sourcesFileSchema } from '../src/lookup/sources.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { createTestGatewayIssuer, gatewayEnv } from './helpers/medcom-orgs.js';
import { NJ, NORTH_JUTLAND_XML, sorInput } from './helpers/sor-files.js';

const NOAH_CPR = '0209144026';
const GP_OWNER = '9510011000016001';
const GP_PRACTICE = '9510031000016003';
const TOKEN = 'metrics-scraper-token-0123456789abcdef';
const URL = { register: 'http://person-register.metrics.test/fhir', psychiatry: 'http://psychiatry.metrics.test/fhir', ppr: 'http://sagsindeks.metrics.test/ppr' };

const server = setupServer(
  http.post(`${URL.register}/Patient/_search`, () => new HttpResponse(readFileSync('fixtures/sources/patient_found.json', 'utf8'), { headers: { 'content-type': 'application/fhir+json' } })),
  http.post(`${URL.psychiatry}/EpisodeOfCare/_search`, async () => {
    await delay('infinite');
    return new HttpResponse(null, { status: 500 });
  }),
  http.post(URL.ppr, () => new HttpResponse(fremsoegResponseXml([]), { headers: { 'content-type': 'text/xml; charset=utf-8' } })),
);
const sources = sourcesFileSchema.parse({
  personRegister: { endpoint: URL.register, timeoutMs: 800 },
  sources: [
    { id: 'rn-child-psychiatry', kind: 'child-psychiatry', protocol: 'fhir', endpoint: URL.psychiatry, ownerSor: '9500031000016003', serves: { municipalities: ['851'] }, timeoutMs: 300 },
    { id: 'ppr-851', kind: 'ppr', protocol: 'case-index', endpoint: URL.ppr, ownerSor: '9520041000016004', serves: { municipalities: ['851'] }, kle: ['17.*'], timeoutMs: 1000 },
  ],
});

beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

describe.each(databaseKinds())('metrics on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let idp: TestIssuer;
  let gateway: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
    await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView(await loadOrganisations(database.db)) });
    idp = await createTestIssuer({ issuer: 'https://idp.metrics.example', organisations: [GP_OWNER] });
    gateway = await createTestGatewayIssuer('https://vans.metrics.example', [NJ.region]);
    broker = await startTestBroker({ database, issuers: [idp, gateway], sources, env: { ...gatewayEnv(gateway), METRICS_TOKEN: TOKEN, MEDCOM_FILE_DROP_DIR: `${process.env.TMPDIR ?? '/tmp'}/medcom-metrics-${kind}-${process.pid}` } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const scrape = () => broker.request('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });

  it('refuses a scrape without the token, or with another', async () => {
    expect((await broker.request('/metrics')).status).toBe(401);
    expect((await broker.request('/metrics', { headers: { Authorization: `Bearer ${TOKEN.slice(1)}x` } })).status).toBe(401);
    expect((await broker.request('/metrics', { headers: { Authorization: 'Bearer short' } })).status).toBe(401);
  });

  it('shows a lookup and a MedCom message by pattern and code, never a CPR number', async () => {
    const token = await idp.token({ organisationSor: GP_PRACTICE, role: 'clinician', purposeOfUse: 'child-welfare-concern' });
    const lookup = await broker.request('/v1/lookups', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ cpr: NOAH_CPR, purposeOfUse: 'child-welfare-concern', reason: 'Bekymring fra skolen' }),
    });
    expect(lookup.status).toBe(200);
    const message = readFileSync('fixtures/medcom/EG_Clinea.json', 'utf8');
    const inbound = await broker.request('/v1/medcom/inbound', {
      method: 'POST',
      headers: { Authorization: `Bearer ${await gateway.token({ organisationSor: NJ.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`, 'Content-Type': 'application/fhir+json' },
      body: message,
    });
    expect(inbound.status).toBe(200);
    const ackCode = inbound.headers.get('x-medcom-acknowledgement');
    // A path with an id in it is counted under its pattern.
    await broker.request('/v1/correspondence/0209144026', { headers: { Authorization: `Bearer ${await idp.token({ organisationSor: GP_PRACTICE, role: 'clinician' })}` } });

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const sample = (name: string, labels: Record<string, string>) =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    expect(sample('broker_http_requests_total', { method: 'POST', route: '/v1/lookups', status: '200' })).toMatch(/ 1$/);
    expect(sample('broker_http_requests_total', { method: 'POST', route: '/v1/medcom/inbound', status: '200' })).toMatch(/ 1$/);
    expect(sample('broker_http_requests_total', { method: 'GET', route: '/v1/correspondence/:id' })).toBeDefined();
    expect(sample('broker_http_request_duration_seconds_bucket', { route: '/v1/lookups', le: '+Inf' })).toMatch(/ 1$/);
    expect(sample('broker_lookup_duration_seconds_count', { outcome: 'partial' })).toMatch(/ 1$/);
    expect(sample('broker_lookup_source_outcomes_total', { source: 'rn-child-psychiatry', kind: 'child-psychiatry', status: 'timeout' })).toMatch(/ 1$/);
    expect(sample('broker_lookup_source_outcomes_total', { source: 'ppr-851', kind: 'ppr', status: 'not-found' })).toMatch(/ 1$/);
    expect(sample('broker_lookup_source_duration_seconds_count', { source: 'ppr-851' })).toMatch(/ 1$/);
    expect(sample('broker_source_circuit_state', { source: 'rn-child-psychiatry' })).toMatch(/ 0$/);
    expect(text).toMatch(/\nbroker_audit_batch_size_count [1-9]/);
    expect(text).toMatch(/\nbroker_audit_commit_duration_seconds_sum /);
    expect(sample('broker_medcom_messages_total', { direction: 'inbound', kind: 'care-communication', ack_code: String(ackCode) })).toMatch(/ 1$/);
    expect(text).toMatch(/\nbroker_job_state_scrape_ok 1\n/);
    expect(text).toContain('# TYPE broker_job_runs_total counter');
    expect(text).toContain('# TYPE broker_job_queue_depth gauge');
    expect(text).toContain('# TYPE broker_process_cpu_seconds_total counter');

    // No person-level label: no CPR number, none of the request's, no raw path.
    expect(text).not.toContain(NOAH_CPR);
    const labelValues = [...text.matchAll(/="([^"]*)"/g)].map((m) => m[1] as string);
    expect(labelValues.filter((v) => /\d{6}-?[0-9A-Z]{4}/.test(v))).toEqual([]);
    for (const cpr of [...message.matchAll(/\b\d{10}\b/g)].map((m) => m[0])) expect(text).not.toContain(cpr);
  });
});

describe('metrics without a token', () => {
  it('are not served at all', async () => {
    const database = await createTestDatabase('pglite');
    const idp = await createTestIssuer({ issuer: 'https://idp.nometrics.example', organisations: [GP_OWNER] });
    const broker = await startTestBroker({ database, issuers: [idp] });
    try {
      expect((await broker.request('/metrics')).status).toBe(404);
    } finally {
      await broker.close();
      await database.close();
    }
  });
});
