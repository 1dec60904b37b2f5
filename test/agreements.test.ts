/**
 * The agreement administration API over real HTTP with real tokens: lifecycle, two-party
 * approval, refusals, optimistic locking, and what each change does to the access decision.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { expireAgreementsJob } from '../src/agreements/jobs/expire-agreements.js';
import { createAgreementService } from '../src/agreements/service.js';
import { verifyAuditChain } from '../src/audit/audit-writer.js';
import type { DecisionRequest } from '../src/agreements/decision.js';
import { createMemoryDirectoryView } from '../src/directory/memory-view.js';
import { createLogger } from '../src/logging/logger.js';
import { createChangeFeed } from '../src/platform/change-feed.js';
import type { Organisation } from '../src/directory/model.js';
import { NJ, UNKNOWN_SOR, client, eventually, expectProblem, nationalIssuer, seedNorthJutland, terms } from './helpers/agreements.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import type { TestIssuer } from './helpers/issuers.js';

const psychiatryToPpr = (purpose: DecisionRequest['caller']['purpose'] = 'coordinated-care', at = new Date()): DecisionRequest => ({
  caller: { organisationSor: NJ.teamAalborg, role: 'clinician', assurance: 'substantial', purpose },
  action: 'case-existence',
  targetSor: NJ.aalborgPpr,
  at,
});

describe.each(databaseKinds())('agreement administration on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let issuer: TestIssuer;
  let orgs: Organisation[];
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    orgs = await seedNorthJutland(database);
    issuer = await nationalIssuer(orgs);
    broker = await startTestBroker({ database, issuers: [issuer] });
    api = client(broker, issuer);
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const decide = (r: DecisionRequest) => broker.broker.agreements.decide(r);
  /** Create, submit and approve by the region (side A) and `sideB` (side B's approving organisation). */
  const activateWith = async (sideB: string, t: unknown) => {
    const c = await api.create(NJ.region, t);
    await api.submit(NJ.region, c.id);
    await api.approve(NJ.region, c.id, 1);
    return api.approve(sideB, c.id, 1);
  };

  it('creates, submits and activates an agreement once both sides approved; then the decision permits', async () => {
    const created = await api.create(NJ.region, terms({ title: 'Lifecycle' }));
    expect(created).toMatchObject({ status: 'draft', etag: '"1"', pendingVersion: 1, inForceVersion: null });
    const submitted = await api.submit(NJ.region, created.id);
    expect(submitted.status).toBe('awaiting-approval');

    const half = await api.approve(NJ.region, created.id, 1);
    expect(half.status).toBe('awaiting-approval');
    expect(half.versions[0]?.approvals).toEqual([expect.objectContaining({ side: 'a', actingForSor: NJ.region })]);
    await eventually(() => expect(decide(psychiatryToPpr())).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] }));

    const active = await api.approve(NJ.aalborg, created.id, 1);
    expect(active).toMatchObject({ status: 'active', inForceVersion: 1, pendingVersion: null });
    await eventually(() =>
      expect(decide(psychiatryToPpr())).toEqual({ effect: 'permit', agreements: [{ id: created.id, version: 1 }], dataElements: ['case-existence'] }),
    );
    // The other direction too (mutual), from PPR to a team in the psychiatry subtree.
    expect(decide({ ...psychiatryToPpr(), caller: { ...psychiatryToPpr().caller, organisationSor: NJ.aalborgPpr, role: 'caseworker' }, targetSor: NJ.teamHjoerring }).effect).toBe('permit');

    const fetched = await api.call('GET', `/v1/agreements/${created.id}`, { org: NJ.aalborg, role: 'auditor' });
    expect(fetched.headers.get('etag')).toBe(active.etag);
  });

  it('refuses approval by an administrator of an organisation that is not a party (404: not there for it)', async () => {
    const created = await api.create(NJ.region, terms({ title: 'Not yours' }));
    await api.submit(NJ.region, created.id);
    const body = await expectProblem(await api.call('POST', `/v1/agreements/${created.id}/approve`, { org: NJ.hjoerring }, { version: 1 }), 404, 'agreement-not-found');
    expect(JSON.stringify(body)).not.toContain(NJ.hjoerring);
    // A unit below the approving organisation is not its administrator either.
    await expectProblem(await api.call('POST', `/v1/agreements/${created.id}/approve`, { org: NJ.aalborgPpr }, { version: 1 }), 403, 'approval-not-allowed');
    expect((await api.get(created.id)).versions[0]?.approvals).toEqual([]);
  });

  it("accepts approval by the institution owner above a side's approving organisation", async () => {
    const health = '9520021000016002'; // Aalborg Kommune, Sundhed og Omsorg, owned by Aalborg Kommune
    const sideB = { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: health };
    const created = await api.create(NJ.region, terms({ title: 'Owner approves', sideB }));
    await api.submit(NJ.region, created.id);
    await api.approve(NJ.region, created.id, 1);
    const done = await api.approve(NJ.aalborg, created.id, 1);
    expect(done.status).toBe('active');
    expect(done.versions[0]?.approvals.map((a) => [a.side, a.actingForSor])).toEqual([['a', NJ.region], ['b', NJ.aalborg]]);
  });

  it('refuses an administrator creating an agreement between other organisations (deny by default)', async () => {
    const t = terms({ sideA: { parties: [{ kind: 'unit', sor: NJ.hjoerringPpr }], approvingOrganisationSor: NJ.hjoerring } });
    await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.gpOwner }, t), 403, 'agreement-not-party');
  });

  it('refuses writes without the agreement-admin role; auditors may read', async () => {
    await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region, role: 'clinician' }, terms()), 403, 'forbidden-role');
    await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region, role: 'auditor' }, terms()), 403, 'forbidden-role');
    await expectProblem(await api.call('GET', '/v1/agreements', { org: NJ.region, role: 'clinician' }), 403, 'forbidden-role');
    expect((await api.call('GET', '/v1/agreements', { org: NJ.region, role: 'auditor' })).status).toBe(200);
  });

  it('refuses approval of a superseded version (409)', async () => {
    const created = await api.create(NJ.region, terms({ title: 'Superseded' }));
    const submitted = await api.submit(NJ.region, created.id);
    const edited = await api.ok(
      await api.call('PUT', `/v1/agreements/${created.id}`, { org: NJ.region }, terms({ title: 'Superseded, reworded' }), { 'If-Match': submitted.etag }),
    );
    expect(edited.versions.map((v) => [v.version, v.status])).toEqual([[1, 'superseded'], [2, 'awaiting-approval']]);
    await expectProblem(await api.call('POST', `/v1/agreements/${created.id}/approve`, { org: NJ.aalborg }, { version: 1 }), 409, 'version-superseded');
    await expectProblem(await api.call('POST', `/v1/agreements/${created.id}/approve`, { org: NJ.aalborg }, { version: 9 }), 404, 'version-not-found');
    expect((await api.approve(NJ.aalborg, created.id, 2)).versions[1]?.approvals).toHaveLength(1);
  });

  it('requires If-Match on PUT (428) and refuses a stale one (412)', async () => {
    const created = await api.create(NJ.region, terms({ title: 'Concurrent' }));
    const path = `/v1/agreements/${created.id}`;
    await expectProblem(await api.call('PUT', path, { org: NJ.region }, terms({ title: 'No precondition' })), 428, 'precondition-required');
    // Two administrators read the same ETag; the first write wins, the second gets 412.
    const first = await api.call('PUT', path, { org: NJ.region }, terms({ title: 'First edit' }), { 'If-Match': created.etag });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await api.call('PUT', path, { org: NJ.aalborg }, terms({ title: 'Second edit' }), { 'If-Match': created.etag });
    const problem = await expectProblem(stale, 412, 'precondition-failed');
    expect(problem.detail).toMatch(/changed since you read it/);
    expect((await api.get(created.id)).versions[0]).toMatchObject({ version: 1, status: 'draft' });
    expect((await api.get(created.id)).versions).toHaveLength(1);
    // Truly concurrent writes with the same ETag: exactly one wins.
    const current = await api.get(created.id);
    const racing = await Promise.all(
      ['Race A', 'Race B', 'Race C'].map((title) => api.call('PUT', path, { org: NJ.region }, terms({ title }), { 'If-Match': current.etag })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    // A stale If-Match on a command is refused as well.
    await expectProblem(await api.call('POST', `${path}/submit`, { org: NJ.region }, undefined, { 'If-Match': created.etag }), 412, 'precondition-failed');
  });

  it('refuses unknown and closed SOR codes, naming the code', async () => {
    const unknown = terms({ sideB: { parties: [{ kind: 'unit', sor: UNKNOWN_SOR }], approvingOrganisationSor: NJ.aalborg } });
    const body = await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region }, unknown), 422, 'agreement-invalid');
    expect(body.issues).toEqual([expect.objectContaining({ code: 'unknown-organisation', sor: UNKNOWN_SOR, side: 'b' })]);

    const closed = terms({ sideA: { parties: [{ kind: 'unit', sor: NJ.teamFrederikshavnClosed }], approvingOrganisationSor: NJ.region } });
    const closedBody = await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region }, closed), 422, 'agreement-invalid');
    expect(closedBody.issues).toEqual([expect.objectContaining({ code: 'organisation-closed', sor: NJ.teamFrederikshavnClosed })]);
    expect(String(closedBody.detail)).toContain(NJ.teamFrederikshavnClosed);
  });

  it('refuses a period that ends before it starts', async () => {
    const body = await expectProblem(
      await api.call('POST', '/v1/agreements', { org: NJ.region }, terms({ validFrom: '2026-06-01', validTo: '2026-01-01' })),
      422,
      'agreement-invalid',
    );
    expect(body.issues).toEqual([expect.objectContaining({ code: 'period-ends-before-start' })]);
    await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region }, terms({ validFrom: 'next monday' })), 400, 'validation-failed');
  });

  it('refuses an agreement with itself', async () => {
    const same = { parties: [{ kind: 'subtree', sor: NJ.childPsychiatry }], approvingOrganisationSor: NJ.region };
    const body = await expectProblem(await api.call('POST', '/v1/agreements', { org: NJ.region }, terms({ sideA: same, sideB: same })), 422, 'agreement-invalid');
    expect(body.issues).toEqual([expect.objectContaining({ code: 'agreement-with-itself' })]);
  });

  it('honours overlapping agreements and names each in the decision', async () => {
    const from = { parties: [{ kind: 'unit', sor: NJ.teamHjoerring }], approvingOrganisationSor: NJ.region };
    const to = { parties: [{ kind: 'unit', sor: NJ.hjoerringPpr }], approvingOrganisationSor: NJ.hjoerring };
    const activate = async (title: string, dataElements: string[]) => {
      const c = await api.create(NJ.region, terms({ title, sideA: from, sideB: to, dataElements }));
      await api.submit(NJ.region, c.id);
      await api.approve(NJ.region, c.id, 1);
      return api.approve(NJ.hjoerring, c.id, 1);
    };
    const one = await activate('Overlap: existence', ['case-existence']);
    const two = await activate('Overlap: contacts', ['case-existence', 'contact-details']);
    const request: DecisionRequest = {
      caller: { organisationSor: NJ.teamHjoerring, role: 'clinician', assurance: 'high', purpose: 'coordinated-care' },
      action: ['case-existence', 'contact-details'],
      targetSor: NJ.hjoerringPpr,
      at: new Date(),
    };
    await eventually(() => {
      const d = decide(request);
      expect(d.effect).toBe('permit');
      if (d.effect !== 'permit') return;
      expect(d.agreements.map((a) => a.id).sort()).toEqual([one.id, two.id].sort());
      expect(d.dataElements).toEqual(['case-existence', 'contact-details']);
    });
  });

  it('keeps the old version in force while an amendment awaits approval', async () => {
    const from = { parties: [{ kind: 'unit', sor: NJ.teamAalborg }], approvingOrganisationSor: NJ.region };
    const to = { parties: [{ kind: 'unit', sor: NJ.aalborgFamily }], approvingOrganisationSor: NJ.aalborg };
    const original = terms({ title: 'Amend me', sideA: from, sideB: to, purposes: ['treatment'] });
    const active = await api.activate(original);
    const request: DecisionRequest = {
      caller: { organisationSor: NJ.teamAalborg, role: 'clinician', assurance: 'substantial', purpose: 'treatment' },
      action: 'case-existence',
      targetSor: NJ.aalborgFamily,
      at: new Date(),
    };
    await eventually(() => expect(decide(request)).toMatchObject({ effect: 'permit', agreements: [{ id: active.id, version: 1 }] }));

    const amended = await api.ok(
      await api.call('PUT', `/v1/agreements/${active.id}`, { org: NJ.aalborg }, { ...original, purposes: ['referral'] }, { 'If-Match': active.etag }),
    );
    expect(amended).toMatchObject({ status: 'active', inForceVersion: 1, pendingVersion: 2 });
    expect(amended.versions.map((v) => v.status)).toEqual(['active', 'awaiting-approval']);
    await new Promise((r) => setTimeout(r, 300));
    expect(decide(request)).toMatchObject({ effect: 'permit', agreements: [{ id: active.id, version: 1 }] });

    await api.approve(NJ.region, active.id, 2);
    expect(decide(request).effect).toBe('permit');
    const done = await api.approve(NJ.aalborg, active.id, 2);
    expect(done.versions.map((v) => v.status)).toEqual(['superseded', 'active']);
    await eventually(() => expect(decide(request)).toMatchObject({ effect: 'deny', reasons: ['purpose-not-covered'], nearestAgreement: { id: active.id, version: 2 } }));
    expect(decide({ ...request, caller: { ...request.caller, purpose: 'referral' } })).toMatchObject({ effect: 'permit', agreements: [{ id: active.id, version: 2 }] });
  });

  it('stops permits on suspend and revoke; resume restores them; the history has who, before and after', async () => {
    const from = { parties: [{ kind: 'unit', sor: NJ.teamAalborg }], approvingOrganisationSor: NJ.region };
    const to = { parties: [{ kind: 'unit', sor: NJ.hjoerringFamily }], approvingOrganisationSor: NJ.hjoerring };
    const active = await activateWith(NJ.hjoerring, terms({ title: 'Suspend me', sideA: from, sideB: to, purposes: ['notification'] }));
    const request: DecisionRequest = { ...psychiatryToPpr('notification'), targetSor: NJ.hjoerringFamily };
    await eventually(() => expect(decide(request)).toMatchObject({ effect: 'permit', agreements: [{ id: active.id }] }));

    await api.ok(await api.call('POST', `/v1/agreements/${active.id}/suspend`, { org: NJ.hjoerring }, { reason: 'data-protection review' }));
    await eventually(() => expect(decide(request)).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] }));
    await api.ok(await api.call('POST', `/v1/agreements/${active.id}/resume`, { org: NJ.hjoerring }));
    await eventually(() => expect(decide(request).effect).toBe('permit'));
    await expectProblem(await api.call('POST', `/v1/agreements/${active.id}/revoke`, { org: NJ.region }, {}), 400, 'validation-failed');
    // Aalborg Kommune is no party: the agreement is not there for it.
    await expectProblem(await api.call('POST', `/v1/agreements/${active.id}/revoke`, { org: NJ.aalborg }, { reason: 'x' }), 404, 'agreement-not-found');
    const revoked = await api.ok(await api.call('POST', `/v1/agreements/${active.id}/revoke`, { org: NJ.region }, { reason: 'replaced by the regional agreement' }));
    expect(revoked.status).toBe('revoked');
    await eventually(() => expect(decide(request)).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] }));
    await expectProblem(await api.call('POST', `/v1/agreements/${active.id}/resume`, { org: NJ.region }), 409, 'agreement-invalid-state');

    const history = await api.ok<{ items: { action: string; actor: { issuer: string; subject: string; organisation: string }; reason: string | null; before: { status: string }[]; after: { status: string }[] }[] }>(
      await api.call('GET', `/v1/agreements/${active.id}/history`, { org: NJ.region, role: 'auditor' }),
    );
    expect(history.items.map((h) => h.action)).toEqual(['create', 'submit', 'approve', 'approve', 'suspend', 'resume', 'revoke']);
    const suspend = history.items[4];
    expect(suspend).toMatchObject({
      actor: { issuer: issuer.issuer, subject: `admin-${NJ.hjoerring}`, organisation: NJ.hjoerring },
      reason: 'data-protection review',
      before: [expect.objectContaining({ status: 'active' })],
      after: [expect.objectContaining({ status: 'suspended' })],
    });
    expect(history.items[0]?.before).toBeNull();
    expect(history.items[6]).toMatchObject({ reason: 'replaced by the regional agreement', after: [expect.objectContaining({ status: 'revoked' })] });

    // Each change is also in the tamper-evident audit chain, with who, role and the new state.
    const audited = await database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'agreement-change').where(sql<boolean>`details->>'agreementId' = ${active.id}`).orderBy('seq').execute();
    expect(audited.map((a) => (a.details as { action: string }).action)).toEqual(['create', 'submit', 'approve', 'approve', 'suspend', 'resume', 'revoke']);
    expect(audited[4]).toMatchObject({
      actor_issuer: issuer.issuer, actor_subject: `admin-${NJ.hjoerring}`, actor_organisation: NJ.hjoerring, actor_role: 'agreement-admin',
      reason: 'data-protection review', patient_cpr: null, outcome: 'success',
      details: expect.objectContaining({ after: [expect.objectContaining({ status: 'suspended' })] }),
    });
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('makes no change it cannot audit: with the audit log unavailable the change fails and nothing is written', async () => {
    const before = await database.db.selectFrom('agreement').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    await sql`alter table audit_event rename to audit_event_away`.execute(database.db);
    try {
      const response = await api.call('POST', '/v1/agreements', { org: NJ.region }, terms({ title: 'Unaudited' }));
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await sql`alter table audit_event_away rename to audit_event`.execute(database.db);
    }
    const after = await database.db.selectFrom('agreement').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    const changes = await database.db.selectFrom('agreement_change').select('id').where(sql<boolean>`after::text like '%Unaudited%'`).execute();
    expect(changes).toHaveLength(0);
  });

  it('expires an agreement at the end of its period: decisions at once, the stored status by the expiry job', async () => {
    const from = { parties: [{ kind: 'unit', sor: NJ.teamThisted }], approvingOrganisationSor: NJ.region };
    const to = { parties: [{ kind: 'unit', sor: NJ.hjoerringPpr }], approvingOrganisationSor: NJ.hjoerring };
    const endsAt = new Date(Date.now() + 1500).toISOString();
    const c = await api.create(NJ.region, terms({ title: 'Short-lived', sideA: from, sideB: to, validTo: endsAt }));
    await api.submit(NJ.region, c.id);
    await api.approve(NJ.region, c.id, 1);
    await api.approve(NJ.hjoerring, c.id, 1);
    const request: DecisionRequest = {
      caller: { organisationSor: NJ.teamThisted, role: 'clinician', assurance: 'substantial', purpose: 'coordinated-care' },
      action: 'case-existence',
      targetSor: NJ.hjoerringPpr,
      at: new Date(),
    };
    await eventually(() => expect(decide({ ...request, at: new Date() }).effect).toBe('permit'));
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(endsAt) - Date.now() + 20)));
    expect(decide({ ...request, at: new Date() })).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] });

    // The job as pg-boss runs it every minute, run now; a second run finds nothing left to do.
    const logger = createLogger({ level: 'silent' });
    const changes = createChangeFeed({ db: database.db, listenUrl: null, logger });
    const job = expireAgreementsJob(createAgreementService({ db: database.db, directory: { view: () => createMemoryDirectoryView(orgs) }, changes, logger }));
    expect(job.schedule).toEqual({ cron: '* * * * *', timeZone: 'Europe/Copenhagen' });
    expect(await job.handle({}, { id: 'test-1' })).toEqual({ expired: 1 });
    expect(await job.handle({}, { id: 'test-2' })).toEqual({ expired: 0 });
    const expired = await api.get(c.id);
    expect(expired).toMatchObject({ status: 'expired', inForceVersion: null });
    const history = await api.ok<{ items: { action: string; actor: { subject: string } }[] }>(
      await api.call('GET', `/v1/agreements/${c.id}/history`, { org: NJ.region, role: 'auditor' }),
    );
    expect(history.items.at(-1)).toMatchObject({ action: 'expire', actor: { subject: 'system' } });
  });

  it('answers 404 for an unknown agreement and documents the API in /openapi.json', async () => {
    await expectProblem(await api.call('GET', '/v1/agreements/00000000-0000-4000-8000-000000000000', { org: NJ.region, role: 'auditor' }), 404, 'agreement-not-found');
    const doc = (await (await broker.request('/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/agreements', '/v1/agreements/{id}', '/v1/agreements/{id}/approve', '/v1/access/explain']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['AgreementTerms', 'PartySelector', 'Agreement', 'AccessExplanation']));
  });
});
