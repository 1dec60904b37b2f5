/**
 * Attack: an auditor reading other organisations' findings. A GP looks up Noah; child psychiatry
 * finds a case, PPR Aalborg finds one. PPR Aalborg's auditor may review that lookup, since it
 * consulted PPR Aalborg: who called (organisation and user), why, when, and PPR Aalborg's own
 * outcome. Never child psychiatry's finding, the GP's or the family department's outcome, or the
 * person register's answer. The GP practice's own auditor sees its staff's lookup in full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCareCommunication } from '../../adapters/medcom/index.js';
import { databaseKinds } from '../helpers/database.js';
import { CHILDREN, NJ, lookUp, searchAudit, startLookupWorld, type AuditPage, type LookupWorld } from '../helpers/lookup-world.js';

type Sources = Array<{ sourceId: string; organisation: string; status: string }>;
const sourcesOf = (item: AuditPage['items'][number] | undefined) => (item?.details['sources'] ?? []) as Sources;

describe.each(databaseKinds())('auditor scope (%s)', (kind) => {
  let world: LookupWorld;
  let lookupId: string;
  const gpUser = { subject: 'gp-user-17', name: 'Anders Holm' };

  beforeAll(async () => {
    world = await startLookupWorld(kind);
    const answer = await lookUp(world, { issuer: world.gpSts, org: NJ.gpKjaersgaard, ...gpUser }, { cpr: CHILDREN.noah, reason: 'Bekymring fra skolen om fravær' });
    expect(answer.sources.find((s) => s.kind === 'child-psychiatry')?.status).toBe('found');
    lookupId = answer.lookupId;
  });
  afterAll(async () => world?.close());

  it("shows PPR Aalborg's auditor the caller, purpose, reason and time, and only PPR Aalborg's own outcome", async () => {
    const page = await searchAudit(world, { issuer: world.aalborgIdp, org: NJ.pprAalborg }, { patientCpr: CHILDREN.noah, kinds: ['lookup'] });
    const item = page.items.find((i) => i.id === lookupId);
    expect(item).toMatchObject({
      kind: 'lookup',
      outcome: 'success',
      actor: { organisation: NJ.gpKjaersgaard, subject: gpUser.subject, name: gpUser.name, role: 'clinician' },
      purpose: 'child-welfare-concern',
      reason: 'Bekymring fra skolen om fravær',
      patientCpr: CHILDREN.noah,
      occurredAt: expect.any(String),
    });
    expect(sourcesOf(item)).toEqual([expect.objectContaining({ sourceId: 'ppr-851', organisation: NJ.pprAalborg, status: 'found' })]);
    const text = JSON.stringify(item);
    for (const other of [NJ.childPsychiatry, 'rn-child-psychiatry', NJ.familyAalborg, 'family-851', '"gp-system"', 'personRegister']) expect(text).not.toContain(other);
  });

  it("shows the municipality's auditor both its units' outcomes, and still not psychiatry's", async () => {
    const page = await searchAudit(world, { issuer: world.aalborgIdp, org: NJ.aalborg }, { patientCpr: CHILDREN.noah, kinds: ['lookup'] });
    const item = page.items.find((i) => i.id === lookupId);
    expect(sourcesOf(item).map((s) => s.organisation).sort()).toEqual([NJ.pprAalborg, NJ.familyAalborg].sort());
    expect(JSON.stringify(item)).not.toContain(NJ.childPsychiatry);
  });

  it("does not let an outcome filter tell what happened at other organisations' sources", async () => {
    // Psychiatry is down: the lookup as a whole is partial, PPR Aalborg's part of it a success.
    world.simulators.setBehaviour('psychiatry', { failure: 'down' });
    let partialId: string;
    try {
      const answer = await lookUp(world, { issuer: world.gpSts, org: NJ.gpKjaersgaard, ...gpUser }, { cpr: CHILDREN.noah });
      expect(answer.sources.find((s) => s.kind === 'child-psychiatry')?.status).toBe('unavailable');
      partialId = answer.lookupId;
    } finally {
      world.simulators.setBehaviour('psychiatry', {});
    }
    const ppr = { issuer: world.aalborgIdp, org: NJ.pprAalborg };
    const partial = await searchAudit(world, ppr, { patientCpr: CHILDREN.noah, outcomes: ['partial'] });
    expect(partial.items.map((i) => i.id)).not.toContain(partialId);
    const success = await searchAudit(world, ppr, { patientCpr: CHILDREN.noah, outcomes: ['success'] });
    expect(success.items.find((i) => i.id === partialId)).toMatchObject({ outcome: 'success' });
    // The GP practice's auditor sees its own staff's lookup as it was.
    const own = await searchAudit(world, { issuer: world.gpSts, org: NJ.gpKjaersgaardOwner }, { patientCpr: CHILDREN.noah, outcomes: ['partial'] });
    expect(own.items.map((i) => i.id)).toContain(partialId);
  });

  it("shows the GP practice's own auditor its staff's lookup in full", async () => {
    const page = await searchAudit(world, { issuer: world.gpSts, org: NJ.gpKjaersgaardOwner }, { patientCpr: CHILDREN.noah, kinds: ['lookup'] });
    const item = page.items.find((i) => i.id === lookupId);
    expect(sourcesOf(item).map((s) => s.sourceId).sort()).toEqual(['family-851', 'gp-system', 'ppr-851', 'rn-child-psychiatry']);
    expect(item?.details['personRegister']).toEqual({ status: 'found' });
  });

  it('shows an organisation that was neither the caller nor consulted nothing of the lookup', async () => {
    const page = await searchAudit(world, { issuer: world.hjoerringIdp, org: NJ.hjoerring }, { patientCpr: CHILDREN.noah });
    expect(page.items.filter((i) => i.kind === 'lookup')).toEqual([]);
  });

  it('shows the receiver of an inbound message its record, and an unrelated organisation nothing of it', async () => {
    const bundle = buildCareCommunication({
      kind: 'new',
      sender: { sor: NJ.gpKjaersgaard, gln: '5790009110002', name: 'Lægepraksis Anne Kjærsgaard' },
      receiver: { sor: NJ.pprAalborg, gln: '5790009120049', name: 'PPR, Aalborg Kommune' },
      author: { given: ['Anders'], family: 'Holm', role: 'laege', phone: '98101010' },
      patient: { cpr: CHILDREN.noah, given: ['Noah'], family: 'Jensen' },
      category: 'other',
      topic: 'Skolefravær',
      text: 'Vi har talt med forældrene.',
      ids: () => crypto.randomUUID(),
      clock: () => new Date(),
    });
    // The VANS gateway posts it; its token acts for the region that runs it.
    const token = await world.gateway.token({ organisationSor: NJ.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const response = await world.broker.request('/v1/medcom/inbound', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
    expect(response.status).toBe(200);
    const bundleId = bundle['id'];
    const received = await searchAudit(world, { issuer: world.aalborgIdp, org: NJ.pprAalborg }, { kinds: ['correspondence-received'] });
    expect(received.items.find((i) => i.details['bundleId'] === bundleId)).toMatchObject({ outcome: 'success', details: { receiverSor: NJ.pprAalborg, counterpartSor: NJ.gpKjaersgaard } });
    const unrelated = await searchAudit(world, { issuer: world.hjoerringIdp, org: NJ.hjoerring }, { kinds: ['correspondence-received'] });
    expect(unrelated.items.find((i) => i.details['bundleId'] === bundleId)).toBeUndefined();
  });
});
