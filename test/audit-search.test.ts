/**
 * The auditors' search over HTTP with auditor tokens: the filters an auditor uses (organisation
 * concerned, source, counterpart, user, purpose, period), counts per day, the keyset cursor while
 * records keep arriving, and the same-transaction rule for a sent message.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import type { AuditRecord, LookupRecord } from '../src/audit/audit-record.js';
import { verifyAuditChain } from '../src/audit/audit-writer.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { lookupDetails, lookupSource } from './helpers/audit-records.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, type TestGateway, createTestGatewayIssuer, gatewayEnv, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';
import { NJ } from './helpers/sor-files.js';

const IDP = 'https://sts.audit-search.example';
const NOAH = '0209144026';
const EMMA = '0101201234';
const actor = (org: string, subject: string): AuditRecord['actor'] => ({
  issuer: IDP, subject, displayName: null, role: 'caseworker', organisationSor: org, assurance: 'substantial', callingSystem: null,
});
const day = (d: number, hour = 10) => new Date(Date.UTC(2026, 10, d, hour, 0, 0));

/** A GP's lookup of Noah that asked psychiatry and PPR Aalborg. */
const gpLookup = (d: number, purpose = 'child-welfare-concern'): LookupRecord => ({
  kind: 'lookup', outcome: 'success', occurredAt: day(d), requestId: `gp-${d}`, actor: actor(NJ.gpKjaersgaard, 'gp-user'), purpose, reason: 'Bekymring', patientCpr: NOAH,
  details: lookupDetails({ sources: [lookupSource('rn-child-psychiatry', NJ.childPsychiatry, 'found', 'child-psychiatry'), lookupSource('ppr-851', NJ.aalborgPpr)] }),
});
/** PPR Aalborg's own lookup of Emma that asked the family department only. */
const pprLookup = (d: number): LookupRecord => ({
  kind: 'lookup', outcome: 'success', occurredAt: day(d), requestId: `ppr-${d}`, actor: actor(NJ.aalborgPpr, 'ppr-user'), purpose: 'child-welfare-concern', reason: 'Skolefravær', patientCpr: EMMA,
  details: lookupDetails({ sources: [lookupSource('family-851', NJ.aalborgFamily, 'found', 'family')] }),
});
/** Psychiatry writing to PPR Aalborg about Noah. */
const message = (d: number): AuditRecord => ({
  kind: 'correspondence-sent', outcome: 'success', occurredAt: day(d), requestId: `msg-${d}`, actor: actor(NJ.teamAalborg, 'bup-user'), purpose: 'coordinated-care', reason: null, patientCpr: NOAH,
  details: { messageId: `m-${d}`, counterpartSor: NJ.aalborgPpr, counterpartEan: MC.aalborgPprEan, bundleId: `b-${d}`, messageHeaderId: `h-${d}`, kind: 'new', category: 'other', agreements: [] },
});

interface Page {
  items: Array<{ id: string; seq: string; kind: string; purpose: string | null; actor: { organisation: string | null; subject: string | null }; details: Record<string, unknown>; visibility: string }>;
  nextCursor: string | null;
}

describe.each(databaseKinds())('the auditors’ search over HTTP (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  const ids = { gp: [] as string[], ppr: [] as string[], messages: [] as string[], gpTreatment: '' };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: IDP, organisations: ROOTS });
    const gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.audit-search.example');
    broker = await startTestBroker({ database, issuers: [sts, gatewayIssuer], env: { ...gatewayEnv(gatewayIssuer), MEDCOM_GATEWAY_URL: gateway.url } });
    const write = (r: AuditRecord) => broker.broker.audit.write(r);
    for (let d = 1; d <= 3; d += 1) {
      ids.gp.push(await write(gpLookup(d)));
      ids.ppr.push(await write(pprLookup(d)));
      ids.messages.push(await write(message(d)));
    }
    ids.gpTreatment = await write(gpLookup(3, 'treatment'));
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const post = async (path: string, org: string, body: Record<string, unknown>, role: 'auditor' | 'clinician' = 'auditor') =>
    broker.request(path, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await sts.token({ organisationSor: org, role, subject: `auditor-of-${org}`, assurance: 'substantial', purposeOfUse: 'quality-assurance' })}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ reason: 'Stikprøvekontrol af opslag', ...body }),
    });
  const search = async (org: string, body: Record<string, unknown>): Promise<Page> => {
    const res = await post('/v1/audit/search', org, body);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };
  const idsOf = (p: Page) => p.items.map((i) => i.id);
  const newestFirst = (xs: readonly string[]) => [...xs].reverse();

  it('filters on the organisation concerned: its own staff’s records and others’ that concerned it', async () => {
    const page = await search(NJ.aalborgKommune, { organisation: NJ.aalborgPpr });
    expect(new Set(idsOf(page))).toEqual(new Set([...ids.gp, ids.gpTreatment, ...ids.ppr, ...ids.messages]));
    // The family department was consulted by PPR's own lookups only.
    expect(idsOf(await search(NJ.aalborgKommune, { organisation: NJ.aalborgFamily }))).toEqual(newestFirst(ids.ppr));
  });

  it('never shows an auditor of one subtree a record that concerns only another, whatever it filters on', async () => {
    // Psychiatry's auditor asking about the family department (PPR's lookups concerned only that).
    expect((await search(NJ.childPsychiatry, { organisation: NJ.aalborgFamily })).items).toEqual([]);
    expect((await search(NJ.childPsychiatry, { sourceId: 'family-851' })).items).toEqual([]);
    expect((await search(NJ.childPsychiatry, { patientCpr: EMMA })).items).toEqual([]);
    expect((await search(NJ.childPsychiatry, { actorSubject: 'ppr-user' })).items).toEqual([]);
    // The GP's lookups concerned psychiatry: it sees them, with only its own source.
    const gp = await search(NJ.childPsychiatry, { organisation: NJ.gpKjaersgaard });
    expect(new Set(idsOf(gp))).toEqual(new Set([...ids.gp, ids.gpTreatment]));
    for (const item of gp.items) {
      expect(item.visibility).toBe('concerned-party');
      expect(JSON.stringify(item.details)).not.toContain(NJ.aalborgPpr);
    }
  });

  it('filters on the source asked, the counterpart of a message, the user and the purpose', async () => {
    expect(new Set(idsOf(await search(NJ.aalborgKommune, { sourceId: 'ppr-851' })))).toEqual(new Set([...ids.gp, ids.gpTreatment]));
    expect(idsOf(await search(NJ.aalborgPpr, { counterpartSor: NJ.aalborgPpr }))).toEqual(newestFirst(ids.messages));
    expect(idsOf(await search(NJ.aalborgPpr, { actorSubject: 'ppr-user' }))).toEqual(newestFirst(ids.ppr));
    expect(idsOf(await search(NJ.aalborgPpr, { purpose: 'treatment' }))).toEqual([ids.gpTreatment]);
    expect(idsOf(await search(NJ.aalborgPpr, { purpose: 'coordinated-care', kinds: ['correspondence-sent'], from: day(2, 0).toISOString(), to: day(3, 0).toISOString() }))).toEqual([ids.messages[1]]);
  });

  it('counts records per Copenhagen day under the same scope and filters, and audits the counting', async () => {
    const res = await post('/v1/audit/counts', NJ.aalborgPpr, { patientCpr: NOAH, kinds: ['lookup'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ timeZone: 'Europe/Copenhagen', days: [{ day: '2026-11-01', records: 1 }, { day: '2026-11-02', records: 1 }, { day: '2026-11-03', records: 2 }] });
    // Out of scope, nothing: psychiatry never counts PPR's own lookups.
    expect(await (await post('/v1/audit/counts', NJ.childPsychiatry, { actorSubject: 'ppr-user' })).json()).toMatchObject({ days: [] });
    const audited = await database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'audit-search').where('actor_organisation', '=', NJ.aalborgPpr).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(audited).toMatchObject({ patient_cpr: NOAH, reason: 'Stikprøvekontrol af opslag' });
    expect(audited.details).toMatchObject({ view: 'counts', returned: 3, filters: { kinds: ['lookup'] } });
  });

  it('refuses counts over an inverted period, and counts for a clinician', async () => {
    const bad = await post('/v1/audit/counts', NJ.aalborgPpr, { from: day(3).toISOString(), to: day(2).toISOString() });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await bad.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}validation-failed`);
    const clinician = await post('/v1/audit/counts', NJ.aalborgPpr, {}, 'clinician');
    expect(clinician.status).toBe(403);
  });

  it('pages with its cursor without repeating or skipping a record while new records arrive', async () => {
    // Not the auditor's own searches: each page's search is itself a new record.
    const kinds = ['lookup', 'correspondence-sent'];
    const expected = idsOf(await search(NJ.aalborgKommune, { kinds, limit: 500 }));
    expect(expected.length).toBe(10);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await search(NJ.aalborgKommune, { kinds, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...idsOf(page));
      cursor = page.nextCursor;
      pages += 1;
      // Records written between pages are newer than every cursor: they start no page over.
      await broker.broker.audit.write(gpLookup(4));
      await broker.broker.audit.write(pprLookup(4));
    } while (cursor && pages < 50);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, brokenAt: null });
  });
});

describe.each(databaseKinds())('a sent message and its audit record commit together (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: IDP, organisations: ROOTS });
    const gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.audit-tx.example');
    broker = await startTestBroker({ database, issuers: [sts, gatewayIssuer], env: { ...gatewayEnv(gatewayIssuer), MEDCOM_GATEWAY_URL: gateway.url, BROKER_JOBS_POLLING_SECONDS: '0.5' } });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const send = async () =>
    broker.request('/v1/correspondence', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' })}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        kind: 'new', receiverSor: MC.teamAalborg, patient: { cpr: EMMA, given: ['Emma'], family: 'Jensen' }, category: 'carecoordination',
        text: 'Hvem er kontaktperson?', author: { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '+45 98 12 34 56' },
      }),
    });
  const sentRecords = async () =>
    (await database.db.selectFrom('audit_event').select(['outcome', 'details']).where('kind', '=', 'correspondence-sent').where('patient_cpr', '=', EMMA).execute());

  it('leaves no success record for a message whose insert fails, and one for each message stored', async () => {
    // The insert fails as a lost race or a full disk would: after the checks, at the database.
    await sql`create function refuse_message() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(database.db);
    await sql`create trigger refuse_message before insert on correspondence_message for each row execute function refuse_message()`.execute(database.db);
    try {
      const refused = await send();
      expect(refused.status).toBe(500);
      expect(await sentRecords()).toEqual([]);
    } finally {
      await sql`drop trigger refuse_message on correspondence_message`.execute(database.db);
      await sql`drop function refuse_message()`.execute(database.db);
    }
    const stored = await send();
    expect(stored.status).toBe(202);
    const { id } = (await stored.json()) as { id: string };
    const records = await sentRecords();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'success', details: { messageId: id, counterpartSor: MC.teamAalborg } });
    expect(await database.db.selectFrom('correspondence_message').select('id').where('id', '=', id).executeTakeFirst()).toEqual({ id });
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true });
  });
});
