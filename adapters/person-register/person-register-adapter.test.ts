import { readFileSync } from 'node:fs';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPersonRegister } from './person-register-adapter.js';
import { normaliseMunicipality } from './patient-mapper.js';

const BASE = 'https://person.example.dk/fhir';
const SEARCH = `${BASE}/Patient/_search`;
const NOAH = '0209144026';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sources/${name}`, import.meta.url), 'utf8');
const fhirJson = (body: string, status = 200) => new HttpResponse(body, { status, headers: { 'content-type': 'application/fhir+json' } });

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const register = createPersonRegister({ baseUrl: BASE, auth: { type: 'none' } });
const find = (cpr = NOAH) => register.find({ cpr, requestId: 'r' }, new AbortController().signal);

describe('person register', () => {
  it("finds the child's GP practice SOR code, municipality (dk-core 4 digits -> 3) and region", async () => {
    let body = '';
    server.use(
      http.post(SEARCH, async ({ request }) => {
        body = await request.text();
        return fhirJson(fixture('patient_found.json'));
      }),
    );
    expect(await find()).toEqual({ status: 'found', gpPracticeSor: '9510031000016003', municipalityCode: '851', regionCode: 'DK-81' });
    expect(new URLSearchParams(body).get('identifier')).toBe(`urn:oid:1.2.208.176.1.2|${NOAH}`);
  });

  it('accepts the municipality in address.district and the GP as a logical SOR reference, ignoring old addresses', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('patient_district_only.json'))));
    expect(await find()).toEqual({ status: 'found', gpPracticeSor: '9510031000016003', municipalityCode: '851', regionCode: null });
  });

  it('carries name and address protection from the security label R, with or without its system, or the eHealth extension', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('patient_address_protected.json'))));
    expect(await find('1707154021')).toEqual({ status: 'found', gpPracticeSor: '9510031000016003', municipalityCode: '851', regionCode: 'DK-81', addressProtected: true });
    const variants = [
      (p: Record<string, unknown>) => ({ ...p, meta: { security: [{ code: 'R', display: 'Restricted' }] } }),
      (p: Record<string, unknown>) => ({ ...p, meta: undefined, extension: [{ url: 'http://ehealth.sundhed.dk/fhir/StructureDefinition/ehealth-nameandaddressprotection', valuePeriod: { start: '2024-01-01' } }] }),
    ];
    for (const change of variants) {
      const bundle = JSON.parse(fixture('patient_address_protected.json')) as { entry: Array<{ resource: Record<string, unknown> }> };
      const first = bundle.entry[0] as { resource: Record<string, unknown> };
      first.resource = change(first.resource);
      server.use(http.post(SEARCH, () => fhirJson(JSON.stringify(bundle))));
      expect(await find('1707154021')).toMatchObject({ status: 'found', addressProtected: true });
    }
    // A label of another system, or N (normal), is not protection.
    const normal = JSON.parse(fixture('patient_address_protected.json')) as { entry: Array<{ resource: { meta: { security: Array<{ code: string }> } } }> };
    (normal.entry[0] as { resource: { meta: { security: Array<{ code: string }> } } }).resource.meta.security = [{ code: 'N' }];
    server.use(http.post(SEARCH, () => fhirJson(JSON.stringify(normal))));
    expect(await find('1707154021')).not.toHaveProperty('addressProtected');
  });

  it('answers not-found for an empty search set', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('patient_not_found.json'))));
    expect(await find()).toEqual({ status: 'not-found' });
  });

  it('refuses a Patient with another CPR than the one asked for', async () => {
    server.use(http.post(SEARCH, () => fhirJson(fixture('patient_found.json'))));
    const outcome = await find('1503124013');
    expect(outcome).toEqual({ status: 'error', reason: 'patient identifier mismatch' });
  });

  it.each([
    [401, 'error'],
    [503, 'unavailable'],
  ])('HTTP %i is %s', async (status, kind) => {
    server.use(http.post(SEARCH, () => fhirJson('{"resourceType":"OperationOutcome"}', status)));
    expect(await find()).toMatchObject({ status: kind, httpStatus: status });
  });

  it('refuses HTML', async () => {
    server.use(http.post(SEARCH, () => HttpResponse.html(fixture('html_login.html'))));
    expect(await find()).toMatchObject({ status: 'error', reason: 'not a FHIR response' });
  });

  it('normalises kommunekoder', () => {
    expect(normaliseMunicipality('0851')).toBe('851');
    expect(normaliseMunicipality('851')).toBe('851');
    expect(normaliseMunicipality('Aalborg')).toBeNull();
    expect(normaliseMunicipality('10851')).toBeNull();
  });
});
