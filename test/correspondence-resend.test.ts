/**
 * Delivery under trouble: a gateway that answers 503 is retried with backoff and, retries
 * exhausted, the message is marked failed; a message never
 * acknowledged is resent with a new Bundle.id and the same MessageHeader.id at most twice, then
 * marked failed and shown as failed in the sender's list. (Acknowledgement timeout: 1 s here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { parseCareCommunication, readFhirMessage, unwrapVansEnvelope } from '../adapters/medcom/index.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, type TestGateway, eventually, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

describe.each(databaseKinds())('correspondence delivery and resends (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: ROOTS });
    broker = await startTestBroker({
      database,
      issuers: [sts],
      env: { MEDCOM_GATEWAY_URL: gateway.url, BROKER_JOBS_POLLING_SECONDS: '0.5', MEDCOM_ACK_TIMEOUT_SECONDS: '1', MEDCOM_MAX_RESENDS: '2', MEDCOM_DELIVERY_RETRY_LIMIT: '2', MEDCOM_DELIVERY_RETRY_DELAY_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const send = async () => {
    const token = await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
    const res = await broker.request('/v1/correspondence', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        receiverSor: MC.teamAalborg,
        patient: { cpr: '0303201234', given: ['Noah'], family: 'Berg' },
        category: 'carecoordination',
        text: 'Status?',
        author: { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '98123456' },
      }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string; messageHeaderId: string; bundleId: string };
  };
  const deliveredBundles = (messageHeaderId: string) =>
    gateway.envelopes
      .map((xml) => parseCareCommunication(readFhirMessage(unwrapVansEnvelope(xml).payload).bundle))
      .filter((m) => m.messageHeaderId === messageHeaderId)
      .map((m) => m.bundleId);
  const row = (id: string) => database.db.selectFrom('correspondence_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('resends without acknowledgement twice with new Bundle ids and the same MessageHeader id, then fails', async () => {
    const sent = await send();
    const failed = await eventually(async () => {
      const r = await row(sent.id);
      return r.status === 'failed' ? r : undefined;
    }, 20_000);
    expect(failed.resends).toBe(2);
    expect(failed.failure).toMatch(/no acknowledgement/);
    const bundles = deliveredBundles(sent.messageHeaderId);
    expect(bundles).toHaveLength(3);
    expect(new Set(bundles).size).toBe(3);
    expect(bundles[0]).toBe(sent.bundleId);

    const token = await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
    const list = await broker.request('/v1/correspondence/search', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'failed' }) });
    expect(((await list.json()) as { items: Array<{ id: string; status: string }> }).items.map((i) => i.id)).toContain(sent.id);
  });

  it('retries a gateway that is temporarily unavailable', async () => {
    gateway.mode = 'fail';
    const sent = await send();
    await eventually(async () => ((await row(sent.id)).attempts >= 1 ? true : undefined));
    expect((await row(sent.id)).status).toBe('queued');
    expect(deliveredBundles(sent.messageHeaderId)).toHaveLength(0);
    gateway.mode = 'ok';
    await eventually(() => deliveredBundles(sent.messageHeaderId).length > 0, 20_000);
  });
  it('marks a message failed once the delivery retries are exhausted', async () => {
    gateway.mode = 'fail';
    try {
      const sent = await send();
      const failed = await eventually(async () => {
        const r = await row(sent.id);
        return r.status === 'failed' ? r : undefined;
      }, 25_000);
      expect(failed.attempts).toBe(3);
      expect(failed.failure).toMatch(/503.*retries exhausted/);
      expect(deliveredBundles(sent.messageHeaderId)).toHaveLength(0);
    } finally {
      gateway.mode = 'ok';
    }
  });
});
