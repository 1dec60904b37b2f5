/**
 * The citizen's side of a lookup over real HTTP with real tokens, on each database kind: consent
 * as a legal basis (the consent service simulated on loopback, speaking FHIR R4 Consent), blocks
 * (spærring) and the emergency override (værdispring), with the sources' simulators counting
 * the requests they get.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsentSimulator, type ConsentSimulator } from '../adapters/simulators/consent-simulator.js';
import type { ConsentResourceInput } from '../adapters/consent/index.js';
import { insertAgreement } from '../src/agreements/store.js';
import type { AgreementRecord } from '../src/agreements/model.js';
import { DEFAULT_ANOMALY_RULES, runAnomalyRules } from '../src/audit/anomaly.js';
import { insertBlock } from '../src/citizen/blocks-store.js';
import type { BlockTarget } from '../src/citizen/blocks-rule.js';
import { expectProblem } from './helpers/agreements.js';
import { databaseKinds } from './helpers/database.js';
import type { TestIssuer } from './helpers/issuers.js';
import { CHILDREN, NJ, type LookupAnswer, type LookupWorld, startLookupWorld } from './helpers/lookup-world.js';

const CONSENT_AGREEMENT = '7d1e0c4a-1b2c-4d3e-8f40-5a6b7c8d9e01';

/** Sundhedsplejen Aalborg may look up child psychiatry, resting on the parents' consent. */
function consentAgreement(): AgreementRecord {
  return {
    id: CONSENT_AGREEMENT,
    versions: [
      {
        id: CONSENT_AGREEMENT,
        version: 1,
        status: 'active',
        amends: null,
        title: 'Sundhedsplejen Aalborg og Børne- og Ungdomspsykiatrien (samtykke)',
        sideA: { parties: [{ kind: 'unit', sor: NJ.aalborgHealthVisitors }], approvingOrganisationSor: NJ.aalborg },
        sideB: { parties: [{ kind: 'subtree', sor: NJ.childPsychiatry }], approvingOrganisationSor: NJ.region },
        dataElements: ['case-existence', 'contact-details'],
        direction: 'a-to-b',
        purposes: ['coordinated-care', 'child-welfare-concern'],
        roles: ['clinician'],
        minimumAssurance: 'substantial',
        legalBasis: { code: 'consent-digitalt-samtykke', reference: 'Samtykke i Digitalt Samtykke' },
        period: { validFrom: '2025-01-01', validTo: null },
        approvals: [
          { side: 'a', approvedBy: 'test', actingForSor: NJ.aalborg, approvedAt: '2025-01-01T00:00:00Z', version: 1 },
          { side: 'b', approvedBy: 'test', actingForSor: NJ.region, approvedAt: '2025-01-01T00:00:00Z', version: 1 },
        ],
      },
    ],
  };
}

const consent = (id: string, over: Partial<ConsentResourceInput> = {}): ConsentResourceInput => ({
  id,
  patientCpr: CHILDREN.noah,
  givenBy: { relationship: 'custody-holder', name: 'Mette Jensen' },
  purposes: ['coordinated-care'],
  recipients: [NJ.aalborgHealthVisitors],
  custodians: [NJ.childPsychiatry],
  validFrom: '2026-01-01T00:00:00Z',
  ...over,
});

interface Caller {
  issuer: TestIssuer;
  org: string;
  role?: 'clinician' | 'caseworker';
  subject?: string;
  purpose?: string;
  assurance?: 'low' | 'substantial' | 'high';
}

describe.each(databaseKinds())("the citizen's side of lookups (%s)", (kind) => {
  let world: LookupWorld;
  let consents: ConsentSimulator;

  beforeAll(async () => {
    consents = await startConsentSimulator();
    world = await startLookupWorld(kind, { env: { CONSENT_SERVICE_URL: consents.url, CONSENT_SERVICE_TIMEOUT_MS: '2000' } });
    await insertAgreement(world.database.db, consentAgreement(), new Date());
    await world.broker.broker.agreements.refresh();
  }, 60_000);

  afterAll(async () => {
    await world?.close();
    await consents?.close();
  });

  async function post(as: Caller, body: Record<string, unknown>): Promise<Response> {
    const token = await as.issuer.token({
      organisationSor: as.org,
      role: as.role ?? 'clinician',
      purposeOfUse: as.purpose ?? 'child-welfare-concern',
      assurance: as.assurance ?? 'substantial',
      ...(as.subject ? { subject: as.subject } : {}),
    });
    return world.broker.request('/v1/lookups', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ purposeOfUse: as.purpose ?? 'child-welfare-concern', reason: 'Bekymring fra skolen', ...body }),
    });
  }
  async function lookUp(as: Caller, body: Record<string, unknown>): Promise<LookupAnswer & { sources: Array<{ overridden?: boolean }> }> {
    const response = await post(as, body);
    if (response.status !== 200) throw new Error(`lookup answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as LookupAnswer;
  }
  const sourceOf = (a: LookupAnswer, k: string) => a.sources.find((s) => s.kind === k);
  const auditRecord = (id: string) => world.database.db.selectFrom('audit_event').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const block = (target: BlockTarget, cpr: string = CHILDREN.noah) =>
    insertBlock(world.database.db, { childCpr: cpr, target, validFrom: new Date(Date.now() - 60_000), validTo: null, reason: null, createdAs: 'custody-holder', at: new Date() });
  const withdrawAll = () => world.database.db.updateTable('citizen_block').set({ withdrawn_at: new Date() }).where('withdrawn_at', 'is', null).execute();

  describe('consent as a legal basis', () => {
    const healthVisitor = (): Caller => ({ issuer: world.aalborgIdp, org: NJ.aalborgHealthVisitors, purpose: 'coordinated-care' });
    const ask = { cpr: CHILDREN.noah, organisations: [NJ.childPsychiatry], kinds: ['child-psychiatry'] };

    it('without a consent the source is denied with no-consent, and not asked', async () => {
      const before = world.simulators.requests('psychiatry');
      const answer = await lookUp(healthVisitor(), ask);
      const psychiatry = sourceOf(answer, 'child-psychiatry');
      expect(psychiatry?.status).toBe('denied');
      expect(psychiatry?.deniedBecause).toEqual(['no-consent']);
      expect(psychiatry?.reason).toContain('rests on consent');
      expect(world.simulators.requests('psychiatry')).toBe(before);
    });

    it('a consent for a purpose the agreement does not cover does not count', async () => {
      consents.give(consent('c-treatment', { purposes: ['treatment'] }));
      const answer = await lookUp(healthVisitor(), ask);
      expect(sourceOf(answer, 'child-psychiatry')?.deniedBecause).toEqual(['no-consent']);
      consents.withdraw('c-treatment');
    });

    it('a consent naming another recipient does not count', async () => {
      consents.give(consent('c-other-recipient', { recipients: [NJ.hjoerringHealthVisitors] }));
      const answer = await lookUp(healthVisitor(), ask);
      expect(sourceOf(answer, 'child-psychiatry')?.deniedBecause).toEqual(['no-consent']);
      consents.withdraw('c-other-recipient');
    });

    it('with a consent for the purpose and parties the source is asked and answers; the record names the consent', async () => {
      consents.give(consent('c-ok'));
      const answer = await lookUp(healthVisitor(), ask);
      const psychiatry = sourceOf(answer, 'child-psychiatry');
      expect(psychiatry?.status).toBe('found');
      const record = await auditRecord(answer.lookupId);
      const sources = record.details['sources'] as Array<Record<string, unknown>>;
      expect(sources.find((s) => s['kind'] === 'child-psychiatry')?.['consents']).toEqual(['c-ok']);
      expect(record.details['consentService']).toEqual({ status: 'ok', consents: expect.any(Number) });
    });

    it('a consent withdrawn while a lookup is in flight: that lookup was decided before, the next one is denied at once', async () => {
      consents.give(consent('c-inflight'));
      world.simulators.setBehaviour('psychiatry', { latencyMs: 700 });
      try {
        const searches = consents.searchCount();
        const first = lookUp(healthVisitor(), ask);
        // Withdraw as soon as the broker has asked the consent service, while psychiatry is still answering.
        const started = Date.now();
        while (consents.searchCount() === searches && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 5));
        consents.withdraw('c-inflight');
        consents.withdraw('c-ok');
        expect(sourceOf(await first, 'child-psychiatry')?.status).toBe('found');
        const second = await lookUp(healthVisitor(), ask);
        expect(sourceOf(second, 'child-psychiatry'), JSON.stringify(second.sources)).toMatchObject({ status: 'denied', deniedBecause: ['no-consent'] });
      } finally {
        world.simulators.setBehaviour('psychiatry', {});
      }
    });

    it('a consent service that does not answer leaves the source unavailable (no consent assumed)', async () => {
      consents.give(consent('c-down'));
      consents.setBehaviour({ failure: 'down' });
      try {
        const answer = await lookUp(healthVisitor(), ask);
        expect(sourceOf(answer, 'child-psychiatry')?.status).toBe('unavailable');
        expect(sourceOf(answer, 'child-psychiatry')?.reason).toContain('consent service');
      } finally {
        consents.setBehaviour({});
        consents.withdraw('c-down');
      }
    });
  });

  describe('blocks', () => {
    const gp = (over: Partial<Caller> = {}): Caller => ({ issuer: world.gpSts, org: NJ.gpKjaersgaard, subject: 'gp-anne', ...over });

    it('a blocked organisation sees its health sources as blocked, and they are not asked; other sources answer', async () => {
      await block({ kind: 'organisation', sor: NJ.gpKjaersgaardOwner });
      try {
        const psychiatryBefore = world.simulators.requests('psychiatry');
        const answer = await lookUp(gp(), { cpr: CHILDREN.noah });
        const psychiatry = sourceOf(answer, 'child-psychiatry');
        expect(psychiatry?.status).toBe('blocked');
        expect(psychiatry?.reason).toContain('blocked');
        expect(world.simulators.requests('psychiatry')).toBe(psychiatryBefore);
        expect(sourceOf(answer, 'ppr')?.status).toBe('found');
        const record = await auditRecord(answer.lookupId);
        const sources = record.details['sources'] as Array<Record<string, unknown>>;
        expect(sources.find((s) => s['kind'] === 'child-psychiatry')?.['status']).toBe('blocked');
      } finally {
        await withdrawAll();
      }
    });

    it("a block on one professional stops that professional, not a colleague, and another child's block stops nobody", async () => {
      await block({ kind: 'professional', issuer: world.gpSts.issuer, subject: 'gp-anne' });
      await block({ kind: 'organisation', sor: NJ.gpKjaersgaardOwner }, CHILDREN.sofie);
      try {
        expect(sourceOf(await lookUp(gp(), { cpr: CHILDREN.noah }), 'child-psychiatry')?.status).toBe('blocked');
        expect(sourceOf(await lookUp(gp({ subject: 'gp-bo' }), { cpr: CHILDREN.noah }), 'child-psychiatry')?.status).toBe('found');
      } finally {
        await withdrawAll();
      }
    });

    it('a withdrawn block stops nothing from the next lookup', async () => {
      await block({ kind: 'organisation', sor: NJ.gpKjaersgaard });
      expect(sourceOf(await lookUp(gp(), { cpr: CHILDREN.noah }), 'child-psychiatry')?.status).toBe('blocked');
      await withdrawAll();
      expect(sourceOf(await lookUp(gp(), { cpr: CHILDREN.noah }), 'child-psychiatry')?.status).toBe('found');
    });

    it('a block does not apply where the legal basis allows sharing without consent (barnets lov), but does under the health act', async () => {
      await block({ kind: 'organisation', sor: NJ.familyAalborg });
      try {
        const caseworker: Caller = { issuer: world.aalborgIdp, org: NJ.familyAalborg, role: 'caseworker' };
        const answer = await lookUp(caseworker, { cpr: CHILDREN.noah, organisations: [NJ.gpKjaersgaard, NJ.childPsychiatry], kinds: ['gp', 'child-psychiatry'] });
        // GP <-> family department: barnets lov, exchange without consent.
        expect(['found', 'not-found']).toContain(sourceOf(answer, 'gp')?.status);
        // Child psychiatry -> family department: sundhedsloven § 43, which the block stops.
        expect(sourceOf(answer, 'child-psychiatry')?.status).toBe('blocked');
      } finally {
        await withdrawAll();
      }
    });
  });

  describe('emergency override', () => {
    const gp = (assurance: Caller['assurance']): Caller => ({ issuer: world.gpSts, org: NJ.gpKjaersgaard, subject: 'gp-anne', assurance });
    const REASON = 'Akut indlæggelse; behov for kontakt til behandlende psykiater';

    it('at NSIS substantial is refused with 403', async () => {
      await expectProblem(await post(gp('substantial'), { cpr: CHILDREN.noah, override: { reason: REASON } }), 403, 'override-assurance-too-low');
    });

    it('by a caseworker is refused with 403, even at high', async () => {
      const caseworker: Caller = { issuer: world.aalborgIdp, org: NJ.familyAalborg, role: 'caseworker', assurance: 'high' };
      await expectProblem(await post(caseworker, { cpr: CHILDREN.noah, override: { reason: REASON } }), 403, 'override-role-not-allowed');
    });

    it('without a reason, or with an empty one, is refused with 400', async () => {
      await expectProblem(await post(gp('high'), { cpr: CHILDREN.noah, override: {} }), 400, 'validation-failed');
      await expectProblem(await post(gp('high'), { cpr: CHILDREN.noah, override: { reason: '   ' } }), 400, 'validation-failed');
    });

    it('at NSIS high answers the blocked source, is audited as an override and flagged for review', async () => {
      const b = await block({ kind: 'organisation', sor: NJ.gpKjaersgaard });
      try {
        const before = world.simulators.requests('psychiatry');
        const answer = await lookUp(gp('high'), { cpr: CHILDREN.noah, override: { reason: REASON } });
        const psychiatry = sourceOf(answer, 'child-psychiatry') as LookupAnswer['sources'][number] & { overridden?: boolean };
        expect(psychiatry.status).toBe('found');
        expect(psychiatry.overridden).toBe(true);
        expect(world.simulators.requests('psychiatry')).toBeGreaterThan(before);
        const record = await auditRecord(answer.lookupId);
        expect(record.details['override']).toEqual({ reason: REASON, overriddenBlocks: [b.id], sources: ['rn-child-psychiatry'] });
        const sources = record.details['sources'] as Array<Record<string, unknown>>;
        expect(sources.find((s) => s['kind'] === 'child-psychiatry')?.['overriddenBlocks']).toEqual([b.id]);

        await runAnomalyRules(world.database.db, DEFAULT_ANOMALY_RULES, new Date());
        const flags = await world.database.db.selectFrom('anomaly_flag').selectAll().where('rule', '=', 'emergency-override').execute();
        const flag = flags.find((f) => f.audit_event_ids.includes(answer.lookupId));
        expect(flag?.explanation).toContain('værdispring');
        expect(flag?.explanation).toContain(REASON);
        expect(flag?.explanation).not.toContain(CHILDREN.noah);
        // A rerun flags it once.
        await runAnomalyRules(world.database.db, DEFAULT_ANOMALY_RULES, new Date());
        const again = await world.database.db.selectFrom('anomaly_flag').select('id').where('rule', '=', 'emergency-override').execute();
        expect(again.length).toBe(flags.length);
      } finally {
        await withdrawAll();
      }
    });
  });
});
