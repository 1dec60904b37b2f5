/**
 * The agreement overview and the access explanation over the North Jutland pilot agreements:
 * filters (party with subtree, purpose, legal basis, expiring, closed units, free text), sorting,
 * cursor pages, CSV export, and what a GP practice may do under the pilot.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { seedDemoAgreements } from '../src/agreements/seed.js';
import { createMemoryDirectoryView } from '../src/directory/memory-view.js';
import { NJ, client, expectProblem, nationalIssuer, seedNorthJutland, terms } from './helpers/agreements.js';
import { insertOrganisations, organisation } from './helpers/directory.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';

interface ListBody {
  items: { id: string; title: string; status: string; period: { validTo: string | null } }[];
  nextCursor: string | null;
}

describe.each(databaseKinds())('agreement overview on %s', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let api: ReturnType<typeof client>;
  let expiringId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const orgs = await seedNorthJutland(database);
    expect(await seedDemoAgreements(database.db, { directory: createMemoryDirectoryView(orgs) })).toBe(23);
    expect(await seedDemoAgreements(database.db)).toBe(0);
    const issuer = await nationalIssuer(orgs);
    broker = await startTestBroker({ database, issuers: [issuer] });
    api = client(broker, issuer);
    // One more, ending in ten days, for the "expiring" filter.
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expiringId = (await api.activate(terms({ title: 'Zz ending soon', validTo: soon }))).id;
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const list = async (query: string): Promise<ListBody> =>
    api.ok<ListBody>(await api.call('GET', `/v1/agreements?limit=200&${query}`, { org: NJ.region, role: 'auditor' }));
  const titles = async (query: string) => (await list(query)).items.map((i) => i.title);

  it('finds the agreements covering a GP clinic through the unit-type selector on its practice', async () => {
    const found = await titles(`party=${NJ.gpClinic}`);
    expect(found).toHaveLength(12);
    expect(found).toContain('Almen praksis i Region Nordjylland og Børne- og Ungdomspsykiatrien');
    expect(found.every((t) => t.startsWith('Almen praksis'))).toBe(true);
  });

  it('finds agreements through a subtree selector above the party, and below it with includeSubtree', async () => {
    // Team Aalborg lies below the child psychiatry department named as a subtree.
    expect(await titles(`party=${NJ.teamAalborg}`)).toHaveLength(12 + 1);
    // The municipality itself is named by no agreement; its PPR and family departments are.
    expect(await titles(`party=${NJ.aalborg}`)).toEqual([]);
    const below = await titles(`party=${NJ.aalborg}&includeSubtree=true`);
    expect(below).toEqual([
      'Almen praksis i Region Nordjylland og PPR og Børne- og Familieafdelingen, Aalborg Kommune',
      'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Aalborg Kommune',
      'Zz ending soon',
    ]);
  });

  it('filters by purpose, action, status, legal basis and free text', async () => {
    expect(await titles('purpose=treatment')).toEqual(['Almen praksis i Region Nordjylland og Børne- og Ungdomspsykiatrien']);
    expect(await titles('legalBasis=sundhedsloven-43')).toHaveLength(11);
    expect(await titles('action=correspondence')).toHaveLength(23);
    expect(await titles('status=active&q=thisted')).toEqual([
      'Almen praksis i Region Nordjylland og PPR og Børne- og Familieafdelingen, Thisted Kommune',
      'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Thisted Kommune',
    ]);
    expect(await titles('status=draft')).toEqual([]);
    await expectProblem(await api.call('GET', '/v1/agreements?status=pending', { org: NJ.region, role: 'auditor' }), 400, 'validation-failed');
  });

  it('lists agreements expiring within N days', async () => {
    expect((await list('expiringWithinDays=30')).items.map((i) => i.id)).toEqual([expiringId]);
    expect((await list('expiringWithinDays=5')).items).toEqual([]);
  });

  it('lists agreements that reference closed units', async () => {
    expect(await titles('referencesClosedUnits=true')).toEqual([]);
    // Læsø's PPR closes in SOR after the agreements were made.
    await sql`update organisation set valid_to = '2026-01-01' where sor = ${NJ.laesoePpr}`.execute(database.db);
    expect(await titles('referencesClosedUnits=true')).toEqual([
      'Almen praksis i Region Nordjylland og PPR og Børne- og Familieafdelingen, Læsø Kommune',
      'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Læsø Kommune',
    ]);
    expect(await titles('referencesClosedUnits=false')).toHaveLength(22);
  });

  it('pages with a cursor in the requested order, without gaps or repeats', async () => {
    for (const sort of ['title', '-title', '-updatedAt', 'validTo']) {
      const all = (await list(`sort=${sort}`)).items.map((i) => i.id);
      expect(all).toHaveLength(24);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ListBody = await api.ok<ListBody>(
          await api.call('GET', `/v1/agreements?sort=${sort}&limit=5${cursor ? `&cursor=${cursor}` : ''}`, { org: NJ.region, role: 'auditor' }),
        );
        expect(page.items.length).toBeLessThanOrEqual(5);
        paged.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all);
    }
    const byTitle = await titles('sort=title');
    expect(byTitle).toEqual([...byTitle].sort((x, y) => (x < y ? -1 : 1)));
    expect((await list('sort=validTo')).items[0]?.id).toBe(expiringId);
    await expectProblem(await api.call('GET', '/v1/agreements?sort=title&cursor=bm90LWEtY3Vyc29y', { org: NJ.region, role: 'auditor' }), 400, 'cursor-invalid');
  });

  it('exports the filtered overview as CSV', async () => {
    const response = await api.call('GET', `/v1/agreements?format=csv&party=${NJ.gpClinic}&purpose=treatment`, { org: NJ.region, role: 'auditor' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,title,status,version,side_a,side_a_approver,side_b,side_b_approver,direction,data_elements,purposes,roles,minimum_assurance,legal_basis,legal_reference,valid_from,valid_to,updated_at',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',Almen praksis i Region Nordjylland og Børne- og Ungdomspsykiatrien,active,1,unit-type:394761003@region:1081,9500011000016001,');
    expect(lines[1]).toContain('"Sundhedsloven § 41, stk. 2, nr. 1 (behandling); pilotaftale Nordjylland 2025"');
    const viaAccept = await api.call('GET', '/v1/agreements?q=Thisted', { org: NJ.region, role: 'auditor' }, undefined, { Accept: 'text/csv' });
    expect((await viaAccept.text()).trimEnd().split('\r\n')).toHaveLength(3);
  });

  it('explains what a GP clinic may do under the pilot agreements, and why not where not', async () => {
    const explain = async (query: string) =>
      api.ok<{ organisation: { name: string }; entries: { agreement: { title: string }; reach: { kind: string; name?: string | null }[]; reasons: string[]; usable: boolean }[] }>(
        await api.call('GET', `/v1/access/explain?${query}`, { org: NJ.region, role: 'agreement-admin' }),
      );
    const all = await explain(`organisation=${NJ.gpClinic}&role=clinician`);
    expect(all.organisation.name).toBe('Lægepraksis Anne Kjærsgaard');
    expect(all.entries).toHaveLength(12);
    const bup = all.entries.find((e) => e.agreement.title.endsWith('Børne- og Ungdomspsykiatrien'));
    expect(bup).toMatchObject({ usable: true, reasons: [], reach: [{ kind: 'subtree', name: 'Børne- og Ungdomspsykiatrisk Afdeling' }] });

    const forTreatment = await explain(`organisation=${NJ.gpClinic}&role=clinician&purpose=treatment&assurance=substantial`);
    expect(forTreatment.entries.filter((e) => e.usable)).toHaveLength(1);
    expect(forTreatment.entries.filter((e) => !e.usable).every((e) => e.reasons.includes('purpose-not-covered'))).toBe(true);

    const lowAssurance = await explain(`organisation=${NJ.gpClinic}&role=clinician&assurance=low`);
    expect(lowAssurance.entries.every((e) => e.reasons.includes('assurance-too-low'))).toBe(true);

    await expectProblem(await api.call('GET', `/v1/access/explain?organisation=${NJ.gpClinic}&role=clinician`, { org: NJ.gpClinic, role: 'clinician' }), 403, 'forbidden-role');
  });

  it('covers a GP practice that opens after the agreement was made, once the directory reloads', async () => {
    const owner = '9519011000016001';
    const practice = '9519021000016002';
    const clinic = '9519031000016003';
    const request = {
      caller: { organisationSor: clinic, role: 'clinician' as const, assurance: 'substantial' as const, purpose: 'treatment' as const },
      action: 'case-existence' as const,
      targetSor: NJ.teamAalborg,
      at: new Date(),
    };
    expect(broker.broker.agreements.decide(request)).toMatchObject({ effect: 'deny', reasons: ['organisation-unknown'] });
    await insertOrganisations(database.db, [
      organisation(owner, null, { regionCode: '1081', municipalityCode: '851', ownerType: 'private' }),
      organisation(practice, owner, { level: 'health-institution', unitType: '394761003' }),
      organisation(clinic, practice, { ydernummer: '099999' }),
    ]);
    await broker.broker.directory.reload();
    expect(broker.broker.agreements.decide(request)).toMatchObject({ effect: 'permit' });
  });

  it('decides lookups between the pilot parties', async () => {
    const at = new Date();
    const gp = { organisationSor: NJ.gpClinic, role: 'clinician' as const, assurance: 'substantial' as const };
    expect(broker.broker.agreements.decide({ caller: { ...gp, purpose: 'treatment' }, action: 'case-existence', targetSor: NJ.teamAalborg, at })).toMatchObject({
      effect: 'permit',
    });
    expect(broker.broker.agreements.decide({ caller: { ...gp, purpose: 'case-assessment' }, action: 'correspondence', targetSor: NJ.hjoerringPpr, at })).toMatchObject({
      effect: 'permit',
    });
    // Not a party: the municipality's health visitors.
    expect(broker.broker.agreements.decide({ caller: { ...gp, purpose: 'case-assessment' }, action: 'case-existence', targetSor: '9520031000016003', at })).toMatchObject({
      effect: 'deny',
      reasons: ['no-agreement'],
    });
  });
});
