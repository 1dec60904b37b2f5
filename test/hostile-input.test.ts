/**
 * Hostile input over real HTTP: text PostgreSQL cannot store (NUL, unpaired surrogates) in request
 * bodies, URLs and token claims is refused at the edge, and one such request can never fail the
 * honest requests whose records share its group commit; a full write queue answers 503 with
 * Retry-After; a header value with CR/LF in a token is a 401, not a 500.
 */
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { TEST_AUDIENCE, type TestIssuer, createTestIssuer } from './helpers/issuers.js';

const CLINIC = '100000000000011';
const ROOT = '100000000000001';
const organisations = { isWithin: (sor: string, root: string) => sor === root || (sor === CLINIC && root === ROOT) };
const NOAH = '0209144026';
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(databaseKinds())('hostile input on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let idp: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    idp = await createTestIssuer({ issuer: 'https://idp.hostile.example', organisations: [ROOT] });
    broker = await startTestBroker({ database, issuers: [idp], organisations, sources: { personRegister: null, sources: [] } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const bearer = async (token?: string) => ({ Authorization: `Bearer ${token ?? (await idp.token({ organisationSor: CLINIC }))}` });
  /** A lookup with a raw JSON body, so that escapes like \u0000 reach the broker as sent. */
  const lookup = async (rawBody: string, token?: string) =>
    broker.request('/v1/lookups', { method: 'POST', headers: { ...(await bearer(token)), 'Content-Type': 'application/json' }, body: rawBody });
  const honestBody = (i: number) => JSON.stringify({ cpr: NOAH, purposeOfUse: 'child-welfare-concern', reason: `Bekymring fra skolen nr. ${i}` });
  const rawReason = (escaped: string) => `{"cpr":"${NOAH}","purposeOfUse":"child-welfare-concern","reason":"Bekymring ${escaped} fra skolen"}`;

  async function problem(response: Response, status: number, slug: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as { type: string; detail?: string };
    expect(body.type).toBe(PROBLEM_BASE + slug);
    return { body, headers: response.headers };
  }

  it('answers 200 concurrent honest lookups while one with a NUL in its reason is refused at the edge', async () => {
    const honest = Array.from({ length: 200 }, (_, i) => lookup(honestBody(i)));
    const poisoned = lookup(rawReason('\\u0000'));
    const answers = await Promise.all(honest);
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const { body } = await problem(await poisoned, 400, 'unstorable-text');
    expect(body.detail).not.toContain(NOAH);
    const lookupIds = await Promise.all(answers.map(async (r) => ((await r.json()) as { lookupId: string }).lookupId));
    const stored = await database.db.selectFrom('audit_event').select(['id', 'reason']).where('id', 'in', lookupIds).execute();
    expect(stored).toHaveLength(200);
    expect(stored.every((r) => /^Bekymring fra skolen nr\. \d+$/.test(r.reason ?? ''))).toBe(true);
  }, 60_000);

  it.each([
    ['a NUL', '\\u0000'],
    ['a lone high surrogate', '\\ud800'],
    ['a lone low surrogate', '\\udfff'],
  ])('refuses %s anywhere in a JSON body, also in a key, with 400 unstorable-text', async (_name, escaped) => {
    await problem(await lookup(rawReason(escaped)), 400, 'unstorable-text');
    await problem(await lookup(`{"cpr":"${NOAH}","purposeOfUse":"child-welfare-concern","reason":"Bekymring fra skolen","x${escaped}":1}`), 400, 'unstorable-text');
    // The same body as application/<something>+json, which the JSON validator reads too.
    const other = await broker.request('/v1/lookups', { method: 'POST', headers: { ...(await bearer()), 'Content-Type': 'application/vnd.example+json' }, body: rawReason(escaped) });
    await problem(other, 400, 'unstorable-text');
  });

  it('still accepts an escaped surrogate pair (an emoji) and Danish letters', async () => {
    const response = await lookup(rawReason('\\ud83d\\ude00 æøå'));
    expect(response.status).toBe(200);
  });

  it('refuses a body nested deeper than any request', async () => {
    const deep = `{"cpr":"${NOAH}","purposeOfUse":"child-welfare-concern","reason":"Bekymring fra skolen","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    await problem(await lookup(deep), 400, 'body-too-complex');
  });

  it('refuses %00 in a URL (path or query) with 400', async () => {
    await problem(await broker.request('/v1/organisations?q=a%00b', { headers: await bearer() }), 400, 'unstorable-text');
    await problem(await broker.request('/v1/correspondence/abc%00', { headers: await bearer() }), 400, 'unstorable-text');
  });

  it('refuses unstorable text in the token claims that reach the database (sub, jti, name) with 401, and the honest requests beside them pass', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { acting_org: CLINIC, role: 'clinician', nsis_loa: 'substantial', purpose_of_use: 'child-welfare-concern' };
    const sign = (extra: Record<string, unknown>, sub: string, jti: string) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: 'ES256', kid: idp.kid })
        .setIssuer(idp.issuer).setAudience(TEST_AUDIENCE).setSubject(sub).setJti(jti)
        .setIssuedAt(now).setExpirationTime(now + 300)
        .sign(idp.privateKey);
    const bad = await Promise.all([
      sign({}, 'user\u0000x', crypto.randomUUID()),
      sign({}, 'user-1', `jti-\u0000-${crypto.randomUUID()}`),
      sign({ name: 'Mette \u0000 Sørensen' }, 'user-1', crypto.randomUUID()),
      sign({}, 'user-\ud800', crypto.randomUUID()),
    ]);
    const honest = Array.from({ length: 40 }, (_, i) => lookup(honestBody(i)));
    const refused = bad.map((token) => lookup(honestBody(0), token));
    expect((await Promise.all(honest)).map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 200));
    for (const response of await Promise.all(refused)) {
      const { headers } = await problem(response, 401, 'token-claims-invalid');
      expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="broker"/);
    }
  });

  it('answers a token whose algorithm holds CR/LF with 401, and echoes none of it into a header', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: idp.issuer, aud: TEST_AUDIENCE, sub: 'x', jti: crypto.randomUUID(), iat: now, exp: now + 300 };
    for (const alg of ['HS256\r\nX-Injected: yes', 'ES256\r\nX-Injected: yes', 'none\r\n']) {
      const token = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;
      const response = await broker.request('/v1/me', { headers: { Authorization: `Bearer ${token}` } });
      const { body, headers } = await problem(response, 401, 'token-algorithm-refused');
      expect(headers.get('x-injected')).toBeNull();
      expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="broker", error="invalid_token"/);
      expect(JSON.stringify(body)).not.toContain('X-Injected');
    }
  });
});

describe.each(databaseKinds())('a full write queue on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let idp: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    idp = await createTestIssuer({ issuer: 'https://idp.busy.example', organisations: [ROOT] });
    broker = await startTestBroker({ database, issuers: [idp], organisations, env: { BROKER_WRITE_QUEUE_MAX: '2' } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  it('answers 503 overloaded with Retry-After once the queue is full, and serves the queued requests when the database frees up', async () => {
    // Hold the token-id table: the first request's replay-guard insert waits in flight, two more
    // wait in the queue, and every further request finds the queue full.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = database.db.transaction().execute(async (trx) => {
      await sql`lock table token_use in access exclusive mode`.execute(trx);
      locked();
      await gate;
    });
    await isLocked;
    const me = async () => broker.request('/v1/me', { headers: { Authorization: `Bearer ${await idp.token({ organisationSor: CLINIC })}` } });
    const first = me();
    await new Promise((r) => setTimeout(r, 200)); // the first insert is in flight
    const rest = Array.from({ length: 7 }, () => me());
    await new Promise((r) => setTimeout(r, 300));
    release();
    await holder;
    const statuses = await Promise.all([first, ...rest]);
    const refused = statuses.filter((r) => r.status === 503);
    expect(statuses.filter((r) => r.status === 200)).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const response of refused) {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}overloaded`);
    }
    expect((await me()).status).toBe(200);
  });
});

describe.each(databaseKinds())('a token replayed within one group-commit batch on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let idp: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    idp = await createTestIssuer({ issuer: 'https://idp.replay.example', organisations: [ROOT] });
    broker = await startTestBroker({ database, issuers: [idp], organisations });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  it('accepts the first use and refuses the replay although both token ids are inserted by the same statement', async () => {
    // Hold the token-id table so that one request's insert waits in flight; the token and its
    // replay then both queue behind it and are committed together in the next batch.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = database.db.transaction().execute(async (trx) => {
      await sql`lock table token_use in access exclusive mode`.execute(trx);
      locked();
      await gate;
    });
    await isLocked;
    const me = (token: string) => broker.request('/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    const inFlight = me(await idp.token({ organisationSor: CLINIC }));
    await new Promise((r) => setTimeout(r, 200));
    const token = await idp.token({ organisationSor: CLINIC });
    const both = [me(token), me(token), me(token)];
    await new Promise((r) => setTimeout(r, 200));
    // Proof that they share a batch: nothing has been answered while the table is held.
    const settled = await Promise.race([Promise.all(both).then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 50))]);
    expect(settled).toBe('waiting');
    release();
    await holder;
    expect((await inFlight).status).toBe(200);
    const statuses = (await Promise.all(both)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401]);
    const rows = await database.db.selectFrom('token_use').select('jti').where('issuer', '=', idp.issuer).execute();
    expect(rows).toHaveLength(2);
  });
});
