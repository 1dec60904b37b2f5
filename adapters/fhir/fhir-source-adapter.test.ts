import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delay, http, HttpResponse, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SourceOutcome } from '../source.js';
import { createFhirSourceAdapter } from './fhir-source-adapter.js';

const BASE = 'https://bup.example.dk/fhir';
const SEARCH = `${BASE}/EpisodeOfCare/_search`;
const EMMA = '1503124013';
const NOAH = '0209144026';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sources/${name}`, import.meta.url), 'utf8');
const fhirJson = (body: string, status = 200) =>
  new HttpResponse(body, { status, headers: { 'content-type': 'application/fhir+json' } });

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const adapter = (opts: Partial<Parameters<typeof createFhirSourceAdapter>[0]> = {}) =>
  createFhirSourceAdapter({ baseUrl: BASE, auth: { type: 'bearer', token: 'tkn' }, ...opts });
const lookup = (cpr = EMMA, a = adapter(), signal = new AbortController().signal) =>
  a.lookup({ cpr, requestId: 'req-1' }, signal);

function expectNoCpr(outcome: SourceOutcome, cpr: string) {
  if (outcome.status === 'error' || outcome.status === 'unavailable') expect(outcome.reason).not.toContain(cpr);
}

describe('FHIR source adapter: found', () => {
  it('maps a waiting-list episode with care manager, team, unit and the patient CPR', async () => {
    let seen: { url: string; body: string; auth: string | null } | undefined;
    server.use(
      http.post(SEARCH, async ({ request }) => {
        seen = { url: request.url, body: await request.text(), auth: request.headers.get('authorization') };
        return fhirJson(fixture('episodeofcare_found.json'));
      }),
    );
    const outcome = await lookup();
    expect(outcome.status).toBe('found');
    if (outcome.status !== 'found') return;
    expect(outcome.cases).toEqual([
      {
        caseId: 'bup-1001',
        subjectCpr: EMMA,
        status: 'waiting',
        sourceStatus: 'waitlist',
        since: '2026-09-14',
        closedAt: null,
        title: 'Udredning for ADHD',
        sensitivity: null,
        kle: null,
        responsibleUnit: { sor: '9500081000016008', name: 'Børne- og Ungdomspsykiatrisk Ambulatorium', ean: '5790009100034' },
        contact: { name: 'Mette Kjær', role: 'Psykolog', phone: '+4597641011', email: 'mette.kjaer@rn.example.dk' },
        team: 'Team ADHD 6-12 år',
      },
    ]);
    // The CPR travels in the POST body, never in the URL.
    expect(seen?.url).toBe(SEARCH);
    expect(seen?.url).not.toContain(EMMA);
    const params = new URLSearchParams(seen?.body);
    expect(params.get('patient.identifier')).toBe(`urn:oid:1.2.208.176.1.2|${EMMA}`);
    expect(params.getAll('_include')).toEqual(
      expect.arrayContaining(['EpisodeOfCare:care-manager', 'EpisodeOfCare:organization', 'EpisodeOfCare:team']),
    );
    expect(seen?.auth).toBe('Bearer tkn');
  });

  it('searches a replacement CPR with the X-eCPR system and reads a contained unit and status history', async () => {
    let body = '';
    server.use(
      http.post(SEARCH, async ({ request }) => {
        body = await request.text();
        return fhirJson(fixture('episodeofcare_replacement_cpr.json'));
      }),
    );
    const outcome = await lookup('1208117KD4');
    expect(new URLSearchParams(body).get('patient.identifier')).toBe('urn:oid:1.2.208.176.1.6.1.1|1208117KD4');
    expect(outcome).toMatchObject({
      status: 'found',
      cases: [
        {
          subjectCpr: '1208117KD4',
          status: 'waiting',
          sourceStatus: 'planned',
          since: '2026-10-19',
          responsibleUnit: { sor: '9500051000016005', ean: '5790009100034' },
          contact: { name: null, phone: '+4597642000' },
        },
      ],
    });
  });

  it('reports the CPR the source names, also when it is another child (for the integrity check)', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('episodeofcare_found.json'))));
    const outcome = await lookup(NOAH);
    expect(outcome.status).toBe('found');
    if (outcome.status === 'found') expect(outcome.cases.map((c) => c.subjectCpr)).toEqual([EMMA]);
  });

  it('answers not-found for an empty search set', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('episodeofcare_empty.json'))));
    expect(await lookup()).toEqual({ status: 'not-found', notes: [] });
  });
});

describe('FHIR source adapter: paging', () => {
  const pages = () => [
    http.post(SEARCH, () => fhirJson(fixture('episodeofcare_page1.json'))),
    http.get(`${BASE}/EpisodeOfCare/_page`, ({ request }) =>
      new URL(request.url).searchParams.get('page') === '2' ? fhirJson(fixture('episodeofcare_page2.json')) : fhirJson('{}', 404),
    ),
  ];

  it('follows next links and maps a finished episode as closed', async () => {
    server.use(...pages());
    const outcome = await lookup();
    expect(outcome.status).toBe('found');
    if (outcome.status !== 'found') return;
    expect(outcome.cases.map((c) => [c.caseId, c.status, c.closedAt])).toEqual([
      ['bup-1001', 'waiting', null],
      ['bup-0990', 'closed', '2025-03-28'],
    ]);
    expect(outcome.cases[1]?.subjectCpr).toBe(EMMA);
  });

  it('stops at maxPages and says so', async () => {
    server.use(...pages());
    const outcome = await lookup(EMMA, adapter({ maxPages: 1 }));
    expect(outcome).toMatchObject({ status: 'found', notes: ['result cut off after 1 pages'] });
    if (outcome.status === 'found') expect(outcome.cases).toHaveLength(1);
  });

  it('does not follow a next link to another server', async () => {
    const page1 = JSON.parse(fixture('episodeofcare_page1.json')) as { link: { relation: string; url: string }[] };
    page1.link = [{ relation: 'next', url: 'https://evil.example.com/fhir/EpisodeOfCare?page=2' }];
    server.use(http.post(SEARCH, () => fhirJson(JSON.stringify(page1))));
    const outcome = await lookup();
    expect(outcome).toMatchObject({ status: 'found', notes: ['next page on another server ignored'] });
  });

  it.each([
    ['the search echoed', `${BASE}/EpisodeOfCare?patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C${EMMA}&_getpagesoffset=20`],
    ['the CPR alone, in a path', `${BASE}/EpisodeOfCare/_page/${EMMA}?page=2`],
    ['a replacement CPR', `${BASE}/EpisodeOfCare?subject=3101057jc9&page=2`],
  ])('does not follow a next link carrying a person identifier (%s): no CPR goes into a URL', async (_name, next) => {
    const page1 = JSON.parse(fixture('episodeofcare_page1.json')) as { link: { relation: string; url: string }[] };
    page1.link = [{ relation: 'next', url: next }];
    const urls: string[] = [];
    server.use(
      http.post(SEARCH, () => fhirJson(JSON.stringify(page1))),
      http.get(`${BASE}/*`, ({ request }) => {
        urls.push(request.url);
        return fhirJson(fixture('episodeofcare_page2.json'));
      }),
    );
    const outcome = await lookup();
    expect(outcome).toMatchObject({ status: 'found', notes: ['next page link carries a person identifier; result cut off'] });
    expect(urls).toEqual([]);
  });
});

describe('FHIR source adapter: failures', () => {
  it.each([
    ['episodeofcare_operationoutcome.json', 'source reported an error'],
    ['episodeofcare_bundle_outcome_fatal.json', 'source reported an error'],
    ['episodeofcare_malformed.json', 'malformed JSON'],
  ])('%s with 200 is an error (%s)', async (name, reason) => {
    server.use(http.post(SEARCH, () => fhirJson(fixture(name))));
    const outcome = await lookup();
    expect(outcome).toMatchObject({ status: 'error', reason });
    expectNoCpr(outcome, EMMA);
  });

  it('keeps warning-level outcomes as a note', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('episodeofcare_bundle_outcome_warning.json'))));
    expect(await lookup()).toEqual({ status: 'not-found', notes: ['source returned warnings'] });
  });

  it('refuses FHIR XML: we asked for JSON', async () => {
    server.use(http.post(SEARCH, () => new HttpResponse('<Bundle xmlns="http://hl7.org/fhir"/>', { headers: { 'content-type': 'application/fhir+xml' } })));
    expect(await lookup()).toEqual({ status: 'error', reason: 'not a FHIR JSON response', httpStatus: 200 });
  });

  it('refuses an HTML page as not FHIR', async () => {
    server.use(http.post(SEARCH, () => HttpResponse.html(fixture('html_login.html'))));
    expect(await lookup()).toEqual({ status: 'error', reason: 'not a FHIR response', httpStatus: 200 });
  });

  it.each([
    [401, 'error', 'credentials refused'],
    [403, 'error', 'access forbidden'],
    [404, 'error', 'endpoint not found'],
    [400, 'error', 'source rejected the request'],
    [429, 'unavailable', 'source busy'],
    [500, 'unavailable', 'source server error'],
    [502, 'unavailable', 'source unavailable'],
    [503, 'unavailable', 'source unavailable'],
    [504, 'unavailable', 'source unavailable'],
  ])('HTTP %i is %s', async (status, kind, reason) => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('episodeofcare_operationoutcome.json'), status)));
    const outcome = await lookup();
    expect(outcome).toEqual({ status: kind, reason, httpStatus: status });
    expectNoCpr(outcome, EMMA);
  });

  it('cuts off a huge streamed bundle without reading it all', async () => {
    // A real server on loopback: what matters is that the broker stops reading and the sender
    // is cut off, which only a real socket shows.
    let sent = 0;
    const chunk = Buffer.from(`{"resource":{"resourceType":"EpisodeOfCare","id":"x"}},`.repeat(500));
    const source = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/fhir+json' });
      res.write('{"resourceType":"Bundle","entry":[');
      const pump = () => {
        while (sent < 20 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.byteLength;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    const { port } = source.address() as AddressInfo;
    server.use(http.post(`http://127.0.0.1:${port}/*`, () => passthrough()));
    try {
      const outcome = await lookup(EMMA, adapter({ baseUrl: `http://127.0.0.1:${port}/fhir`, maxResponseBytes: 256 * 1024 }));
      expect(outcome).toEqual({ status: 'error', reason: 'response too large', httpStatus: 200 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sent).toBeLessThan(4 * 1024 * 1024);
    } finally {
      source.closeAllConnections();
      await new Promise((resolve) => source.close(resolve));
    }
  });

  it('refuses a declared Content-Length above the cap before reading', async () => {
    server.use(
      http.post(SEARCH, () => new HttpResponse('x'.repeat(300_000), { headers: { 'content-type': 'application/fhir+json', 'content-length': '300000' } })),
    );
    expect(await lookup(EMMA, adapter({ maxResponseBytes: 100_000 }))).toMatchObject({ status: 'error', reason: 'response too large' });
  });

  it('aborts the request when the signal fires', async () => {
    server.use(
      http.post(SEARCH, async () => {
        await delay('infinite');
        return fhirJson('{}');
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const outcome = await lookup(EMMA, adapter(), controller.signal);
    expect(outcome).toEqual({ status: 'unavailable', reason: 'request aborted' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a malformed person identifier without calling the source', async () => {
    expect(await lookup('12345')).toEqual({ status: 'error', reason: 'invalid person identifier' });
  });
});
