/**
 * Correspondence end to end over HTTP: send (new, reply) from a GP clinic to child psychiatry,
 * delivery to a loopback MedCom gateway in a VANSEnvelope, the receiver's side through the
 * inbound endpoint, acknowledgements, inbox filters, read marks, threads, audit, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import {
  buildAcknowledgement,
  parseCareCommunication,
  readFhirMessage,
  unwrapVansEnvelope,
  validateCareCommunication,
  type JsonObject,
} from '../adapters/medcom/index.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, type TestGateway, eventually, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n').toString('base64');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
const CHILD = { cpr: '0101201234', given: ['Emma'], family: 'Jensen' };
const AUTHOR = { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '+45 98 12 34 56' };

describe.each(databaseKinds())('correspondence (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  let gatewayIssuer: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: ROOTS });
    gatewayIssuer = await createTestIssuer({ issuer: 'https://vans-gateway.test.example', organisations: [MC.region] });
    broker = await startTestBroker({
      database,
      issuers: [sts, gatewayIssuer],
      env: {
        MEDCOM_GATEWAY_URL: gateway.url,
        BROKER_JOBS_POLLING_SECONDS: '0.5',
        MEDCOM_MAX_ATTACHMENT_BYTES: '40000',
        MEDCOM_MAX_MESSAGE_BYTES: '100000',
      },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const as = async (organisationSor: string, role: 'clinician' | 'caseworker' = 'clinician', purpose = 'coordinated-care') =>
    sts.token({ organisationSor, role, assurance: 'substantial', purposeOfUse: purpose });
  const post = async (path: string, organisationSor: string, body: unknown, role: 'clinician' | 'caseworker' = 'clinician') =>
    broker.request(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await as(organisationSor, role)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = async (path: string, organisationSor: string) => broker.request(path, { headers: { Authorization: `Bearer ${await as(organisationSor)}` } });
  const inbound = async (body: string, contentType = 'application/fhir+json') =>
    broker.request('/v1/medcom/inbound', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`,
        'Content-Type': contentType,
      },
      body,
    });
  const newMessage = (extra: Record<string, unknown> = {}) => ({
    kind: 'new',
    receiverSor: MC.teamAalborg,
    patient: CHILD,
    category: 'carecoordination',
    text: 'Vi har set Emma i dag.\nHvem er kontaktperson?',
    author: AUTHOR,
    ...extra,
  });
  /** The envelope the gateway received for this MessageHeader.id (latest). */
  const envelopeFor = (messageHeaderId: string) =>
    eventually(() =>
      gateway.envelopes
        .map((xml) => ({ xml, opened: unwrapVansEnvelope(xml) }))
        .filter((e) => e.opened.documentName?.startsWith('MCM:FDIS91'))
        .map((e) => ({ ...e, bundle: readFhirMessage(e.opened.payload).bundle }))
        .reverse()
        .find((e) => parseCareCommunication(e.bundle).messageHeaderId === messageHeaderId),
    );

  it('sends a new message: stored, delivered in a VANSEnvelope that passes inbound validation, acknowledged', async () => {
    const res = await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [{ contentType: 'application/pdf', title: 'Notat', data: PDF }] }));
    expect(res.status).toBe(202);
    const sent = (await res.json()) as { id: string; status: string; bundleId: string; messageHeaderId: string };
    expect(sent.status).toBe('queued');

    const delivered = await envelopeFor(sent.messageHeaderId);
    expect(delivered.opened).toMatchObject({
      senderEan: MC.gpEan,
      receiverEan: MC.childPsychiatryEan,
      documentName: 'MCM:FDIS91#carecoordination',
      serviceTags: { 'MCM:MIME': 'application/fhir+json' },
    });
    expect(validateCareCommunication(delivered.bundle).filter((i) => i.severity === 'error')).toEqual([]);
    const parsed = parseCareCommunication(delivered.bundle);
    expect(parsed).toMatchObject({ bundleId: sent.bundleId, sender: { sor: MC.gpClinic, gln: MC.gpEan }, receiver: { sor: MC.teamAalborg, gln: MC.childPsychiatryEan } });
    expect(parsed.patient.cpr).toBe(CHILD.cpr);
    expect(parsed.attachments[0]).toMatchObject({ contentType: 'application/pdf', title: 'Notat' });

    await eventually(async () => ((await (await get(`/v1/correspondence/${sent.id}`, MC.gpClinic)).json()) as { status: string }).status === 'sent');

    // The receiver's system answers through the gateway with an Acknowledgement.
    const ack = buildAcknowledgement({ answered: parsed, code: 'ok', ids: () => crypto.randomUUID(), clock: () => new Date() });
    const ackRes = await inbound(JSON.stringify(ack));
    expect(ackRes.status).toBe(200);
    expect(await ackRes.json()).toMatchObject({ messageId: sent.id, code: 'ok', status: 'acknowledged' });
    const read = (await (await get(`/v1/correspondence/${sent.id}`, MC.gpClinic)).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ status: 'acknowledged', acknowledgementCode: 'ok', direction: 'out', counterpartSor: MC.teamAalborg });

    const audit = await database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'correspondence-sent').execute();
    const record = audit.find((a) => (a.details as Record<string, unknown>)['messageHeaderId'] === sent.messageHeaderId);
    expect(record).toMatchObject({ outcome: 'success', patient_cpr: CHILD.cpr, actor_organisation: MC.gpClinic });
    expect(record?.details).toMatchObject({ counterpartSor: MC.teamAalborg, bundleId: sent.bundleId });
  });
});
