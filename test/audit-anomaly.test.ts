/**
 * Anomaly review: the rules over real audit records (PGlite and PostgreSQL), deduplicated on a
 * rerun; over real HTTP with real signed tokens from two issuers, an auditor sees and decides only
 * the flags of its own SOR subtree, and its decision is written to the audit chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { DEFAULT_ANOMALY_RULES, runAnomalyRules } from '../src/audit/anomaly.js';
import { anomalyReviewJob } from '../src/audit/jobs/anomaly-review.js';
import type { LookupRecord } from '../src/audit/audit-record.js';
import { lookupDetails } from './helpers/audit-records.js';
import { createAuditWriter, verifyAuditChain } from '../src/audit/audit-writer.js';
import { importSorSnapshot } from '../src/directory/sor-import.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { NJ, NORTH_JUTLAND_XML, sorInput } from './helpers/sor-files.js';

const AALBORG_IDP = 'https://idp.aalborg.example';
const child = (i: number) => `${String(10000 + i).padStart(6, '0')}4000`;

const lookup = (o: { user: string; org: string; at: Date; cpr: string; outcome?: LookupRecord['outcome']; name?: string }): LookupRecord => ({
  kind: 'lookup',
  outcome: o.outcome ?? 'success',
  occurredAt: o.at,
  requestId: null,
  actor: { issuer: AALBORG_IDP, subject: o.user, displayName: o.name ?? null, role: 'caseworker', organisationSor: o.org, assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: 'Bekymring for barnet',
  patientCpr: o.cpr,
  details: lookupDetails(),
});

/** The scenario, relative to `t0` (a Copenhagen day start): what each rule must and must not flag. */
function scenario(t0: Date): LookupRecord[] {
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
  const events: LookupRecord[] = [];
  // (a) 31 distinct children on one Copenhagen day, the first 20 before UTC midnight: flagged.
  for (let i = 0; i < 31; i += 1) events.push(lookup({ user: 'heavy', name: 'Karen Holm', org: NJ.aalborgPpr, at: at(i < 20 ? 30 : 600 + i), cpr: child(i) }));
  // 30 distinct children (the limit), 5 of them twice: not flagged.
  for (let i = 0; i < 35; i += 1) events.push(lookup({ user: 'busy', org: NJ.aalborgPpr, at: at(60 + i), cpr: child(100 + (i % 30)) }));
  // (b) 6 denials in one clock hour: flagged; 5 in the next hour and 3 in the one after: not.
  for (let i = 0; i < 6; i += 1) events.push(lookup({ user: 'denied', org: NJ.aalborgFamily, at: at(180 + i), cpr: child(200), outcome: 'denied' }));
  for (let i = 0; i < 5; i += 1) events.push(lookup({ user: 'denied', org: NJ.aalborgFamily, at: at(240 + i), cpr: child(200), outcome: 'denied' }));
  for (let i = 0; i < 3; i += 1) events.push(lookup({ user: 'denied', org: NJ.aalborgFamily, at: at(300 + i), cpr: child(200), outcome: 'denied' }));
  // (c) one child from 5 organisations within the day: flagged, once per organisation; another from 4: not.
  for (const org of [NJ.aalborgPpr, NJ.aalborgFamily, NJ.aalborgHealth, NJ.teamAalborg, NJ.hjorringKommune]) events.push(lookup({ user: `c-${org}`, org, at: at(420), cpr: child(300) }));
  for (const org of [NJ.aalborgPpr, NJ.aalborgFamily, NJ.aalborgHealth, NJ.teamAalborg]) events.push(lookup({ user: `d-${org}`, org, at: at(420), cpr: child(301) }));
  return events;
}

describe.each(databaseKinds())('anomaly rules on %s', (kind) => {
  let database: DatabaseHandle;
  // 2 December 2026, 00:00 Copenhagen.
  const t0 = new Date('2026-12-01T23:00:00Z');
  const now = new Date('2026-12-03T10:00:00Z');
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const writer = createAuditWriter(database.db);
    for (const e of scenario(t0)) await writer.write(e);
  });
  afterAll(async () => database?.close());

  it('flags what each rule must, and nothing below its limit', async () => {
    const run = await runAnomalyRules(database.db, DEFAULT_ANOMALY_RULES, now);
    const flags = await database.db.selectFrom('anomaly_flag').selectAll().orderBy('seq').execute();
    expect(run.flagged).toHaveLength(flags.length);
    const seen = flags.map((f) => [f.rule, f.subject_user, f.organisation_sor, f.audit_event_ids.length]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['distinct-children-per-day', 'heavy', NJ.aalborgPpr, 31],
        ['denials-per-hour', 'denied', NJ.aalborgFamily, 6],
        ...[NJ.aalborgPpr, NJ.aalborgFamily, NJ.aalborgHealth, NJ.teamAalborg, NJ.hjorringKommune].map((org) => ['organisations-per-child', null, org, 1]),
      ]),
    );
    // (d) The lookups before 07:00 on a Wednesday, per user and day; Karen Holm's 11 after 07:00 are not.
    const offHours = flags.filter((f) => f.rule === 'off-hours').map((f) => [f.subject_user, f.audit_event_ids.length]);
    expect(offHours).toEqual(expect.arrayContaining([['heavy', 20], ['busy', 35], ['denied', 14]]));
    expect(offHours).toHaveLength(3);
    expect(flags).toHaveLength(10);
    const heavy = flags.find((f) => f.subject_user === 'heavy');
    expect(heavy?.explanation).toBe(`Bruger Karen Holm hos ${NJ.aalborgPpr} slog 31 forskellige børn op den 2. december 2026 (grænse 30).`);
    expect(heavy?.period_start.toISOString()).toBe(t0.toISOString());
    // No explanation names a child.
    const cprs = new Set(scenario(t0).map((e) => e.patientCpr as string));
    // Nor does a flag's dedupe key hold one, or a hash of one.
    for (const f of flags) for (const cpr of cprs) expect(`${f.explanation} ${f.dedupe_key}`).not.toContain(cpr);
    for (const f of flags) expect(f.dedupe_key).not.toMatch(/[0-9a-f]{32}(?![0-9a-f-])/);
  });

  it('flags nothing twice on a rerun', async () => {
    const again = await runAnomalyRules(database.db, DEFAULT_ANOMALY_RULES, now);
    expect(again.found).toBe(10);
    expect(again.flagged).toEqual([]);
  });

  it('runs as an hourly job whose reruns store nothing twice', async () => {
    const job = anomalyReviewJob({ db: database.db, rules: { ...DEFAULT_ANOMALY_RULES, lookbackHours: 24 * 365 }, everyMinutes: 60 });
    expect(job.schedule.cron).toBe('*/60 * * * *');
    expect(await job.handle({}, { id: 'j1' })).toEqual({ found: 10, flagged: 0 });
  });

  it('follows its configuration, and looks only as far back as told', async () => {
    const stricter = await runAnomalyRules(database.db, { ...DEFAULT_ANOMALY_RULES, distinctChildrenPerDay: 29 }, now);
    expect(stricter.flagged).toHaveLength(1);
    const late = await runAnomalyRules(database.db, { ...DEFAULT_ANOMALY_RULES, lookbackHours: 1 }, now);
    expect(late.found).toBe(0);
    // Around the clock for the family department: its off-hours flag is not found again.
    const exempt = await runAnomalyRules(database.db, { ...DEFAULT_ANOMALY_RULES, offHoursExempt: [NJ.aalborgFamily] }, now);
    expect(exempt.found).toBe(9);
    const wider = await runAnomalyRules(database.db, { ...DEFAULT_ANOMALY_RULES, workingHours: { start: 0, end: 24 } }, now);
    expect(wider.found).toBe(7);
  });
});

describe.each(databaseKinds())('anomaly review over HTTP on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let aalborgIdp: TestIssuer;
  let hjorringIdp: TestIssuer;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await importSorSnapshot(database.db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
    aalborgIdp = await createTestIssuer({ issuer: AALBORG_IDP, organisations: [NJ.aalborgKommune] });
    hjorringIdp = await createTestIssuer({ issuer: 'https://idp.hjoerring.example', organisations: [NJ.hjorringKommune], alg: 'RS256' });
    // PPR Aalborg works around the clock here, so that the test does not depend on the hour it runs.
    broker = await startTestBroker({ database, issuers: [aalborgIdp, hjorringIdp], env: { BROKER_ANOMALY_OFF_HOURS_EXEMPT: NJ.aalborgPpr } });
    const writer = createAuditWriter(database.db);
    // Within the lookback window of an on-demand run: 31 children by an Aalborg PPR user.
    const start = new Date(Date.now() - 3 * 3600_000);
    for (let i = 0; i < 31; i += 1) await writer.write(lookup({ user: 'heavy', org: NJ.aalborgPpr, at: new Date(start.getTime() + i * 1000), cpr: child(i) }));
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  // A token is good once (replay guard): each call mints a fresh one.
  type Mint = () => Promise<string>;
  const auditor = (issuer: TestIssuer, org: string): Mint => () => issuer.token({ organisationSor: org, role: 'auditor', subject: `auditor-${org}`, purposeOfUse: 'quality-assurance' });
  const call = async (mint: Mint, method: string, path: string, body?: unknown) =>
    broker.request(path, { method, headers: { authorization: `Bearer ${await mint()}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

  it("lets Aalborg's auditor run the rules, see the flag and decide it, and writes the decision to the audit chain", async () => {
    const token = auditor(aalborgIdp, NJ.aalborgKommune);
    const run = await call(token, 'POST', '/v1/audit/anomalies/run');
    expect(run.status).toBe(200);
    expect(await run.json()).toEqual({ flagged: 1 });
    const list = await call(token, 'GET', '/v1/audit/anomalies?status=open');
    const page = (await list.json()) as { items: { id: string; rule: string; explanation: string }[] };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.rule).toBe('distinct-children-per-day');
    const id = page.items[0]?.id as string;
    const decided = await call(token, 'POST', `/v1/audit/anomalies/${id}/decision`, { decision: 'needs-follow-up', comment: 'Spørg lederen om travl dag' });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ id, status: 'needs-follow-up', decision: { comment: 'Spørg lederen om travl dag' } });
    const review = await database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'anomaly-review').execute();
    expect(review).toHaveLength(1);
    expect(review[0]).toMatchObject({ actor_organisation: NJ.aalborgKommune, reason: 'Spørg lederen om travl dag', patient_cpr: null });
    expect(review[0]?.details).toMatchObject({ flagId: id, decision: 'needs-follow-up', previousStatus: 'open' });
    expect((await verifyAuditChain(database.db, 100)).ok).toBe(true);
    expect(((await (await call(token, 'GET', '/v1/audit/anomalies?status=open')).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("hides Aalborg's flags from Hjørring's auditor (404 on deciding, as for an unknown id) and refuses a clinician (403)", async () => {
    const flag = await database.db.selectFrom('anomaly_flag').select(['id', 'status']).executeTakeFirstOrThrow();
    const other = auditor(hjorringIdp, NJ.hjorringKommune);
    const run = await call(other, 'POST', '/v1/audit/anomalies/run');
    expect(await run.json()).toEqual({ flagged: 0 });
    const list = await call(other, 'GET', '/v1/audit/anomalies');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    const decide = await call(other, 'POST', `/v1/audit/anomalies/${flag.id}/decision`, { decision: 'justified', comment: 'Ser fint ud herfra' });
    expect(decide.status).toBe(404);
    const unknown = await call(other, 'POST', `/v1/audit/anomalies/${crypto.randomUUID()}/decision`, { decision: 'justified', comment: 'Ser fint ud herfra' });
    expect(unknown.status).toBe(404);
    const shape = ({ type, title, status, detail }: Record<string, unknown>) => ({ type, title, status, detail });
    expect(shape((await decide.json()) as Record<string, unknown>)).toEqual(shape((await unknown.json()) as Record<string, unknown>));
    const clinician: Mint = () => aalborgIdp.token({ organisationSor: NJ.aalborgPpr, role: 'clinician', subject: 'clinician-1' });
    for (const [method, path] of [['GET', '/v1/audit/anomalies'], ['POST', '/v1/audit/anomalies/run'], ['POST', `/v1/audit/anomalies/${flag.id}/decision`]] as const) {
      const r = await call(clinician, method, path, method === 'POST' && path.endsWith('decision') ? { decision: 'justified', comment: 'Ser fint ud herfra' } : undefined);
      expect(r.status).toBe(403);
    }
    const after = await database.db.selectFrom('anomaly_flag').select(['status']).where('id', '=', flag.id).executeTakeFirstOrThrow();
    expect(after.status).toBe(flag.status);
    expect(await database.db.selectFrom('audit_event').select('seq').where('kind', '=', 'anomaly-review').execute()).toHaveLength(1);
  });
});
