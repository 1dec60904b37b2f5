/**
 * Delivery under trouble: a gateway that answers 503 is retried with backoff and, retries
 * exhausted, the message is marked failed; a message never
 * acknowledged is resent with a new Bundle.id and the same MessageHeader.id at most twice, then
 * marked failed and shown as failed in the sender's list. (Acknowledgement timeout: 1 s here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { buildAcknowledgement, parseCareCommunication, readFhirMessage, unwrapVansEnvelope, type ParsedCareCommunication } from '../adapters/medcom/index.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, type DatabaseKind, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, type TestGateway, createTestGatewayIssuer, eventually, gatewayEnv, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

/** The message every test here sends: GP clinic to the child psychiatry team in Aalborg. */
const MESSAGE = {
  receiverSor: MC.teamAalborg,
  patient: { cpr: '0303201234', given: ['Noah'], family: 'Berg' },
  category: 'carecoordination',
  text: 'Status?',
  author: { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '98123456' },
};

/** A database with the MedCom organisations, a test VANS gateway, issuers for staff and for the gateway, and a broker configured by `env`. */
async function setUp(kind: DatabaseKind, env: Record<string, string>) {
  const database = await createTestDatabase(kind);
  await seedCorrespondenceDirectory(database.db);
  const gateway = await startTestGateway();
  const sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: ROOTS });
  const gatewayIssuer = await createTestGatewayIssuer('https://vans.test.example', ROOTS);
  const broker = await startTestBroker({ database, issuers: [sts, gatewayIssuer], env: { ...gatewayEnv(gatewayIssuer), MEDCOM_GATEWAY_URL: gateway.url, BROKER_JOBS_POLLING_SECONDS: '0.5', ...env } });
  return { database, gateway, sts, gatewayIssuer, broker };
}

async function tearDown(s: { database?: DatabaseHandle; broker?: TestBroker; gateway?: TestGateway }): Promise<void> {
  await s.broker?.close();
  await s.gateway?.close();
  await s.database?.close();
}

describe.each(databaseKinds())('correspondence delivery and resends (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;

  beforeAll(async () => {
    ({ database, broker, gateway, sts } = await setUp(kind, { MEDCOM_ACK_TIMEOUT_SECONDS: '1', MEDCOM_MAX_RESENDS: '2', MEDCOM_DELIVERY_RETRY_LIMIT: '2', MEDCOM_DELIVERY_RETRY_DELAY_SECONDS: '1' }));
  });
  afterAll(() => tearDown({ database, broker, gateway }));

  const send = async () => {
    const token = await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
    const res = await broker.request('/v1/correspondence', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(MESSAGE),
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

/**
 * A transient-error acknowledgement ("try again later") brings the resend forward: here the
 * acknowledgement timeout is an hour, so without it nothing would be resent during the test.
 */
describe.each(databaseKinds())('correspondence after a transient-error acknowledgement (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  let gatewayIssuer: TestIssuer;

  beforeAll(async () => {
    ({ database, broker, gateway, sts, gatewayIssuer } = await setUp(kind, { MEDCOM_ACK_TIMEOUT_SECONDS: '3600', MEDCOM_TRANSIENT_RESEND_SECONDS: '1', MEDCOM_MAX_RESENDS: '1' }));
  });
  afterAll(() => tearDown({ database, broker, gateway }));

  const delivered = (messageHeaderId: string) =>
    gateway.envelopes
      .map((xml) => parseCareCommunication(readFhirMessage(unwrapVansEnvelope(xml).payload).bundle))
      .filter((m) => m.messageHeaderId === messageHeaderId);
  const row = (id: string) => database.db.selectFrom('correspondence_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const acknowledge = async (answered: ParsedCareCommunication, code: 'ok' | 'transient-error') => {
    const ack = buildAcknowledgement({
      answered, code, ids: () => crypto.randomUUID(), clock: () => new Date(),
      ...(code === 'ok' ? {} : { issues: [{ code: 'MSG_Mailbox_Out_Of_Operation', message: 'Systemet er midlertidigt utilgængeligt' }] }),
    });
    const token = await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const res = await broker.request('/v1/medcom/inbound', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(ack) });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; code: string };
  };

  it('resends soon with a new Bundle id, is acknowledged the second time; repeated transient errors end in failed', async () => {
    // Tokens are single-use: a fresh one per message.
    const post = async () =>
      broker.request('/v1/correspondence', {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' })}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(MESSAGE),
      });
    const first = (await (await post()).json()) as { id: string; messageHeaderId: string; bundleId: string };
    const original = await eventually(() => delivered(first.messageHeaderId)[0]);
    await eventually(async () => ((await row(first.id)).status === 'sent' ? true : undefined));

    expect(await acknowledge(original, 'transient-error')).toMatchObject({ code: 'transient-error', status: 'sent' });
    expect((await row(first.id)).failure).toBe('transient-error: MSG_Mailbox_Out_Of_Operation');
    const resent = await eventually(() => delivered(first.messageHeaderId)[1], 10_000);
    expect(resent.bundleId).not.toBe(first.bundleId);
    await eventually(async () => ((await row(first.id)).status === 'sent' ? true : undefined));
    expect(await acknowledge(resent, 'ok')).toMatchObject({ status: 'acknowledged' });
    expect(await row(first.id)).toMatchObject({ status: 'acknowledged', resends: 1, failure: null });

    // Another message: "try again later" after its only allowed resend too, so it fails, saying why.
    const second = (await (await post()).json()) as { id: string; messageHeaderId: string };
    await acknowledge(await eventually(() => delivered(second.messageHeaderId)[0]), 'transient-error');
    const again = await eventually(() => delivered(second.messageHeaderId)[1], 10_000);
    await eventually(async () => ((await row(second.id)).status === 'sent' ? true : undefined));
    await acknowledge(again, 'transient-error');
    const failed = await eventually(async () => {
      const r = await row(second.id);
      return r.status === 'failed' ? r : undefined;
    }, 10_000);
    expect(failed.failure).toBe('transient-error: MSG_Mailbox_Out_Of_Operation (after 1 resend)');
    expect(delivered(second.messageHeaderId)).toHaveLength(2);
  });
});
