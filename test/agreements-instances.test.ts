/**
 * Two broker instances on one PostgreSQL server: an approval made through one takes effect in
 * the other's access decision (LISTEN/NOTIFY, with version polling behind it). The embedded
 * database is one process's and cannot be shared, so this runs on the server kind only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connection.js';
import type { DecisionRequest } from '../src/agreements/decision.js';
import { NJ, client, eventually, nationalIssuer, seedNorthJutland, terms } from './helpers/agreements.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { createTestDatabase } from './helpers/database.js';

describe.skipIf(!process.env.TEST_DATABASE_URL)('agreements across broker instances on postgres', () => {
  let database: DatabaseHandle;
  let second: DatabaseHandle;
  let a: TestBroker;
  let b: TestBroker;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const orgs = await seedNorthJutland(database);
    second = await openDatabase({ kind: 'server', url: database.url, poolSize: 4 });
    const issuer = await nationalIssuer(orgs);
    a = await startTestBroker({ database, issuers: [issuer] });
    b = await startTestBroker({ database: second, issuers: [issuer] });
    api = client(a, issuer);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await second?.close();
    await database?.close();
  });

  it("sees an approval made through the other instance in its decisions, and a revocation", async () => {
    const request: DecisionRequest = {
      caller: { organisationSor: NJ.teamAalborg, role: 'clinician', assurance: 'substantial', purpose: 'coordinated-care' },
      action: 'case-existence',
      targetSor: NJ.aalborgPpr,
      at: new Date(),
    };
    expect(b.broker.agreements.decide(request)).toMatchObject({ effect: 'deny', reasons: ['no-agreement'] });
    const created = await api.create(NJ.region, terms());
    await api.submit(NJ.region, created.id);
    await api.approve(NJ.region, created.id, 1);
    await eventually(() => expect(b.broker.agreements.decide(request)).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] }));
    const started = Date.now();
    await api.approve(NJ.aalborg, created.id, 1);
    await eventually(() => expect(b.broker.agreements.decide(request)).toMatchObject({ effect: 'permit', agreements: [{ id: created.id, version: 1 }] }), 3000);
    // LISTEN/NOTIFY, not the 2-second poll, carried it.
    expect(Date.now() - started).toBeLessThan(1500);

    await api.ok(await api.call('POST', `/v1/agreements/${created.id}/revoke`, { org: NJ.aalborg }, { reason: 'ended' }));
    await eventually(() => expect(b.broker.agreements.decide(request)).toMatchObject({ effect: 'deny', reasons: ['agreement-not-active'] }), 3000);
  });
});
