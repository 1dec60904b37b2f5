/**
 * Attack: a denied lookup used as a person-register oracle. A caller without any agreement (the
 * health visitors of Hjørring) asks about a child of Aalborg. The broker must not tell it the
 * child's GP practice or municipality (taken from the person register), nor that the register
 * found her: its answer is the same as for a child the register does not know. A child with name
 * and address protection: even a permitted caller is told the register-derived organisations only
 * where they hold a case for her.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/database.js';
import { CHILDREN, NJ, lookUp, startLookupWorld, type LookupAnswer, type LookupWorld } from '../helpers/lookup-world.js';

/** A CPR valid by date that no register or source knows. */
const UNKNOWN_CHILD = '0101104123';
/** What a caller can compare between two answers: everything but ids and timings. */
const comparable = (a: LookupAnswer) => ({ personRegister: a.personRegister, sources: a.sources, unservedOrganisations: a.unservedOrganisations });
const AALBORG_TRACES = [NJ.gpKjaersgaard, NJ.gpKjaersgaardOwner, NJ.pprAalborg, NJ.familyAalborg, NJ.aalborg, '851', 'Aalborg', 'Kjærsgaard'];

describe.each(databaseKinds())('denied lookups (%s)', (kind) => {
  let world: LookupWorld;
  beforeAll(async () => {
    world = await startLookupWorld(kind);
  });
  afterAll(async () => world?.close());

  const visitor = () => ({ issuer: world.hjoerringIdp, org: NJ.hjoerringHealthVisitors, role: 'caseworker' as const });

  it("tells a caller denied everywhere neither the child's GP practice, nor her municipality, nor that the register found her", async () => {
    const answer = await lookUp(world, visitor(), { cpr: CHILDREN.noah });
    expect(answer.personRegister.status).not.toBe('found');
    expect(answer.sources.length).toBeGreaterThan(0);
    for (const s of answer.sources) {
      expect(s).toMatchObject({ status: 'denied', kind: expect.any(String), deniedBecause: expect.any(Array) });
      expect(s.organisation).toBeUndefined();
      expect(s.sourceId).toBeUndefined();
    }
    const text = JSON.stringify(comparable(answer)); // ids are random: a UUID may hold "851"
    for (const trace of AALBORG_TRACES) expect(text).not.toContain(trace);
    // The same answer as for a child nobody knows: the register's answer is not echoed.
    expect(comparable(answer)).toEqual(comparable(await lookUp(world, visitor(), { cpr: UNKNOWN_CHILD })));
  });

  it('names an organisation in a denial only when the caller named it, and still does not echo the register', async () => {
    const answer = await lookUp(world, visitor(), { cpr: CHILDREN.noah, organisations: [NJ.pprHjoerring] });
    const named = answer.sources.filter((s) => s.organisation);
    expect(named).toEqual([expect.objectContaining({ kind: 'ppr', status: 'denied', organisation: { sor: NJ.pprHjoerring, name: expect.any(String) }, deniedBecause: ['no-agreement'] })]);
    const text = JSON.stringify(comparable(answer)); // ids are random: a UUID may hold "851"
    for (const trace of AALBORG_TRACES) expect(text).not.toContain(trace);
    expect(comparable(answer)).toEqual(comparable(await lookUp(world, visitor(), { cpr: UNKNOWN_CHILD, organisations: [NJ.pprHjoerring] })));
  });

  it('shows a permitted caller the organisations of a protected child only where they hold a case for her', async () => {
    // Child psychiatry has agreements with PPR and family Aalborg and with every GP practice.
    const answer = await lookUp(world, { issuer: world.gpSts, org: NJ.childPsychiatry }, { cpr: CHILDREN.sofie });
    expect(answer.personRegister).toEqual({ status: 'found', addressProtected: true });
    const byKind = Object.fromEntries(answer.sources.map((s) => [s.kind, s]));
    expect(byKind['gp']).toMatchObject({ status: 'found', organisation: { sor: NJ.gpKjaersgaard } });
    for (const k of ['ppr', 'family']) {
      expect(byKind[k]).toMatchObject({ status: 'not-found' });
      expect(byKind[k]?.organisation).toBeUndefined();
      expect(byKind[k]?.sourceId).toBeUndefined();
    }
    const text = JSON.stringify(comparable(answer)); // ids are random: a UUID may hold "851"
    for (const trace of [NJ.pprAalborg, NJ.familyAalborg, NJ.aalborg, '851', 'ppr-851', 'family-851']) expect(text).not.toContain(trace);
  });

  it('keeps the whole truth in the audit record', async () => {
    const answer = await lookUp(world, visitor(), { cpr: CHILDREN.noah });
    const record = await world.database.db.selectFrom('audit_event').selectAll().where('id', '=', answer.lookupId).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ kind: 'lookup', outcome: 'denied', actor_organisation: NJ.hjoerringHealthVisitors });
    expect(record.details).toMatchObject({ personRegister: { status: 'found' } });
    const sources = record.details['sources'] as Array<{ organisation: string; status: string; deniedBecause: string[] }>;
    expect(sources.map((s) => s.organisation)).toEqual(expect.arrayContaining([NJ.gpKjaersgaard, NJ.pprAalborg, NJ.familyAalborg]));
    expect(sources.every((s) => s.status === 'denied' && s.deniedBecause.length > 0)).toBe(true);
  });
});
