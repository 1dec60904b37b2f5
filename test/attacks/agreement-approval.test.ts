/**
 * Attacks on two-party approval, over real HTTP with tokens from each organisation's own
 * identity provider (Læsø Kommune, Aalborg Kommune, Region Nordjylland).
 *
 * The reported case: an agreement-admin of Læsø Kommune drafted an agreement between Læsø's
 * family department and PPR Aalborg, named Læsø as approver on both sides, approved twice, and
 * PPR Aalborg answered Læsø's lookups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import type { DecisionRequest } from '../../src/agreements/decision.js';
import { createDraft } from '../../src/agreements/lifecycle.js';
import { toTerms } from '../../src/agreements/schemas.js';
import { insertAgreement } from '../../src/agreements/store.js';
import { NJ, eventually, expectProblem, seedNorthJutland, terms } from '../helpers/agreements.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { createTestIssuer, type TestIssuer } from '../helpers/issuers.js';

const LAESOE = '9520511000016001';
const LAESOE_PPR = '9520541000016004';
const LAESOE_FAMILY = '9520551000016005';
const HOSPITAL = '9500021000016002'; // Aalborg Universitetshospital, owned by the region
const GP_AREA = { kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } } as const;

type Role = 'agreement-admin' | 'auditor' | 'clinician' | 'caseworker';
interface Body {
  id: string;
  status: string;
  etag: string;
  inForceVersion: number | null;
  pendingVersion: number | null;
  versions: { version: number; status: string; approvals: { side: string; actingForSor: string }[] }[];
}

describe.each(databaseKinds())('attack: approving agreements on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let laesoe: TestIssuer;
  let aalborg: TestIssuer;
  let region: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedNorthJutland(database);
    laesoe = await createTestIssuer({ issuer: 'https://idp.laesoe.test', organisations: [LAESOE] });
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.test', organisations: [NJ.aalborg] });
    region = await createTestIssuer({ issuer: 'https://idp.rn.test', organisations: [NJ.region] });
    broker = await startTestBroker({ database, issuers: [laesoe, aalborg, region] });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  async function call(
    issuer: TestIssuer,
    org: string,
    method: string,
    path: string,
    body?: unknown,
    options: { role?: Role; subject?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const token = await issuer.token({ organisationSor: org, role: options.role ?? 'agreement-admin', subject: options.subject ?? `admin@${org}` });
    return broker.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...options.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function ok(response: Response, status = 200): Promise<Body> {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    return JSON.parse(text) as Body;
  }
  const approve = (issuer: TestIssuer, org: string, id: string, version: number, subject?: string) =>
    call(issuer, org, 'POST', `/v1/agreements/${id}/approve`, { version }, subject ? { subject } : {});
  const decide = (r: DecisionRequest) => broker.broker.agreements.decide(r);
  const laesoeAsksAalborgPpr = (): DecisionRequest => ({
    caller: { organisationSor: LAESOE_FAMILY, role: 'caseworker', assurance: 'substantial', purpose: 'child-welfare-concern' },
    action: 'case-existence',
    targetSor: NJ.aalborgPpr,
    at: new Date(),
  });

  const laesoeBoth = () =>
    terms({
      title: 'Læsø approves for Aalborg',
      sideA: { parties: [{ kind: 'unit', sor: LAESOE_FAMILY }], approvingOrganisationSor: LAESOE },
      sideB: { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: LAESOE },
    });

  it("refuses Læsø naming itself approver of PPR Aalborg's side, and never lets it approve that side", async () => {
    const refused = await expectProblem(await call(laesoe, LAESOE, 'POST', '/v1/agreements', laesoeBoth()), 422, 'agreement-invalid');
    expect(refused.issues).toEqual([expect.objectContaining({ code: 'approver-not-authorised', side: 'b', sor: LAESOE })]);

    // A draft like it written before the rule existed: still no second approval, no access.
    const legacy = createDraft('6f1c7c1e-0000-4000-8000-00000000a001', toTerms(laesoeBoth() as Parameters<typeof toTerms>[0]));
    const pending = { ...legacy, versions: legacy.versions.map((v) => ({ ...v, status: 'awaiting-approval' as const })) };
    await insertAgreement(database.db, pending, new Date());
    await ok(await approve(laesoe, LAESOE, pending.id, 1));
    await expectProblem(await approve(laesoe, LAESOE, pending.id, 1), 403, 'approval-not-allowed');
    const after = await ok(await call(laesoe, LAESOE, 'GET', `/v1/agreements/${pending.id}`, undefined, { role: 'auditor' }));
    expect(after.status).toBe('awaiting-approval');
    expect(after.versions[0]?.approvals.map((a) => a.side)).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 200));
    expect(decide(laesoeAsksAalborgPpr()).effect).toBe('deny');
  });

  it('names, at start, an agreement in force whose approvals the rule would refuse (made before it)', async () => {
    // As the reported agreement stood: active, Læsø's approval on both sides.
    const legacy = createDraft('6f1c7c1e-0000-4000-8000-00000000a002', toTerms(laesoeBoth() as Parameters<typeof toTerms>[0]));
    const approvals = (['a', 'b'] as const).map((side) => ({ side, approvedBy: 'https://idp.laesoe.test#admin', actingForSor: LAESOE, approvedAt: '2026-11-30T10:00:00Z', version: 1 }));
    await insertAgreement(database.db, { ...legacy, versions: legacy.versions.map((v) => ({ ...v, status: 'active' as const, approvals })) }, new Date());
    const restarted = await startTestBroker({ database, issuers: [laesoe, aalborg, region] });
    try {
      const warning = restarted.logs.map((l) => JSON.parse(l) as { msg: string; agreements?: { id: string }[] }).find((l) => l.msg.startsWith('agreements in force whose approvals'));
      expect(warning?.agreements).toEqual([{ id: legacy.id, version: 1 }]);
    } finally {
      await restarted.close();
    }
    // An administrator of Aalborg, who sees it, can revoke it.
    const revoked = await ok(await call(aalborg, NJ.aalborg, 'POST', `/v1/agreements/${legacy.id}/revoke`, { reason: 'approved by Læsø alone' }));
    expect(revoked.status).toBe('revoked');
  });

  it("refuses a side that mixes another municipality's unit under one approver", async () => {
    const mixed = terms({
      title: 'Læsø and Aalborg PPR, approved by Læsø',
      sideA: { parties: [{ kind: 'unit', sor: LAESOE_FAMILY }], approvingOrganisationSor: LAESOE },
      sideB: { parties: [{ kind: 'unit', sor: LAESOE_PPR }, { kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: LAESOE },
    });
    const body = await expectProblem(await call(laesoe, LAESOE, 'POST', '/v1/agreements', mixed), 422, 'agreement-invalid');
    expect(body.issues).toEqual([expect.objectContaining({ code: 'approver-not-authorised', side: 'b' })]);
    // Nor can a region approve for a municipality's unit.
    const regionForAalborg = terms({ sideB: { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: NJ.region } });
    await expectProblem(await call(region, NJ.region, 'POST', '/v1/agreements', regionForAalborg), 422, 'agreement-invalid');
  });

  it("does not let an amendment by one side change who approves for the other side", async () => {
    const original = terms({
      title: 'Læsø family and PPR Aalborg',
      sideA: { parties: [{ kind: 'unit', sor: LAESOE_FAMILY }], approvingOrganisationSor: LAESOE },
      sideB: { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: NJ.aalborg },
      purposes: ['child-welfare-concern'],
    });
    const created = await ok(await call(laesoe, LAESOE, 'POST', '/v1/agreements', original), 201);
    await ok(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${created.id}/submit`));
    await ok(await approve(laesoe, LAESOE, created.id, 1));
    const active = await ok(await approve(aalborg, NJ.aalborg, created.id, 1));
    expect(active.status).toBe('active');
    await eventually(() => expect(decide(laesoeAsksAalborgPpr()).effect).toBe('permit'));

    // Læsø rewrites side B's approver to itself: refused outright.
    const toSelf = { ...original, sideB: { ...original.sideB, approvingOrganisationSor: LAESOE } };
    await expectProblem(
      await call(laesoe, LAESOE, 'PUT', `/v1/agreements/${created.id}`, toSelf, { headers: { 'If-Match': active.etag } }),
      422,
      'agreement-invalid',
    );
    // Læsø widens the purposes and moves side B's approval to the PPR unit itself.
    const wider = { ...original, purposes: ['child-welfare-concern', 'case-assessment'], sideB: { ...original.sideB, approvingOrganisationSor: NJ.aalborgPpr } };
    const amended = await ok(await call(laesoe, LAESOE, 'PUT', `/v1/agreements/${created.id}`, wider, { headers: { 'If-Match': active.etag } }));
    expect(amended).toMatchObject({ inForceVersion: 1, pendingVersion: 2 });
    // Version 1's approvals do not carry over to version 2.
    expect(amended.versions.find((v) => v.version === 2)?.approvals).toEqual([]);
    await ok(await approve(laesoe, LAESOE, created.id, 2));
    // The newly named approver alone cannot accept the change: Aalborg Kommune, who approved for side B, must.
    await expectProblem(await approve(aalborg, NJ.aalborgPpr, created.id, 2), 403, 'approval-not-allowed');
    const still = await ok(await call(aalborg, NJ.aalborg, 'GET', `/v1/agreements/${created.id}`, undefined, { role: 'auditor' }));
    expect(still).toMatchObject({ status: 'active', inForceVersion: 1, pendingVersion: 2 });
    expect(decide({ ...laesoeAsksAalborgPpr(), caller: { ...laesoeAsksAalborgPpr().caller, purpose: 'case-assessment' } }).effect).toBe('deny');
    const done = await ok(await approve(aalborg, NJ.aalborg, created.id, 2));
    expect(done).toMatchObject({ status: 'active', inForceVersion: 2, pendingVersion: null });
  });

  it('does not let one organisation, or one person, approve both sides, even where it owns both', async () => {
    const both = terms({
      title: 'Region on both sides',
      sideA: { parties: [{ kind: 'subtree', sor: NJ.childPsychiatry }], approvingOrganisationSor: NJ.region },
      sideB: { parties: [GP_AREA], approvingOrganisationSor: NJ.region },
    });
    const one = await ok(await call(region, NJ.region, 'POST', '/v1/agreements', both), 201);
    await ok(await call(region, NJ.region, 'POST', `/v1/agreements/${one.id}/submit`));
    await ok(await approve(region, NJ.region, one.id, 1));
    await expectProblem(await approve(region, NJ.region, one.id, 1), 403, 'approval-not-allowed');
    // Even by a colleague at the same organisation.
    await expectProblem(await approve(region, NJ.region, one.id, 1, 'colleague@region'), 403, 'approval-not-allowed');

    // The hospital approves for its psychiatry, the region for the GP area: two organisations,
    // but the same person acting for both is still one person.
    const split = terms({
      title: 'Hospital and region',
      sideA: { parties: [{ kind: 'subtree', sor: NJ.childPsychiatry }], approvingOrganisationSor: HOSPITAL },
      sideB: { parties: [GP_AREA], approvingOrganisationSor: NJ.region },
    });
    const two = await ok(await call(region, NJ.region, 'POST', '/v1/agreements', split), 201);
    await ok(await call(region, NJ.region, 'POST', `/v1/agreements/${two.id}/submit`));
    await ok(await approve(region, NJ.region, two.id, 1, 'same-person'));
    await expectProblem(await approve(region, HOSPITAL, two.id, 1, 'same-person'), 403, 'approval-not-allowed');
    const done = await ok(await approve(region, HOSPITAL, two.id, 1, 'hospital-admin'));
    expect(done.status).toBe('active');
    expect(done.versions[0]?.approvals.map((a) => [a.side, a.actingForSor])).toEqual([['b', NJ.region], ['a', HOSPITAL]]);
  });

  it('does not let one side resume what the other side suspended; either side may suspend or revoke alone', async () => {
    const t = terms({
      title: 'Læsø family and PPR Aalborg (suspension)',
      sideA: { parties: [{ kind: 'unit', sor: LAESOE_FAMILY }], approvingOrganisationSor: LAESOE },
      sideB: { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: NJ.aalborg },
      purposes: ['referral'],
    });
    const referral = { ...laesoeAsksAalborgPpr(), caller: { ...laesoeAsksAalborgPpr().caller, purpose: 'referral' as const } };
    const created = await ok(await call(laesoe, LAESOE, 'POST', '/v1/agreements', t), 201);
    await ok(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${created.id}/submit`));
    await ok(await approve(laesoe, LAESOE, created.id, 1));
    await ok(await approve(aalborg, NJ.aalborg, created.id, 1));
    await eventually(() => expect(decide({ ...referral, at: new Date() })).toMatchObject({ effect: 'permit', agreements: [{ id: created.id }] }));
    // Aalborg suspends while it reviews Læsø's lookups; Læsø cannot lift that.
    await ok(await call(aalborg, NJ.aalborg, 'POST', `/v1/agreements/${created.id}/suspend`, { reason: 'review of lookups' }));
    await expectProblem(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${created.id}/resume`, {}), 403, 'approval-not-allowed');
    await eventually(() => expect(decide({ ...referral, at: new Date() }).effect).toBe('deny'));
    // An owner above Aalborg's approving organisation is Aalborg's side too; here Aalborg itself resumes.
    await ok(await call(aalborg, NJ.aalborg, 'POST', `/v1/agreements/${created.id}/resume`, {}));
    const revoked = await ok(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${created.id}/revoke`, { reason: 'ended by Læsø' }));
    expect(revoked.status).toBe('revoked');
  });

  it('does not let a sibling unit approve (it does not even see the agreement), nor one issuer speak for another party', async () => {
    const t = terms({
      title: 'Læsø family and PPR Aalborg (guards)',
      sideA: { parties: [{ kind: 'unit', sor: LAESOE_FAMILY }], approvingOrganisationSor: LAESOE },
      sideB: { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: NJ.aalborg },
    });
    const created = await ok(await call(laesoe, LAESOE, 'POST', '/v1/agreements', t), 201);
    await ok(await call(laesoe, LAESOE, 'POST', `/v1/agreements/${created.id}/submit`));
    // Læsø's PPR is a sibling of the family department, under the same owner: neither party nor
    // owner, so the agreement is not there for it (before: 403, telling it the agreement exists).
    await expectProblem(await approve(laesoe, LAESOE_PPR, created.id, 1), 404, 'agreement-not-found');
    // Læsø's identity provider asserting that its user acts for Aalborg Kommune (held before too).
    await expectProblem(await approve(laesoe, NJ.aalborg, created.id, 1), 403, 'organisation-out-of-issuer-scope');
    const body = await ok(await call(aalborg, NJ.aalborg, 'GET', `/v1/agreements/${created.id}`, undefined, { role: 'auditor' }));
    expect(body.versions[0]?.approvals).toEqual([]);
  });
});
