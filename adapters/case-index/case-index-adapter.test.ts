import { readFileSync } from 'node:fs';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCaseIndexAdapter, type CaseIndexAdapterOptions } from './case-index-adapter.js';

const URL_ = 'https://sf1470.example.dk/sagdokumentindeks/6';
const FREJA = '2811104038';
const IDA = '2308134019';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sources/${name}`, import.meta.url), 'utf8');
const xml = (body: string, status = 200) => new HttpResponse(body, { status, headers: { 'content-type': 'text/xml; charset=utf-8' } });

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const adapter = (opts: Partial<CaseIndexAdapterOptions> = {}) =>
  createCaseIndexAdapter({
    url: URL_,
    auth: { type: 'basic', username: 'broker', password: 'secret' },
    kle: ['27.24', '17.*'],
    now: () => new Date('2026-11-23T12:00:00Z'),
    ...opts,
  });
const lookup = (cpr = FREJA, a = adapter(), signal = new AbortController().signal) => a.lookup({ cpr, requestId: 'req-7' }, signal);

describe('case index adapter: Fremsøg found', () => {
  it('sends a SOAP 1.1 Fremsøg with the CPR in the body and the KLE filter, and maps both cases', async () => {
    let seen: { body: string; action: string | null; type: string | null; auth: string | null; url: string } | undefined;
    server.use(
      http.post(URL_, async ({ request }) => {
        seen = {
          body: await request.text(),
          action: request.headers.get('soapaction'),
          type: request.headers.get('content-type'),
          auth: request.headers.get('authorization'),
          url: request.url,
        };
        return xml(fixture('fremsoeg_found.xml'));
      }),
    );
    const outcome = await lookup();
    expect(seen?.type).toMatch(/^text\/xml/);
    expect(seen?.action).toContain('fremsoeg');
    expect(seen?.auth).toBe(`Basic ${Buffer.from('broker:secret').toString('base64')}`);
    expect(seen?.url).not.toContain(FREJA);
    expect(seen?.body).toContain(`urn:oio:cpr-nr:${FREJA}`);
    expect(seen?.body).toContain('urn:oio:kle:27.24');
    expect(outcome.status).toBe('found');
    if (outcome.status !== 'found') return;
    expect(outcome.cases).toEqual([
      {
        caseId: '27.24.00-G01-118-26',
        subjectCpr: FREJA,
        status: 'assessment',
        sourceStatus: 'Oplyst',
        since: '2026-08-15',
        closedAt: null,
        title: 'Børnefaglig undersøgelse efter Barnets lov § 20',
        sensitivity: 'FOELSOMME_PERSONOPLYSNINGER',
        kle: '27.24.00',
        responsibleUnit: {
          sor: null,
          name: 'Børne- og Familieafdelingen, Hjørring Kommune',
          ean: null,
          municipalityCvr: '29189382',
        },
        contact: { name: 'Jonas Møller', role: 'sagsbehandler', phone: null, email: null },
      },
      expect.objectContaining({ caseId: '17.11.00-G01-9-25', status: 'closed', closedAt: '2026-06-30', kle: '17.11.00' }),
    ]);
  });

  it('leaves out cases outside the configured KLE numbers', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_found.xml'))));
    const outcome = await lookup(FREJA, adapter({ kle: ['27.24'] }));
    expect(outcome).toMatchObject({ status: 'found', notes: ['case outside the configured KLE numbers left out'] });
    if (outcome.status === 'found') expect(outcome.cases.map((c) => c.kle)).toEqual(['27.24.00']);
  });

  it('leaves out cases closed longer ago than the configured months', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_closed_long_ago.xml'))));
    expect(await lookup(IDA)).toEqual({ status: 'not-found', notes: ['cases closed long ago left out'] });
    const longMemory = await lookup(IDA, adapter({ closedCaseMonths: 60 }));
    expect(longMemory).toMatchObject({ status: 'found', cases: [{ status: 'closed', closedAt: '2023-01-31' }] });
  });

  it('reads a replacement CPR as the primary party and a Vedtaget case as open', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_replacement_cpr.xml'))));
    expect(await lookup('1208117KD4')).toMatchObject({
      status: 'found',
      cases: [{ subjectCpr: '1208117KD4', status: 'open', sourceStatus: 'Vedtaget', since: '2026-10-20' }],
    });
  });

  it("reports another child's case faithfully (subjectCpr is the index's primary party)", async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_found.xml'))));
    const outcome = await lookup(IDA);
    expect(outcome.status).toBe('found');
    if (outcome.status === 'found') expect(new Set(outcome.cases.map((c) => c.subjectCpr))).toEqual(new Set([FREJA]));
  });

  it('notes a full answer as possibly cut off', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_found.xml'))));
    expect(await lookup(FREJA, adapter({ maxResults: 2 }))).toMatchObject({
      status: 'found',
      notes: ['result may be cut off at the maximum number of cases'],
    });
  });

  it('answers not-found for an empty result', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_empty.xml'))));
    expect(await lookup()).toEqual({ status: 'not-found', notes: [] });
  });
});

describe('case index adapter: failures', () => {
  it('maps a SOAP Fault (HTTP 500) to error without its text', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_fault.xml'), 500)));
    expect(await lookup()).toEqual({ status: 'error', reason: 'SOAP fault', httpStatus: 500 });
  });

  it('maps a StandardRetur error code to error', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_status_error.xml'))));
    expect(await lookup()).toEqual({ status: 'error', reason: 'case index refused the search' });
  });

  it('refuses a response with a DTD', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_dtd.xml'))));
    expect(await lookup()).toEqual({ status: 'error', reason: 'DTD not allowed' });
  });

  it('refuses malformed XML', async () => {
    server.use(http.post(URL_, () => xml(fixture('fremsoeg_malformed.xml'))));
    expect(await lookup()).toEqual({ status: 'error', reason: 'malformed XML' });
  });

  it('refuses an HTML page', async () => {
    server.use(http.post(URL_, () => HttpResponse.html(fixture('html_login.html'))));
    expect(await lookup()).toEqual({ status: 'error', reason: 'not a SOAP response', httpStatus: 200 });
  });

  it.each([
    [401, 'error', 'credentials refused'],
    [403, 'error', 'access forbidden'],
    [404, 'error', 'endpoint not found'],
    [429, 'unavailable', 'source busy'],
    [500, 'unavailable', 'source server error'],
    [503, 'unavailable', 'source unavailable'],
  ])('HTTP %i without a Fault is %s', async (status, kind, reason) => {
    server.use(http.post(URL_, () => new HttpResponse('oops', { status, headers: { 'content-type': 'text/plain' } })));
    expect(await lookup()).toEqual({ status: kind, reason, httpStatus: status });
  });

  it('cuts off a huge response', async () => {
    const big = fixture('fremsoeg_found.xml').repeat(40);
    server.use(http.post(URL_, () => xml(big)));
    expect(await lookup(FREJA, adapter({ maxResponseBytes: 64 * 1024 }))).toMatchObject({ status: 'error', reason: 'response too large' });
  });

  it('aborts when the signal fires', async () => {
    server.use(
      http.post(URL_, async () => {
        await delay('infinite');
        return xml('');
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect(await lookup(FREJA, adapter(), controller.signal)).toEqual({ status: 'unavailable', reason: 'request aborted' });
  });
});
