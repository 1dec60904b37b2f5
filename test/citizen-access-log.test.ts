/**
 * The citizen's access log over real HTTP with real tokens (a MitID-style citizen issuer and the
 * staff identity providers), on PGlite and PostgreSQL: custody from the simulated person register,
 * refusals and an unknown custody audited, staff names protected, withheld-marks and their review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CitizenLog, type CitizenWorld, PEOPLE, citizenLog, lookUpAs, staffRequest, startCitizenWorld, type Staff } from './helpers/citizen-world.js';
import { databaseKinds } from './helpers/database.js';
import { NJ } from './helpers/lookup-world.js';

const PROBLEM = 'https://broker.example.dk/problems/';
const inMonths = (m: number) => {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() + m);
  return d.toISOString();
};

describe.each(databaseKinds())('citizen access log (%s)', (kind) => {
  let world: CitizenWorld;
  let gp: Staff;
  let familyAalborg: Staff;
  let familyHjoerring: Staff;
  let gpLookup: string;
  let familyLookup: string;
  let frejaLookup: string;

  const auditRecords = (kindOf: string) =>
    world.database.db.selectFrom('audit_event').select(['outcome', 'patient_cpr', 'actor_role', 'actor_organisation', 'details']).where('kind', '=', kindOf).orderBy('seq').execute();
  const logOf = async (caller: string, body: Record<string, unknown>) => {
    const res = await citizenLog(world, caller, body);
    expect(res.status).toBe(200);
    return (await res.json()) as CitizenLog;
  };

  beforeAll(async () => {
    world = await startCitizenWorld(kind);
    gp = { issuer: world.gpSts, org: NJ.gpKjaersgaard, role: 'clinician', name: 'Anne Kjærsgaard' };
    familyAalborg = { issuer: world.aalborgIdp, org: NJ.familyAalborg, role: 'caseworker', name: 'Bo Sagsbehandler' };
    familyHjoerring = { issuer: world.hjoerringIdp, org: NJ.familyHjoerring, role: 'caseworker', name: 'Hanne Hjørring' };
    gpLookup = await lookUpAs(world, gp, PEOPLE.noah, 'Mistrivsel, bekymring fra skolen');
    familyLookup = await lookUpAs(world, familyAalborg, PEOPLE.noah, 'Underretning modtaget');
    frejaLookup = await lookUpAs(world, familyHjoerring, PEOPLE.freja, 'Børnefaglig undersøgelse');
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it("shows a custody-holder who looked at the child, newest first, with organisation, authority, role, purpose and reason; the read is audited", async () => {
    const log = await logOf(PEOPLE.louise, { cpr: PEOPLE.noah });
    expect(log.scope).toBe('custody');
    expect(log.items.map((i) => i.id)).toEqual([familyLookup, gpLookup]);
    expect(log.items[0]).toMatchObject({
      kind: 'lookup',
      organisation: { sor: NJ.familyAalborg, authority: 'municipality' },
      role: 'caseworker',
      purpose: 'child-welfare-concern',
      reason: 'Underretning modtaget',
      staffName: 'Bo Sagsbehandler',
      staffNameProtected: false,
      emergencyOverride: false,
    });
    expect(log.items[0]?.organisation?.name).toBeTruthy();
    expect(log.items[1]).toMatchObject({ organisation: { sor: NJ.gpKjaersgaard, authority: 'general-practice' }, role: 'clinician', staffName: 'Anne Kjærsgaard' });
    const reads = await auditRecords('citizen-access-log');
    expect(reads.at(-1)).toMatchObject({ outcome: 'success', patient_cpr: PEOPLE.noah, actor_role: 'citizen', actor_organisation: null, details: { scope: 'custody', returned: 2 } });
  });

  it('pages with a cursor, newest first, without overlap; the citizen reads are not in the log', async () => {
    const first = await logOf(PEOPLE.louise, { cpr: PEOPLE.noah, limit: 1 });
    expect(first.items.map((i) => i.id)).toEqual([familyLookup]);
    expect(first.nextCursor).toBeTruthy();
    const second = await logOf(PEOPLE.louise, { cpr: PEOPLE.noah, limit: 1, cursor: first.nextCursor });
    expect(second.items.map((i) => i.id)).toEqual([gpLookup]);
    expect(second.nextCursor).toBeNull();
    const bad = await citizenLog(world, PEOPLE.louise, { cpr: PEOPLE.noah, cursor: 'bm90LWEtY3Vyc29y' });
    expect(bad.status).toBe(400);
  });

  it("a parent without custody, or a stranger, asking for the child: 403, audited, nothing shown", async () => {
    for (const caller of [PEOPLE.martin, PEOPLE.camilla]) {
      const res = await citizenLog(world, caller, { cpr: PEOPLE.noah });
      const body = await res.text();
      expect(res.status).toBe(403);
      expect(JSON.parse(body)).toMatchObject({ type: `${PROBLEM}citizen-scope-refused`, reason: 'not-own-or-custody' });
      expect(body).not.toContain(PEOPLE.noah);
      expect(body).not.toContain('items');
    }
    const denied = (await auditRecords('citizen-access-log')).filter((r) => r.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(denied.at(-1)).toMatchObject({ patient_cpr: PEOPLE.noah, details: { scope: 'refused', refusal: 'not-own-or-custody' } });
  });

  it('a 12-year-old cannot see their own log yet; a 16-year-old can', async () => {
    const young = await citizenLog(world, PEOPLE.noah, { cpr: PEOPLE.noah });
    expect(young.status).toBe(403);
    expect(await young.json()).toMatchObject({ reason: 'own-view-too-young' });
    const own = await logOf(PEOPLE.freja, { cpr: PEOPLE.freja });
    expect(own.scope).toBe('self');
    expect(own.items.map((i) => i.id)).toEqual([frejaLookup]);
  });

  it('NSIS low: 403 insufficient-assurance', async () => {
    const res = await citizenLog(world, PEOPLE.freja, { cpr: PEOPLE.freja }, 'low');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ type: `${PROBLEM}insufficient-assurance` });
  });

  it('custody unknown because the person register is down: 503, nothing shown, audited as failed', async () => {
    world.simulators.setBehaviour('personRegister', { failure: 'down' });
    try {
      const res = await citizenLog(world, PEOPLE.louise, { cpr: PEOPLE.noah });
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(body)).toMatchObject({ type: `${PROBLEM}custody-unavailable` });
      expect(body).not.toContain(familyLookup);
      expect((await auditRecords('citizen-access-log')).at(-1)).toMatchObject({ outcome: 'failed', patient_cpr: PEOPLE.noah, details: { custody: 'unknown' } });
      // The own view needs no register.
      expect((await citizenLog(world, PEOPLE.freja, { cpr: PEOPLE.freja })).status).toBe(200);
    } finally {
      world.simulators.setBehaviour('personRegister', {});
    }
  });

  it("an organisation's protected staff names are left out; only its own admins may set that, audited", async () => {
    const hjoerringAdmin: Staff = { issuer: world.hjoerringIdp, org: NJ.hjoerring, role: 'agreement-admin' };
    const foreign = await staffRequest(world, hjoerringAdmin, 'PUT', '/v1/access-log/name-protection', { organisationSor: NJ.familyAalborg, protected: true });
    expect(foreign.status).toBe(403);
    const caseworker = await staffRequest(world, familyAalborg, 'PUT', '/v1/access-log/name-protection', { organisationSor: NJ.familyAalborg, protected: true });
    expect(caseworker.status).toBe(403);

    const aalborgAdmin: Staff = { issuer: world.aalborgIdp, org: NJ.aalborg, role: 'agreement-admin' };
    const set = await staffRequest(world, aalborgAdmin, 'PUT', '/v1/access-log/name-protection', { organisationSor: NJ.familyAalborg, protected: true });
    expect(set.status).toBe(200);
    try {
      const log = await logOf(PEOPLE.louise, { cpr: PEOPLE.noah });
      expect(log.items.find((i) => i.id === familyLookup)).toMatchObject({ staffName: null, staffNameProtected: true, role: 'caseworker' });
      expect(log.items.find((i) => i.id === gpLookup)).toMatchObject({ staffName: 'Anne Kjærsgaard', staffNameProtected: false });
      expect((await auditRecords('staff-name-protection')).at(-1)).toMatchObject({ outcome: 'success', actor_organisation: NJ.aalborg, details: { organisationSor: NJ.familyAalborg, protected: true } });
    } finally {
      expect((await staffRequest(world, aalborgAdmin, 'PUT', '/v1/access-log/name-protection', { organisationSor: NJ.familyAalborg, protected: false })).status).toBe(200);
    }
  });

  it("a caseworker withholds their organisation's access: gone from the custody-holders' and the child's own view until lifted; auditors see and review it", async () => {
    // Another organisation's caseworker, or a clinician, cannot withhold it: as unknown as a made-up id.
    expect((await staffRequest(world, familyHjoerring, 'POST', '/v1/access-log/withholdings', { auditRecordId: familyLookup, until: inMonths(6), reason: 'Undersøgelsen angår forældrene' })).status).toBe(404);
    expect((await staffRequest(world, { ...familyAalborg, issuer: world.aalborgIdp, org: NJ.pprAalborg }, 'POST', '/v1/access-log/withholdings', { auditRecordId: familyLookup, until: inMonths(6), reason: 'Undersøgelsen angår forældrene' })).status).toBe(404);
    expect((await staffRequest(world, { ...gp, role: 'clinician' }, 'POST', '/v1/access-log/withholdings', { auditRecordId: gpLookup, until: inMonths(6), reason: 'Undersøgelsen angår forældrene' })).status).toBe(403);

    const tooLong = await staffRequest(world, familyAalborg, 'POST', '/v1/access-log/withholdings', { auditRecordId: familyLookup, until: inMonths(13), reason: 'Undersøgelsen angår forældrene' });
    expect(tooLong.status).toBe(422);
    expect(tooLong.headers.get('content-type')).toContain('application/problem+json');
    expect(await tooLong.json()).toMatchObject({ type: `${PROBLEM}withholding-too-long`, maxMonths: 12 });

    const marked = await staffRequest(world, familyAalborg, 'POST', '/v1/access-log/withholdings', { auditRecordId: familyLookup, until: inMonths(6), reason: 'Undersøgelsen angår forældrene' });
    expect(marked.status).toBe(201);
    const mark = (await marked.json()) as { id: string; review: { status: string } };
    expect(mark.review.status).toBe('open');
    expect((await logOf(PEOPLE.louise, { cpr: PEOPLE.noah })).items.map((i) => i.id)).toEqual([gpLookup]);

    // The child's own view follows the same rule.
    const frejaMark = await staffRequest(world, familyHjoerring, 'POST', '/v1/access-log/withholdings', { auditRecordId: frejaLookup, until: inMonths(3), reason: 'Undersøgelsen angår moren' });
    expect(frejaMark.status).toBe(201);
    expect((await logOf(PEOPLE.freja, { cpr: PEOPLE.freja })).items).toEqual([]);
    expect((await logOf(PEOPLE.camilla, { cpr: PEOPLE.freja })).items).toEqual([]);

    // Auditors: Aalborg's see Aalborg's mark only; Hjørring's cannot review it.
    const aalborgAuditor: Staff = { issuer: world.aalborgIdp, org: NJ.aalborg, role: 'auditor' };
    const hjoerringAuditor: Staff = { issuer: world.hjoerringIdp, org: NJ.hjoerring, role: 'auditor' };
    const list = (await (await staffRequest(world, aalborgAuditor, 'GET', '/v1/access-log/withholdings')).json()) as { items: Array<{ id: string; reason: string; organisation: string }> };
    expect(list.items.map((i) => i.id)).toEqual([mark.id]);
    expect(list.items[0]).toMatchObject({ reason: 'Undersøgelsen angår forældrene', organisation: NJ.familyAalborg });
    expect((await staffRequest(world, hjoerringAuditor, 'POST', `/v1/access-log/withholdings/${mark.id}/review`, { decision: 'lifted', comment: 'Ikke begrundet' })).status).toBe(404);
    expect((await staffRequest(world, familyAalborg, 'POST', `/v1/access-log/withholdings/${mark.id}/review`, { decision: 'lifted', comment: 'Ikke begrundet' })).status).toBe(403);

    const lifted = await staffRequest(world, aalborgAuditor, 'POST', `/v1/access-log/withholdings/${mark.id}/review`, { decision: 'lifted', comment: 'Ikke tilstrækkeligt begrundet' });
    expect(lifted.status).toBe(200);
    expect((await logOf(PEOPLE.louise, { cpr: PEOPLE.noah })).items.map((i) => i.id)).toEqual([familyLookup, gpLookup]);
    expect((await auditRecords('citizen-withholding')).map((r) => r.actor_organisation)).toEqual([NJ.familyAalborg, NJ.familyHjoerring]);
    expect((await auditRecords('citizen-withholding-review')).at(-1)).toMatchObject({ actor_organisation: NJ.aalborg, details: { decision: 'lifted' } });
  });
});
