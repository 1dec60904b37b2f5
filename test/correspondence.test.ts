/**
 * Correspondence end to end over HTTP: send (new, reply) from a GP clinic to child psychiatry,
 * delivery to a loopback MedCom gateway in a VANSEnvelope, the receiver's side through the
 * inbound endpoint, acknowledgements, inbox filters, read marks, threads, audit, and the refusals.
 */
import { sql } from 'kysely';
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
import { MC, ROOTS, type TestGateway, createTestGatewayIssuer, eventually, gatewayEnv, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

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
    gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.test.example');
    broker = await startTestBroker({
      database,
      issuers: [sts, gatewayIssuer],
      env: {
        ...gatewayEnv(gatewayIssuer),
        MEDCOM_GATEWAY_URL: gateway.url,
        BROKER_JOBS_POLLING_SECONDS: '0.5',
        MEDCOM_MAX_ATTACHMENT_BYTES: '40000',
        MEDCOM_MAX_MESSAGE_BYTES: '100000',
        MEDCOM_XML_RECEIVERS: MC.aalborgPpr,
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
  it('the receiver gets the delivered message through the inbound endpoint, reads it, replies; both see the thread', async () => {
    const res = await post('/v1/correspondence', MC.gpClinic, newMessage({ category: 'other', topic: 'Kontaktperson' }));
    const sent = (await res.json()) as { id: string; messageHeaderId: string; threadKey: string };
    const delivered = await envelopeFor(sent.messageHeaderId);

    // The gateway hands the envelope to the receiving organisation (also served by this broker).
    const answer = await inbound(delivered.xml, 'application/xml');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('application/xml');
    const ackEnvelope = unwrapVansEnvelope(await answer.text());
    expect(ackEnvelope).toMatchObject({ documentName: 'MCM:FCTL#ok', senderEan: MC.childPsychiatryEan, receiverEan: MC.gpEan });

    const inbox = await post('/v1/correspondence/search', MC.teamAalborg, { direction: 'in', unread: true, patientCpr: CHILD.cpr });
    const items = ((await inbox.json()) as { items: Array<{ id: string; messageHeaderId: string; unread: boolean; counterpartSor: string }> }).items;
    const received = items.find((i) => i.messageHeaderId === sent.messageHeaderId);
    expect(received).toMatchObject({ unread: true, counterpartSor: MC.gpClinic });

    const read = await get(`/v1/correspondence/${received?.id}`, MC.teamAalborg);
    const detail = (await read.json()) as Record<string, unknown>;
    expect(detail).toMatchObject({ status: 'received', topic: 'Kontaktperson', category: 'other', patient: { cpr: CHILD.cpr }, sender: { sor: MC.gpClinic } });
    expect((detail['segments'] as Array<{ text: string }>)[0]?.text).toBe('Vi har set Emma i dag.\nHvem er kontaktperson?');
    const after = (await (await post('/v1/correspondence/search', MC.teamAalborg, { direction: 'in', unread: true })).json()) as { items: Array<{ id: string }> };
    expect(after.items.map((i) => i.id)).not.toContain(received?.id);

    // The other organisation cannot see it: not found, not forbidden.
    expect((await get(`/v1/correspondence/${received?.id}`, MC.aalborgPpr)).status).toBe(404);

    const reply = await post('/v1/correspondence', MC.teamAalborg, {
      kind: 'reply',
      previousMessageId: received?.id,
      category: 'other',
      topic: 'Kontaktperson',
      text: 'Kontaktperson er Ole, tlf. 97 64 00 00.',
      author: { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '97640000' },
    });
    expect(reply.status).toBe(202);
    const replied = (await reply.json()) as { id: string; messageHeaderId: string; threadKey: string };
    expect(replied.threadKey).toBe(sent.threadKey);
    const replyDelivered = await envelopeFor(replied.messageHeaderId);
    expect(replyDelivered.opened.receiverEan).toBe(MC.gpEan);
    expect((await inbound(replyDelivered.xml, 'application/xml')).status).toBe(200);

    // Child psychiatry forwards the GP's message to PPR (another agreement); it stays in the conversation.
    const forward = await post('/v1/correspondence', MC.teamAalborg, {
      kind: 'forward',
      previousMessageId: received?.id,
      receiverSor: MC.aalborgPpr,
      category: 'other',
      topic: 'Til orientering',
      text: 'Til orientering.',
      author: { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '97640000' },
    });
    expect(forward.status).toBe(202);
    const forwarded = (await forward.json()) as { messageHeaderId: string; threadKey: string };
    expect(forwarded.threadKey).toBe(sent.threadKey);
    const forwardDelivered = await envelopeFor(forwarded.messageHeaderId);
    expect(validateCareCommunication(forwardDelivered.bundle).filter((i) => i.severity === 'error')).toEqual([]);
    expect(parseCareCommunication(forwardDelivered.bundle).provenances.map((p) => p.activity)).toEqual(['new-message', 'forward-message']);

    const receiverThread = (await (await get(`/v1/correspondence/${received?.id}/thread`, MC.teamAalborg)).json()) as { items: Array<{ kind: string; direction: string }> };
    expect(receiverThread.items.map((i) => `${i.direction}:${i.kind}`)).toEqual(['in:new', 'out:reply', 'out:forward']);
    const senderThread = (await (await get(`/v1/correspondence/${sent.id}/thread`, MC.gpClinic)).json()) as { items: Array<{ kind: string; direction: string }> };
    expect(senderThread.items.map((i) => `${i.direction}:${i.kind}`)).toEqual(['out:new', 'in:reply']);

    const audit = await database.db.selectFrom('audit_event').select(['kind', 'patient_cpr', 'details']).where('kind', 'in', ['correspondence-received', 'correspondence-read']).execute();
    expect(audit.some((a) => a.kind === 'correspondence-received' && (a.details as Record<string, unknown>)['messageHeaderId'] === sent.messageHeaderId && a.patient_cpr === CHILD.cpr)).toBe(true);
    expect(audit.some((a) => a.kind === 'correspondence-read' && (a.details as Record<string, unknown>)['messageId'] === received?.id)).toBe(true);
  });

  it('lists sent messages with filters and pages', async () => {
    for (const category of ['nursing', 'nursing', 'medicine']) {
      expect((await post('/v1/correspondence', MC.gpClinic, newMessage({ category, patient: { ...CHILD, cpr: '0202201234' } }))).status).toBe(202);
    }
    const nursing = (await (await post('/v1/correspondence/search', MC.gpClinic, { direction: 'out', category: 'nursing', patientCpr: '0202201234' })).json()) as { items: unknown[] };
    expect(nursing.items).toHaveLength(2);
    const first = (await (await post('/v1/correspondence/search', MC.gpClinic, { patientCpr: '0202201234', limit: 2 })).json()) as { items: Array<{ id: string }>; nextCursor: string };
    expect(first.items).toHaveLength(2);
    const second = (await (await post('/v1/correspondence/search', MC.gpClinic, { patientCpr: '0202201234', limit: 2, cursor: first.nextCursor })).json()) as { items: Array<{ id: string }>; nextCursor: string | null };
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const byCounterpart = (await (await post('/v1/correspondence/search', MC.gpClinic, { counterpartSor: MC.aalborgPpr })).json()) as { items: unknown[] };
    expect(byCounterpart.items).toHaveLength(0);
    const someoneElse = (await (await post('/v1/correspondence/search', MC.aalborgPpr, { patientCpr: '0202201234' }, 'caseworker')).json()) as { items: unknown[] };
    expect(someoneElse.items).toHaveLength(0);
  });

  it('refuses what may not or cannot be sent, with a stable problem type', async () => {
    const expectProblem = async (res: Response, status: number, type: string) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { type: string; errors?: Array<{ rule: string }>; reasons?: string[] };
      expect(body.type).toBe(PROBLEM_BASE + type);
      return body;
    };
    const bigPdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(45_000, 0x20)]).toString('base64');
    const pdf30k = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(30_000, 0x20)]).toString('base64');
    await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ receiverSor: '9599991000016009' })), 422, 'unknown-receiver');
    const denied = await expectProblem(await post('/v1/correspondence', MC.aalborgPpr, newMessage({ receiverSor: '323041000016001' }), 'caseworker'), 403, 'access-denied');
    expect(denied.reasons?.length).toBeGreaterThan(0);
    await expectProblem(await post('/v1/correspondence', MC.gpClinic, { ...newMessage(), kind: 'reply', previousMessageId: crypto.randomUUID() }), 422, 'predecessor-unknown');
    const noTopic = await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ category: 'other' })), 422, 'message-invalid');
    expect(noTopic.errors?.map((e) => e.rule)).toEqual(['topic-missing-for-other']);
    const priority = await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ priority: 'asap' })), 422, 'message-invalid');
    expect(priority.errors?.map((e) => e.rule)).toEqual(['priority-not-allowed']);
    expect((await post('/v1/correspondence', MC.gpClinic, newMessage({ category: 'regarding-referral', priority: 'asap' }))).status).toBe(202);
    await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [{ contentType: 'image/png', title: 'scan', data: PDF }] })), 422, 'attachment-content-mismatch');
    await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [{ contentType: 'application/pdf', title: 'x', data: 'not*base64!' }] })), 422, 'attachment-invalid');
    await expectProblem(await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [{ contentType: 'application/pdf', title: 'big', data: bigPdf }] })), 413, 'attachment-too-large');
    await expectProblem(
      await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [1, 2, 3].map((n) => ({ contentType: 'application/pdf', title: `p${n}`, data: pdf30k })) })),
      413,
      'message-too-large',
    );
    expect((await post('/v1/correspondence', MC.gpClinic, newMessage({ attachments: [{ contentType: 'image/png', title: 'foto', data: PNG }] }))).status).toBe(202);
    // The gateway role may not send, and a clinician may not post to the gateway's door.
    const asGateway = await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const gatewaySend = await broker.request('/v1/correspondence', { method: 'POST', headers: { Authorization: `Bearer ${asGateway}`, 'Content-Type': 'application/json' }, body: JSON.stringify(newMessage()) });
    await expectProblem(gatewaySend, 403, 'forbidden-role');
    const clinicianInbound = await broker.request('/v1/medcom/inbound', { method: 'POST', headers: { Authorization: `Bearer ${await as(MC.gpClinic)}`, 'Content-Type': 'application/fhir+json' }, body: '{}' });
    await expectProblem(clinicianInbound, 403, 'forbidden-role');
  });
  it('sends FHIR XML to a receiver configured for XML', async () => {
    const res = await post('/v1/correspondence', MC.gpClinic, newMessage({ receiverSor: MC.aalborgPpr }));
    expect(res.status).toBe(202);
    const sent = (await res.json()) as { messageHeaderId: string };
    const delivered = await envelopeFor(sent.messageHeaderId);
    expect(delivered.opened).toMatchObject({ receiverEan: MC.aalborgPprEan, serviceTags: { 'MCM:MIME': 'application/fhir+xml' } });
    expect(Buffer.from(delivered.opened.payload).toString('utf8')).toMatch(/^<\?xml|^<Bundle/);
    expect(validateCareCommunication(delivered.bundle).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('fails closed when the audit cannot be written: nothing is stored or sent', async () => {
    const before = await database.db.selectFrom('correspondence_message').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    await sql`alter table audit_event rename to audit_event_away`.execute(database.db);
    try {
      const res = await post('/v1/correspondence', MC.gpClinic, newMessage());
      expect(res.status).toBe(503);
      expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}audit-unavailable`);
    } finally {
      await sql`alter table audit_event_away rename to audit_event`.execute(database.db);
    }
    const after = await database.db.selectFrom('correspondence_message').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await post('/v1/correspondence', MC.gpClinic, newMessage())).status).toBe(202);
  });
  it('documents its routes in the OpenAPI description', async () => {
    const doc = (await (await broker.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/correspondence', '/v1/correspondence/search', '/v1/correspondence/{id}', '/v1/correspondence/{id}/thread', '/v1/medcom/inbound']),
    );
  });
});
