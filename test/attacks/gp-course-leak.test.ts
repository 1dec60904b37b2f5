/**
 * Attack: GP courses leaking across practices. The person register knows no GP for Mikkel, so the
 * caller names a practice; the GP-system vendor's endpoint serves many practices and answers with
 * every course it holds for the child (FHIR R4 searchset from the simulator). Only the named
 * practice's course may come back: not the other practice's, nor one without a responsible unit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/database.js';
import { CHILDREN, NJ, lookUp, startLookupWorld, type LookupWorld } from '../helpers/lookup-world.js';

describe.each(databaseKinds())('GP courses across practices (%s)', (kind) => {
  let world: LookupWorld;
  beforeAll(async () => {
    world = await startLookupWorld(kind);
  });
  afterAll(async () => world?.close());

  it("returns only the named practice's course when the register gives no GP practice", async () => {
    // PPR Aalborg has an agreement with every GP practice in the region (gp-aalborg).
    const answer = await lookUp(world, { issuer: world.aalborgIdp, org: NJ.pprAalborg, role: 'caseworker' }, { cpr: CHILDREN.mikkel, organisations: [NJ.gpKjaersgaard], kinds: ['gp'] });
    const gp = answer.sources.filter((s) => s.kind === 'gp');
    expect(gp).toHaveLength(1);
    expect(gp[0]).toMatchObject({ status: 'found', organisation: { sor: NJ.gpKjaersgaard } });
    expect(gp[0]?.cases).toHaveLength(1);
    expect(gp[0]?.cases?.[0]).toMatchObject({ responsibleUnit: { sor: NJ.gpKjaersgaard } });
    const text = JSON.stringify(answer);
    expect(text).not.toContain(NJ.gpVestergaard);
    expect(text).not.toMatch(/Vestergaard|Thorsen|\+4598202021/);
  });

  it('answers not-found for a practice the child has no course at, rather than the courses of others', async () => {
    const answer = await lookUp(world, { issuer: world.aalborgIdp, org: NJ.pprAalborg, role: 'caseworker' }, { cpr: CHILDREN.mikkel, organisations: [NJ.gpMoelgaard], kinds: ['gp'] });
    expect(answer.sources).toHaveLength(1);
    expect(answer.sources[0]).toMatchObject({ kind: 'gp', status: 'not-found', organisation: { sor: NJ.gpMoelgaard } });
    expect(answer.sources[0]?.cases).toBeUndefined();
  });

  it("drops a course without a responsible unit also when the register does give the child's practice", async () => {
    // Sofie's registered practice is Kjærsgaard, where she has one course; the GP system also holds
    // one for her without a unit. Psychiatry has an agreement with every GP practice.
    const answer = await lookUp(world, { issuer: world.gpSts, org: NJ.childPsychiatry }, { cpr: CHILDREN.sofie, kinds: ['gp'] });
    const gp = answer.sources.find((s) => s.kind === 'gp');
    expect(gp?.status).toBe('found');
    expect(gp?.cases).toHaveLength(1);
    expect(gp?.cases?.[0]).toMatchObject({ status: 'treatment', responsibleUnit: { sor: NJ.gpKjaersgaard } });
  });
});
