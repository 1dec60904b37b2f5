/**
 * `/v1/citizen/blocks` over real HTTP with real citizen tokens, custody from the simulated person
 * register (FHIR RelatedPerson), and the block's effect on a real lookup, on each database kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './helpers/agreements.js';
import { bearer, createTestCitizenIssuer, type TestCitizenIssuer } from './helpers/citizen.js';
import { databaseKinds } from './helpers/database.js';
import { CHILDREN, NJ, type LookupAnswer, type LookupWorld, lookUp, startLookupWorld } from './helpers/lookup-world.js';

const MOTHER_WITH_CUSTODY = '1108854012'; // Noah's mother
const FATHER_WITHOUT_CUSTODY = '2304824015'; // Noah's father
const FREJA = '2811104038'; // not Louise's child
const NOT_IN_DIRECTORY = '9599991000016009';

describe.each(databaseKinds())('citizen blocks (%s)', (kind) => {
  let world: LookupWorld;
  let mitid: TestCitizenIssuer;

  beforeAll(async () => {
    mitid = await createTestCitizenIssuer();
    world = await startLookupWorld(kind, { extraIssuers: [mitid] });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  const as = async (cpr: string, assurance: 'low' | 'substantial' | 'high' = 'substantial') => mitid.citizenToken({ cpr, assurance, subject: `mitid-${cpr.slice(0, 4)}` });
  const request = async (method: 'POST' | 'GET' | 'DELETE', path: string, citizenCpr: string, body?: unknown) => {
    const init = bearer(await as(citizenCpr), body);
    return world.broker.request(`/v1/citizen/blocks${path}`, { ...init, method });
  };
  const psychiatryOf = (a: LookupAnswer) => a.sources.find((s) => s.kind === 'child-psychiatry');
  const deniedBlockAudits = () =>
    world.database.db.selectFrom('audit_event').select(['outcome', 'details']).where('kind', '=', 'citizen-block').where('outcome', '=', 'denied').execute();

  it("a custody-holder blocks a GP practice from the child's health data; the practice's lookup sees it blocked; withdrawing lifts it", async () => {
    const created = await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'organisation', sor: NJ.gpVestergaardOwner }, reason: 'Ønsker ikke deling' });
    expect(created.status, await created.clone().text()).toBe(201);
    const block = (await created.json()) as { id: string; createdAs: string; withdrawnAt: string | null };
    expect(block.createdAs).toBe('custody-holder');

    const gp = { issuer: world.gpSts, org: NJ.gpVestergaard };
    expect(psychiatryOf(await lookUp(world, gp, { cpr: CHILDREN.noah }))?.status).toBe('blocked');

    const listed = await request('POST', '/list', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: Array<{ id: string }> }).items.map((b) => b.id)).toContain(block.id);

    const withdrawn = await request('DELETE', `/${block.id}`, MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah });
    expect(withdrawn.status).toBe(200);
    expect(((await withdrawn.json()) as { withdrawnAt: string | null }).withdrawnAt).not.toBeNull();
    expect(psychiatryOf(await lookUp(world, gp, { cpr: CHILDREN.noah }))?.status).toBe('found');

    const audits = await world.database.db.selectFrom('audit_event').select(['details', 'patient_cpr', 'actor_role']).where('kind', '=', 'citizen-block').where('outcome', '=', 'success').execute();
    expect(audits.map((a) => a.details['action'])).toEqual(expect.arrayContaining(['create', 'list', 'withdraw']));
    expect(audits.every((a) => a.patient_cpr === CHILDREN.noah && a.actor_role === 'citizen')).toBe(true);
  });

  it('a block on an organisation that is not in the directory is refused with 422', async () => {
    await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'organisation', sor: NOT_IN_DIRECTORY } }), 422, 'unknown-organisation');
    const rows = await world.database.db.selectFrom('citizen_block').select('id').where('target_sor', '=', NOT_IN_DIRECTORY).execute();
    expect(rows).toHaveLength(0);
  });

  it('a parent without custody, or a custody-holder of another child, is refused with 403, and the refusal is audited', async () => {
    const before = (await deniedBlockAudits()).length;
    const father = await request('POST', '', FATHER_WITHOUT_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'organisation', sor: NJ.gpVestergaard } });
    const body = await expectProblem(father, 403, 'citizen-scope-refused');
    expect(JSON.stringify(body)).not.toContain(CHILDREN.noah);
    await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: FREJA, target: { kind: 'organisation', sor: NJ.gpVestergaard } }), 403, 'citizen-scope-refused');
    await expectProblem(await request('POST', '/list', FATHER_WITHOUT_CUSTODY, { cpr: CHILDREN.noah }), 403, 'citizen-scope-refused');
    const after = await deniedBlockAudits();
    expect(after.length).toBe(before + 3);
    const rows = await world.database.db.selectFrom('citizen_block').select('id').where('patient_cpr', '=', FREJA).execute();
    expect(rows).toHaveLength(0);
  });

  it("another child's block cannot be withdrawn through one's own child", async () => {
    const created = await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'professional', issuer: 'https://sts.gp-systems.example', subject: 'gp-x' } });
    const { id } = (await created.json()) as { id: string };
    // Freja's mother may act for Freja only: Noah's block id is not found for Freja.
    const response = await world.broker.request(`/v1/citizen/blocks/${id}`, { ...bearer(await as('0512794011'), { cpr: FREJA }), method: 'DELETE' });
    await expectProblem(response, 404, 'not-found');
    const row = await world.database.db.selectFrom('citizen_block').select('withdrawn_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.withdrawn_at).toBeNull();
    await request('DELETE', `/${id}`, MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah });
  });

  it('bad input: a CPR that is not one, an unknown target kind, extra fields: 400', async () => {
    await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: '12345', target: { kind: 'organisation', sor: NJ.gpVestergaard } }), 400, 'validation-failed');
    await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'period' } }), 400, 'validation-failed');
    await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'organisation', sor: NJ.gpVestergaard }, extra: 1 }), 400, 'validation-failed');
  });

  it('custody unknown because the register is down: 503, nothing stored', async () => {
    world.simulators.setBehaviour('personRegister', { failure: 'down' });
    try {
      await expectProblem(await request('POST', '', MOTHER_WITH_CUSTODY, { cpr: CHILDREN.noah, target: { kind: 'organisation', sor: NJ.gpMoelgaard } }), 503, 'custody-unavailable');
    } finally {
      world.simulators.setBehaviour('personRegister', {});
    }
    const rows = await world.database.db.selectFrom('citizen_block').select('id').where('target_sor', '=', NJ.gpMoelgaard).execute();
    expect(rows).toHaveLength(0);
  });
});
