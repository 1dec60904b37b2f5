import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANISATIONS } from './organisations.js';
import { createCaseIndexAdapter } from '../case-index/index.js';
import { createFhirSourceAdapter } from '../fhir/index.js';
import { createPersonRegister } from '../person-register/index.js';
import type { SourceAdapter, SourceOutcome } from '../source.js';
import { loadDemoChildren, startSimulators, type Simulators } from './index.js';

const EMMA = '1503124013';
const NOAH = '0209144026';
const FREJA = '2811104038';
const OLIVER = '0906164027';
const WILLIAM = '0410124387';
const LUCAS = '1208117KD4';

let sims: Simulators;
beforeAll(async () => {
  sims = await startSimulators();
});
afterAll(async () => {
  await sims.close();
});

const none = { type: 'none' } as const;
const psychiatry = () => createFhirSourceAdapter({ baseUrl: sims.psychiatryUrl, auth: none });
const gp = () => createFhirSourceAdapter({ baseUrl: sims.gpUrl, auth: none });
const family = () => createCaseIndexAdapter({ url: sims.caseIndexUrl, auth: none, kle: ['27.24'], now: () => new Date('2026-11-23') });
const ppr = () => createCaseIndexAdapter({ url: sims.caseIndexUrl, auth: none, kle: ['17.*'], now: () => new Date('2026-11-23') });
const ask = (a: SourceAdapter, cpr: string, signal = new AbortController().signal) => a.lookup({ cpr, requestId: 'sim' }, signal);
const statuses = (o: SourceOutcome) => (o.status === 'found' ? o.cases.map((c) => c.status) : o.status);

describe('demo children', () => {
  it('have CPRs valid by date, one failing modulus 11, one replacement CPR, and known organisations', () => {
    const children = loadDemoChildren();
    expect(children.length).toBeGreaterThanOrEqual(6);
    const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    const mod11 = (cpr: string) => [...cpr].reduce((s, d, i) => s + Number(d) * (weights[i] ?? 0), 0) % 11 === 0;
    for (const c of children) {
      const [dd, mm] = [Number(c.cpr.slice(0, 2)), Number(c.cpr.slice(2, 4))];
      expect(`${c.birthDate.slice(8, 10)}${c.birthDate.slice(5, 7)}${c.birthDate.slice(2, 4)}`).toBe(c.cpr.slice(0, 6));
      expect(dd >= 1 && dd <= 31 && mm >= 1 && mm <= 12).toBe(true);
      const keys = [c.gpPractice, ...c.episodes.map((e) => e.unit), ...c.municipalCases.map((m) => m.unit)].filter((k) => k !== null);
      for (const k of keys) expect(ORGANISATIONS.some((o) => o.key === k)).toBe(true);
    }
    const numeric = children.filter((c) => /^\d{10}$/.test(c.cpr));
    expect(numeric.some((c) => !mod11(c.cpr))).toBe(true);
    expect(children.some((c) => /[A-Z]/.test(c.cpr))).toBe(true);
  });
});

describe('adapters against the simulators on loopback', () => {
  it('person register: GP practice and municipality', async () => {
    const register = createPersonRegister({ baseUrl: sims.personRegisterUrl, auth: none });
    const find = (cpr: string) => register.find({ cpr, requestId: 'sim' }, new AbortController().signal);
    expect(await find(EMMA)).toEqual({ status: 'found', gpPracticeSor: '9510031000016003', municipalityCode: '851', regionCode: 'DK-81' });
    expect(await find(OLIVER)).toMatchObject({ status: 'found', gpPracticeSor: '9510631000016003', municipalityCode: '813' });
    expect(await find(LUCAS)).toMatchObject({ status: 'found', gpPracticeSor: null, municipalityCode: '851' });
    expect(await find('0101011234')).toEqual({ status: 'not-found' });
  });

  it('child psychiatry: waiting list, treatment, referral, nothing', async () => {
    expect(statuses(await ask(psychiatry(), EMMA))).toEqual(['waiting', 'closed']);
    const noah = await ask(psychiatry(), NOAH);
    expect(noah).toMatchObject({ status: 'found', cases: [{ status: 'treatment', team: 'Team Angst og OCD', contact: { name: 'Lars Brandt' } }] });
    expect(statuses(await ask(psychiatry(), WILLIAM))).toEqual(['referred']);
    expect(await ask(psychiatry(), OLIVER)).toEqual({ status: 'not-found', notes: [] });
  });

  it('GP system endpoint serving several practices', async () => {
    expect(await ask(gp(), EMMA)).toMatchObject({
      status: 'found',
      cases: [{ status: 'treatment', responsibleUnit: { sor: '9510031000016003' }, contact: { name: 'Anders Holm', phone: '+4598101010' } }],
    });
    expect((await ask(gp(), NOAH)).status).toBe('not-found');
  });

  it('case index: family case with FOELSOMME sensitivity, PPR cases by KLE', async () => {
    expect(await ask(family(), FREJA)).toMatchObject({
      status: 'found',
      cases: [{ sensitivity: 'FOELSOMME_PERSONOPLYSNINGER', status: 'assessment', subjectCpr: FREJA }],
    });
    expect(statuses(await ask(ppr(), NOAH))).toEqual(['open']);
    expect(statuses(await ask(ppr(), WILLIAM))).toEqual(['referred']);
    expect(statuses(await ask(family(), LUCAS))).toEqual(['open']);
    expect((await ask(family(), OLIVER)).status).toBe('not-found');
  });

  it('pages through a FHIR search when the server pages', async () => {
    sims.setBehaviour('psychiatry', { pageSize: 1 });
    try {
      const one = await ask(createFhirSourceAdapter({ baseUrl: sims.psychiatryUrl, auth: none, maxPages: 1 }), EMMA);
      expect(one).toMatchObject({ status: 'found', notes: ['result cut off after 1 pages'] });
      expect(statuses(await ask(psychiatry(), EMMA))).toEqual(['waiting', 'closed']);
    } finally {
      sims.setBehaviour('psychiatry', {});
    }
  });
});

describe('simulated failures reach each adapter as the right outcome', () => {
  const adapters = () =>
    [
      ['psychiatry', psychiatry(), EMMA],
      ['caseIndex', family(), FREJA],
    ] as const;

  it.each([
    ['down', { status: 'unavailable', httpStatus: 503 }],
    ['html', { status: 'error' }],
    ['malformed', { status: 'error' }],
  ] as const)('%s', async (failure, expected) => {
    for (const [name, adapter, cpr] of adapters()) {
      sims.setBehaviour(name, { failure });
      try {
        expect(await ask(adapter, cpr)).toMatchObject(expected);
      } finally {
        sims.setBehaviour(name, {});
      }
    }
  });

  it('flaky fails with the given probability', async () => {
    sims.setBehaviour('psychiatry', { failure: 'flaky', flakyProbability: 0.5, random: () => 0.2 });
    expect((await ask(psychiatry(), EMMA)).status).toBe('unavailable');
    sims.setBehaviour('psychiatry', { failure: 'flaky', flakyProbability: 0.5, random: () => 0.8 });
    expect((await ask(psychiatry(), EMMA)).status).toBe('found');
    sims.setBehaviour('psychiatry', {});
  });

  it("wrong-child returns another child's case, reported with that child's CPR", async () => {
    for (const [name, adapter, cpr] of adapters()) {
      sims.setBehaviour(name, { failure: 'wrong-child' });
      try {
        const outcome = await ask(adapter, cpr);
        expect(outcome.status).toBe('found');
        if (outcome.status === 'found') expect(outcome.cases.every((c) => c.subjectCpr !== cpr)).toBe(true);
      } finally {
        sims.setBehaviour(name, {});
      }
    }
  });

  it('huge answers are cut off', async () => {
    for (const [name, , cpr] of adapters()) {
      sims.setBehaviour(name, { failure: 'huge', hugeBytes: 2 * 1024 * 1024 });
      const small =
        name === 'psychiatry'
          ? createFhirSourceAdapter({ baseUrl: sims.psychiatryUrl, auth: none, maxResponseBytes: 256 * 1024 })
          : createCaseIndexAdapter({ url: sims.caseIndexUrl, auth: none, kle: ['27.24'], maxResponseBytes: 256 * 1024 });
      try {
        expect(await ask(small, cpr)).toMatchObject({ status: 'error', reason: 'response too large' });
      } finally {
        sims.setBehaviour(name, {});
      }
    }
  });

  it('hang never answers; the adapter gives up when aborted; latency is applied', async () => {
    sims.setBehaviour('psychiatry', { failure: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await ask(psychiatry(), EMMA, controller.signal)).toEqual({ status: 'unavailable', reason: 'request aborted' });
    sims.setBehaviour('psychiatry', { latencyMs: 150 });
    const started = Date.now();
    expect((await ask(psychiatry(), EMMA)).status).toBe('found');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sims.setBehaviour('psychiatry', {});
  });

  it('a stopped source is unavailable (connection refused)', async () => {
    const solo = await startSimulators();
    const url = solo.caseIndexUrl;
    await solo.close();
    const adapter = createCaseIndexAdapter({ url, auth: none, kle: ['27.24'] });
    expect(await ask(adapter, FREJA)).toEqual({ status: 'unavailable', reason: 'connection failed' });
  });
});
