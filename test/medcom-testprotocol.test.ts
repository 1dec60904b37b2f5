/**
 * MedCom's test protocol for CareCommunication 5.0 as a suite: every case of the receive protocol
 * and each send case the broker can perform, run over real HTTP with MedCom's own example
 * messages (fixtures/medcom/testprotocol), with the acknowledgement each case expects and what the
 * user sees: the message shown once, in which thread, unread until read. Case numbers are the
 * protocol's (CareCommunication_Testprotocol_Receive/Send, v5.0.0); the README lists which pass.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import {
  parseAcknowledgement,
  parseCareCommunication,
  readFhirMessage,
  readXctl03,
  readXdis91,
  unwrapVansEnvelope,
  xdis91ToCareCommunication,
  type JsonObject,
  type ParsedCareCommunication,
} from '../adapters/medcom/index.js';
import { fixtureBundle, fixtureBytes, protocolExampleName } from './helpers/medcom-samples.js';
import { loadFixtureAgreements } from '../src/agreements/seed.js';
import { insertAgreement } from '../src/agreements/store.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, SAMPLE_ORGANISATIONS, type TestGateway, createTestGatewayIssuer, eventually, gatewayEnv, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

const PROTOCOL_DIR = new URL('../fixtures/medcom/testprotocol/', import.meta.url);
const PARTIES = (JSON.parse(readFileSync(new URL('parties.json', PROTOCOL_DIR), 'utf8')) as { organisations: Array<{ sor: string; gln: string; name: string }> }).organisations;

interface Detail {
  id: string;
  kind: string;
  unread: boolean;
  threadKey: string;
  category: string;
  topic: string | null;
  priority: string | null;
  episodeOfCareId: string | null;
  sender: { sor: string | null; ean: string | null; name: string | null };
  receiver: { sor: string | null; ean: string | null; name: string | null };
  patient: { cpr: string | null; replacementCpr: string | null; given: string[]; family: string | null; identifiers: Array<{ kind: string; value: string }> };
  recipient: { name?: string } | null;
  segments: Array<{ identifier: string | null; date: string | null; author: { name?: string; role?: string } | null; authorContact: string | null; organization: { name: string | null; sor: string | null } | null; text: string | null }>;
  attachments: Array<{ index: number; title: string | null; contentType: string | null; url: string | null; hasContent: boolean; date: string | null; author: { name?: string } | null; authorContact: string | null; creation: string | null }>;
  notes: string[];
}
interface Summary { id: string; messageHeaderId: string; threadKey: string; unread: boolean; kind: string; direction: string; counterpartSor: string }

describe.each(databaseKinds())('MedCom test protocol, CareCommunication 5.0 (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  let gatewayIssuer: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    const known = new Set(SAMPLE_ORGANISATIONS.map((o) => o.sor));
    const now = new Date();
    await database.db
      .insertInto('organisation')
      .values(
        PARTIES.filter((o) => !known.has(o.sor)).map((o) => ({
          sor: o.sor, parent_sor: null, level: 'institution-owner', name: o.name, unit_type: null, owner_type: null, region_code: null,
          municipality_code: null, ydernummer: null, shak_code: null, own_eans: [o.gln], valid_from: '2010-01-01', valid_to: null, local: false,
          path: `/${o.sor}/`, details: JSON.stringify({ addresses: [], phones: [], emails: [], websites: [], specialities: [], replacedBy: [], eans: [] }),
          content_hash: `test-${o.sor}`, removed_at: null, recorded_at: now,
        })),
      )
      .execute();
    for (const record of await loadFixtureAgreements(new URL('agreements.json', PROTOCOL_DIR).pathname)) await insertAgreement(database.db, record, now);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: [...ROOTS, ...PARTIES.map((o) => o.sor)] });
    gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.test.example');
    broker = await startTestBroker({
      database,
      issuers: [sts, gatewayIssuer],
      env: { ...gatewayEnv(gatewayIssuer), MEDCOM_GATEWAY_URL: gateway.url, BROKER_JOBS_POLLING_SECONDS: '0.5', MEDCOM_MAX_MESSAGE_BYTES: '2000000', MEDCOM_MAX_ATTACHMENT_BYTES: '1000000' },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const token = (sor: string) => sts.token({ organisationSor: sor, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
  const api = async (path: string, sor: string, body?: unknown) =>
    broker.request(path, body === undefined
      ? { headers: { Authorization: `Bearer ${await token(sor)}` } }
      : { method: 'POST', headers: { Authorization: `Bearer ${await token(sor)}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  /** Loads a message the way the gateway delivers it: its bytes as published, JSON or XML. */
  const load = async (body: Buffer | string, xml: boolean) => {
    const res = await broker.request('/v1/medcom/inbound', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`,
        'Content-Type': xml ? 'application/fhir+xml' : 'application/fhir+json',
      },
      body,
    });
    expect(res.status).toBe(200);
    const answer = Buffer.from(await res.arrayBuffer());
    // An envelope is answered in an envelope.
    const payload = answer.includes('VANSEnvelope') ? unwrapVansEnvelope(answer.toString('utf8')).payload : answer;
    const ack = parseAcknowledgement(readFhirMessage(payload).bundle);
    return { outcome: res.headers.get('x-medcom-outcome'), ack };
  };
  const loadExample = async (direction: 'receive' | 'send', id: string, change?: (b: JsonObject) => void) => {
    const name = protocolExampleName(direction, id);
    const message = parseCareCommunication(fixtureBundle(name));
    if (!change) return { ...(await load(fixtureBytes(name), name.endsWith('.xml'))), message };
    const bundle = fixtureBundle(name);
    change(bundle);
    return { ...(await load(JSON.stringify(bundle), false)), message };
  };
  /** The receiving organisation's copies of a message: the user sees exactly these. */
  const shown = async (receiverSor: string, messageHeaderId: string): Promise<Summary[]> => {
    const res = await api('/v1/correspondence/search', receiverSor, { direction: 'in', limit: 200 });
    return ((await res.json()) as { items: Summary[] }).items.filter((i) => i.messageHeaderId === messageHeaderId);
  };
  const open = async (id: string, sor: string): Promise<Detail> => (await (await api(`/v1/correspondence/${id}`, sor)).json()) as Detail;
  const thread = async (id: string, sor: string) => (await (await api(`/v1/correspondence/${id}/thread`, sor)).json()) as { threadKey: string; items: Summary[] };
  /** The acknowledgement the broker sent through the VANS gateway for a message, to its sender's GLN. */
  const deliveredAck = (message: ParsedCareCommunication) =>
    eventually(() =>
      gateway.envelopes
        .map((e) => unwrapVansEnvelope(e))
        .filter((e) => (e.documentName ?? "").startsWith('MCM:FCTL'))
        .map((e) => ({ envelope: e, ack: parseAcknowledgement(readFhirMessage(e.payload).bundle) }))
        .filter((x) => x.ack.answeredMessageHeaderId === message.messageHeaderId),
    ).then((all) => all);
  const receiverOf = (m: ParsedCareCommunication): string => m.receiver.sor as string;

  const envelopeFor = (messageHeaderId: string) =>
    eventually(() =>
      gateway.envelopes
        .map((xml) => ({ xml, opened: unwrapVansEnvelope(xml) }))
        .filter((e) => e.opened.documentName?.startsWith('MCM:FDIS91'))
        .map((e) => ({ ...e, bundle: readFhirMessage(e.opened.payload).bundle }))
        .reverse()
        .find((e) => parseCareCommunication(e.bundle).messageHeaderId === messageHeaderId),
    );
  const send = async (sor: string, body: Record<string, unknown>) => {
    const res = await api('/v1/correspondence', sor, body);
    return { status: res.status, body: (await res.json()) as { id: string; messageHeaderId: string; threadKey: string; type?: string; errors?: Array<{ rule: string }> } };
  };
  const AUTHOR = { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '97640000' };
  /** Loads an example and opens the one copy the receiver is shown. */
  const receiveAndOpen = async (direction: 'receive' | 'send', id: string) => {
    const loaded = await loadExample(direction, id);
    expect({ outcome: loaded.outcome, code: loaded.ack.code }).toEqual({ outcome: 'stored', code: 'ok' });
    const copies = await shown(receiverOf(loaded.message), loaded.message.messageHeaderId as string);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.unread).toBe(true);
    return { ...loaded, row: copies[0] as Summary, detail: await open(copies[0]?.id as string, receiverOf(loaded.message)) };
  };
  const attachmentBytes = (id: string, contentType: string): string => {
    const tekA = fixtureBundle(protocolExampleName('receive', 'R-Tek-A'));
    const found = parseCareCommunication(tekA).attachments.find((a) => a.contentType === contentType);
    if (!found?.data) throw new Error(`${id}: no ${contentType}`);
    return found.data;
  };
  const CHILD = { cpr: '2509479989', given: ['Bruno'], family: 'Elmer' };
  const SUNDHEDSPLEJEN = '330461000016004';
  const ARDEN = '382871000016004';
  const HJERTE = '265161000016000';
  const OESTERBRO = '1017421000016003';
  const XDIS91 = '325251000016005';

  describe('receive: content and flow (3.1)', () => {
    it('R1 (3.1.1): a new message: acknowledged ok, shown once, unread and marked new, with all the user must see', async () => {
      const { detail, row, message } = await receiveAndOpen('receive', 'R-A');
      expect(row.kind).toBe('new');
      expect(detail).toMatchObject({
        patient: { cpr: message.patient.cpr, given: message.patient.given, family: message.patient.family },
        category: 'extended-care-responsibility',
        categoryDisplay: 'Udvidet behandlingsansvar',
        topic: message.topic,
        sender: { sor: message.sender.sor, name: message.sender.name },
        receiver: { sor: message.receiver.sor, name: message.receiver.name },
        recipient: { name: message.recipient?.name },
      });
      expect(detail.segments.length).toBeGreaterThan(0);
      expect(detail.segments.every((s) => s.text && s.author?.name && s.date)).toBe(true);
      expect(detail.attachments.length).toBeGreaterThan(0);
      expect(detail.attachments.every((a) => a.title && a.date)).toBe(true);
      const withContent = detail.attachments.find((a) => a.hasContent);
      const file = await api(`/v1/correspondence/${row.id}/attachments/${withContent?.index}`, SUNDHEDSPLEJEN);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(withContent?.contentType);
      expect((await shown(SUNDHEDSPLEJEN, message.messageHeaderId as string))[0]?.unread).toBe(false);
    });

    it('R2 (3.1.2): a reply: marked reply, with its new segment and the earlier ones, each signed', async () => {
      const { detail, row, message } = await receiveAndOpen('receive', 'R-B');
      expect(row).toMatchObject({ kind: 'reply', threadKey: message.provenances.find((p) => p.activity === 'new-message')?.targetMessageHeaderId });
      expect(detail.segments.length).toBeGreaterThanOrEqual(2);
      expect(detail.segments.every((s) => s.text && s.author?.name)).toBe(true);
      expect(detail).toMatchObject({ sender: { name: message.sender.name }, receiver: { name: message.receiver.name }, topic: message.topic });
      expect(detail.attachments.every((a) => a.title)).toBe(true);
    });

    it('R3 (3.1.3): a forward: marked forward; each segment shows its author and the organisation they sign for', async () => {
      const { detail, row } = await receiveAndOpen('receive', 'R-C');
      expect(row.kind).toBe('forward');
      expect(detail.segments.length).toBeGreaterThanOrEqual(2);
      expect(detail.segments.every((s) => s.author?.name && s.organization?.name && s.organization.sor)).toBe(true);
      expect(new Set(detail.segments.map((s) => s.organization?.sor)).size).toBeGreaterThan(1);
    });
  });

  describe('receive: display content (3.2.1)', () => {
    let tekA: Detail;
    it('3.2.1.1 priority, 3.2.1.2 line breaks, 3.2.1.3 attachments with URL, 3.2.1.4 Zulu timestamps, 3.2.1.6 episode of care (R-Tek-A)', async () => {
      const { detail, row, message } = await receiveAndOpen('receive', 'R-Tek-A');
      tekA = detail;
      expect(detail.priority).toBe('asap');
      expect(detail.segments.some((s) => s.text?.includes('\n'))).toBe(true);
      expect(detail.attachments.map((a) => a.contentType ?? a.url)).toEqual(['application/pdf', 'image/gif', 'image/tiff', 'image/png', 'image/jpeg', 'image/bmp', 'https://medcom.dk/']);
      for (const a of detail.attachments.filter((x) => x.hasContent)) {
        const file = await api(`/v1/correspondence/${row.id}/attachments/${a.index}`, SUNDHEDSPLEJEN);
        expect([file.status, file.headers.get('content-type')]).toEqual([200, a.contentType]);
      }
      expect(detail.segments.map((s) => s.date)).toEqual(message.payloads.filter((p) => p.text !== undefined).map((p) => p.date));
      expect(detail.segments.every((s) => s.date?.endsWith('Z'))).toBe(true);
      expect(detail.episodeOfCareId).toBe(message.episodeOfCareIdentifier);
      expect(detail.episodeOfCareId).toBeTruthy();
    });

    it('3.2.1.5 timestamps with a time zone, 3.2.1.7 replacement CPR, 3.2.1.8 instance ids that are not UUIDs (R-Tek-B)', async () => {
      const { detail, message } = await receiveAndOpen('receive', 'R-Tek-B');
      expect(detail.segments.map((s) => s.date)).toEqual(message.payloads.filter((p) => p.text !== undefined).map((p) => p.date));
      expect(detail.segments.some((s) => /[+-]\d\d:\d\d$/.test(s.date ?? ''))).toBe(true);
      expect(detail.patient).toMatchObject({ replacementCpr: message.patient.replacementCpr });
      expect(detail.patient.identifiers.some((i) => i.kind === 'replacement-cpr')).toBe(true);
      expect(tekA).toBeDefined();
    });

    it('3.2.1.9 more information than the standard: loaded, the extra ignored (R-Tek-C)', async () => {
      await receiveAndOpen('receive', 'R-Tek-C');
    });

    it('3.2.1.10 two practitioners of one organisation, each with their own segment (R-Tek-H)', async () => {
      const { detail } = await receiveAndOpen('receive', 'R-Tek-H');
      const authors = new Set(detail.segments.map((s) => s.author?.name));
      expect(authors.size).toBeGreaterThanOrEqual(2);
    });

    it('3.2.1.11 sender and receiver names from SOR when the message has none (R-Tek-D)', async () => {
      const { detail, message } = await receiveAndOpen('receive', 'R-Tek-D');
      expect(message.sender.name).toBeUndefined();
      const name = (sor: string | undefined) => PARTIES.find((o) => o.sor === sor)?.name;
      expect(detail.sender).toMatchObject({ sor: message.sender.sor, name: name(message.sender.sor) });
      expect(detail.receiver).toMatchObject({ sor: message.receiver.sor, name: name(message.receiver.sor) });
    });
  });

  describe('receive: FHIR technicalities (3.2.2) and multiple CPR numbers (3.2.3)', () => {
    it('3.2.2.2 JSON and XML are both read and answered in the same encoding', async () => {
      const json = await loadExample('receive', 'R-Tek-J');
      expect(json).toMatchObject({ outcome: 'stored', ack: { code: 'ok' } });
      const xml = await broker.request('/v1/medcom/inbound', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`, 'Content-Type': 'application/fhir+xml' },
        // R-B (FHIR XML, read in 3.1.2) again: answered in XML, as a duplicate.
        body: fixtureBytes(protocolExampleName('receive', 'R-B')),
      });
      expect(xml.headers.get('x-medcom-outcome')).toBe('duplicate');
      expect([xml.status, xml.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/fhir+xml')]);
    });

    it.each([
      ['3.2.3.1', 'R-Tek-CPR-1', ['cpr', 'replacement-cpr']],
      ['3.2.3.2', 'R-Tek-CPR-2', ['cpr', 'replacement-cpr', 'replacement-cpr']],
      ['3.2.3.3', 'R-Tek-CPR-3', ['replacement-cpr', 'replacement-cpr']],
    ])('%s %s: every CPR number is shown; the message is filed under one', async (_case, id, kinds) => {
      const { detail, message } = await receiveAndOpen('receive', id);
      expect(detail.patient.identifiers.map((i) => i.kind).sort()).toEqual(kinds);
      expect(detail.patient.cpr ?? detail.patient.replacementCpr).toBe(message.patient.cpr ?? message.patient.replacementCpr);
    });
  });

  describe('receive: parallel replies (3.2.4)', () => {
    it('3.2.4.1-4: E loaded, a reply sent, F (a parallel reply to E) loaded: one thread, replies correlated, in written order, and the conversation continues', async () => {
      const e = await receiveAndOpen('receive', 'R-Tek-E');
      const reply = await send(ARDEN, { kind: 'reply', previousMessageId: e.row.id, category: 'nursing', text: 'Svar fra Arden Lægehus.', author: AUTHOR });
      expect(reply.status).toBe(202);
      // The reply travels through VANS to Hjerteafdelingen, also served here, where F arrives too.
      const delivered = await envelopeFor(reply.body.messageHeaderId);
      expect((await load(delivered.xml, true)).ack.code).toBe('ok');
      const f = await loadExample('receive', 'R-Tek-F');
      expect(f).toMatchObject({ outcome: 'stored', ack: { code: 'ok' } });
      const fRow = (await shown(HJERTE, f.message.messageHeaderId as string))[0] as Summary;
      const conversation = await thread(fRow.id, HJERTE);
      expect(conversation.items.map((i) => i.messageHeaderId).sort()).toEqual([reply.body.messageHeaderId, f.message.messageHeaderId].sort());
      expect(conversation.items.every((i) => (i as Summary & { inReplyTo: string }).inReplyTo === e.message.messageHeaderId)).toBe(true);
      const written = conversation.items.map((i) => Date.parse((i as Summary & { writtenAt: string }).writtenAt));
      expect([...written].sort((a, b) => a - b)).toEqual(written);
      // At Arden: E with both its replies known by their reference to E.
      const atArden = await thread(e.row.id, ARDEN);
      expect(atArden.items[0]).toMatchObject({ messageHeaderId: e.message.messageHeaderId, repliedBy: [reply.body.messageHeaderId] });
      // The conversation continues from the most recent message.
      const latest = conversation.items[conversation.items.length - 1] as Summary;
      const next = await send(HJERTE, { kind: 'reply', previousMessageId: latest.id, category: 'nursing', text: 'Tak, vi fortsætter.', author: AUTHOR });
      expect([next.status, next.body.threadKey]).toEqual([202, conversation.threadKey]);
    });
  });

  describe('receive: acknowledgements, order, duplicates, invalid messages (3.2.5-3.2.8)', () => {
    it('3.2.5 R-Tek-G is answered with an ok acknowledgement, delivered to its sender', async () => {
      const { message } = await receiveAndOpen('receive', 'R-Tek-G');
      const [delivered] = await deliveredAck(message);
      expect(delivered?.ack.code).toBe('ok');
      expect(delivered?.envelope.receiverEan).toBe(message.sender.gln);
    });

    it('3.2.6 a reply (R-Tek-H) received before the new message (R-Tek-I): one thread, ordered by the segments, both unread, the new one shown as replied', async () => {
      const h = parseCareCommunication(fixtureBundle(protocolExampleName('receive', 'R-Tek-H')));
      const hRow = (await shown(ARDEN, h.messageHeaderId as string))[0] as Summary;
      const i = await loadExample('receive', 'R-Tek-I');
      expect(i).toMatchObject({ outcome: 'stored', ack: { code: 'ok' } });
      const iRow = (await shown(ARDEN, i.message.messageHeaderId as string))[0] as Summary;
      expect(iRow).toMatchObject({ unread: true, threadKey: hRow.threadKey });
      const conversation = await thread(iRow.id, ARDEN);
      expect(conversation.items.map((x) => x.messageHeaderId)).toEqual([i.message.messageHeaderId, h.messageHeaderId]);
      expect(conversation.items[0]).toMatchObject({ repliedBy: [h.messageHeaderId], unread: true });
    });

    it('3.2.7.1-4 positive duplicate, same Bundle.id (R-Tek-J twice): ok both times, shown once, both acknowledgements to the sender', async () => {
      const again = await loadExample('receive', 'R-Tek-J');
      expect({ outcome: again.outcome, code: again.ack.code }).toEqual({ outcome: 'duplicate', code: 'ok' });
      expect(await shown(SUNDHEDSPLEJEN, again.message.messageHeaderId as string)).toHaveLength(1);
      const acks = await eventually(async () => ((await deliveredAck(again.message)).length >= 2 ? deliveredAck(again.message) : undefined));
      expect(acks.every((a) => a.ack.code === 'ok' && a.envelope.receiverEan === again.message.sender.gln)).toBe(true);
    });

    it('3.2.7.5-8 positive duplicate, new Bundle.id (R-Tek-K then R-Tek-L): ok both times, shown once', async () => {
      const k = await loadExample('receive', 'R-Tek-K');
      expect({ outcome: k.outcome, code: k.ack.code }).toEqual({ outcome: 'stored', code: 'ok' });
      const l = await loadExample('receive', 'R-Tek-L');
      expect(l.message.bundleId).not.toBe(k.message.bundleId);
      expect({ outcome: l.outcome, code: l.ack.code }).toEqual({ outcome: 'duplicate', code: 'ok' });
      expect(await shown(SUNDHEDSPLEJEN, k.message.messageHeaderId as string)).toHaveLength(1);
    });

    it('3.2.7.9-12 negative duplicate (R-Tek-M then R-Tek-N): fatal-error both times, to the sender; never shown', async () => {
      for (const id of ['R-Tek-M', 'R-Tek-N']) {
        const loaded = await loadExample('receive', id);
        expect({ outcome: loaded.outcome, code: loaded.ack.code }).toEqual({ outcome: 'rejected', code: 'fatal-error' });
        expect(loaded.ack.errors.map((e) => e.code)).toContain('MSG_CodeSystem_VALUE_UNKNOWN');
        expect(await shown(SUNDHEDSPLEJEN, loaded.message.messageHeaderId as string)).toEqual([]);
      }
      const m = parseCareCommunication(fixtureBundle(protocolExampleName('receive', 'R-Tek-M')));
      const acks = await eventually(async () => ((await deliveredAck(m)).length >= 2 ? deliveredAck(m) : undefined));
      expect(acks.every((a) => a.ack.code === 'fatal-error' && a.envelope.receiverEan === m.sender.gln)).toBe(true);
    });

    it('3.2.8 an invalid message (R-Tek-O without Communication.category): fatal-error saying what is wrong; not shown', async () => {
      const loaded = await loadExample('receive', 'R-Tek-O', (b) => {
        const communication = (b['entry'] as JsonObject[]).map((e) => e['resource'] as JsonObject).find((r) => r['resourceType'] === 'Communication') as JsonObject;
        delete communication['category'];
      });
      expect({ outcome: loaded.outcome, code: loaded.ack.code }).toEqual({ outcome: 'rejected', code: 'fatal-error' });
      expect(loaded.ack.errors).toEqual([expect.objectContaining({ code: 'MSG_CodeSystem_VALUE_UNKNOWN', diagnostics: expect.stringContaining('Communication.category') })]);
      expect(await shown(SUNDHEDSPLEJEN, loaded.message.messageHeaderId as string)).toEqual([]);
    });
  });

  describe('send: content and flow (3.3)', () => {
    let replyToSA: { id: string; messageHeaderId: string };
    let sA: ParsedCareCommunication;

    it('3.3.1 S1: a new message with category "other" needs a topic, allows no priority; the sent message carries signature, ids and Provenance', async () => {
      const base = { kind: 'new', receiverSor: OESTERBRO, patient: CHILD, category: 'other', text: 'Første linje.\nAnden linje.', author: AUTHOR };
      expect((await send(SUNDHEDSPLEJEN, base)).body).toMatchObject({ type: expect.stringContaining('message-invalid'), errors: [expect.objectContaining({ rule: 'topic-missing-for-other' })] });
      expect((await send(SUNDHEDSPLEJEN, { ...base, topic: 'Emne', priority: 'asap' })).body.errors?.map((e) => e.rule)).toContain('priority-not-allowed');
      const sent = await send(SUNDHEDSPLEJEN, { ...base, topic: 'Emne' });
      expect(sent.status).toBe(202);
      const { bundle, opened } = await envelopeFor(sent.body.messageHeaderId);
      const m = parseCareCommunication(bundle);
      expect(m).toMatchObject({ category: 'other', topic: 'Emne', patient: { cpr: CHILD.cpr, family: CHILD.family }, receiver: { sor: OESTERBRO } });
      expect(m.communicationIdentifier).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const own = m.provenances.find((p) => p.targetMessageHeaderId === m.messageHeaderId);
      expect(own?.activity).toBe('new-message');
      expect(own?.payloadIdentifiers).toEqual(m.payloads.map((p) => p.identifier));
      expect(m.payloads[0]).toMatchObject({ text: 'Første linje.\nAnden linje.', author: { name: 'Ole Madsen', role: 'laege' }, authorContact: AUTHOR.phone });
      expect(m.payloads[0]?.date).toBeTruthy();
      // 3.7 the VANSEnvelope
      expect(opened).toMatchObject({ senderEan: '5790001353308', receiverEan: '5790002408496', documentName: 'MCM:FDIS91#other', documentVersion: '5.0' });
      expect(opened.envelopeId).toBeTruthy();
      expect(opened.sentDateTime).toBeTruthy();
      // 3.4.5 narrative in every resource, never the attachment content
      expect((bundle['entry'] as JsonObject[]).every((e) => ((e['resource'] as JsonObject)['text'] as JsonObject | undefined)?.['div'])).toBe(true);
    });

    it('3.3.2 S1.A1+A5: "regarding-referral" with priority and no topic, with every permitted file type; other types refused', async () => {
      const files = ['application/pdf', 'image/gif', 'image/jpeg', 'image/png', 'image/tiff', 'image/bmp'].map((contentType) => ({ contentType, title: `Bilag ${contentType.split('/')[1]}`, data: attachmentBytes('3.3.2', contentType) }));
      const base = { kind: 'new', receiverSor: OESTERBRO, patient: CHILD, category: 'regarding-referral', priority: 'asap', text: 'Vedr. henvisningen.', author: AUTHOR };
      const refused = await send(SUNDHEDSPLEJEN, { ...base, attachments: [{ contentType: 'text/plain', title: 'Tekst', data: Buffer.from('hej').toString('base64') }] });
      expect(refused.status).toBe(422);
      const sent = await send(SUNDHEDSPLEJEN, { ...base, attachments: files });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m).toMatchObject({ category: 'regarding-referral', priority: 'asap' });
      expect(m.topic).toBeUndefined();
      expect(m.payloads.filter((p) => p.attachment).map((p) => [p.attachment?.title, p.attachment?.actualContentType, Boolean(p.identifier)])).toEqual(files.map((f) => [f.title, f.contentType, true]));
    });

    it('3.3.4 S2: a reply to S-A, category and topic changed: to the sender, same communication identifier, Provenance chain, earlier segments unchanged', async () => {
      const received = await receiveAndOpen('send', 'S-A');
      sA = received.message;
      const sent = await send(SUNDHEDSPLEJEN, { kind: 'reply', previousMessageId: received.row.id, category: 'carecoordination', topic: 'Nyt emne', text: 'Svar.', author: AUTHOR });
      expect(sent.status).toBe(202);
      replyToSA = sent.body;
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m).toMatchObject({ category: 'carecoordination', topic: 'Nyt emne', receiver: { sor: sA.sender.sor, gln: sA.sender.gln }, communicationIdentifier: sA.communicationIdentifier });
      const own = m.provenances.find((p) => p.targetMessageHeaderId === m.messageHeaderId);
      expect(own).toMatchObject({ activity: 'reply-message', previousMessageHeaderId: sA.messageHeaderId });
      expect(m.provenances.map((p) => p.id)).toEqual(expect.arrayContaining(sA.provenances.map((p) => p.id)));
      // 3.4.3 time: a new Bundle.timestamp and segment date, the earlier segments' dates unchanged
      expect(m.timestamp).not.toBe(sA.timestamp);
      for (const earlier of sA.payloads) expect(m.payloads.find((p) => p.identifier === earlier.identifier)?.date).toBe(earlier.date);
    });

    it('3.3.5 S2.A1: a reply to S-B with a new file: the earlier file by title and identifier only', async () => {
      const received = await receiveAndOpen('send', 'S-B');
      const sent = await send(OESTERBRO, { kind: 'reply', previousMessageId: received.row.id, category: 'regarding-referral', text: 'Svar med bilag.', author: AUTHOR, attachments: [{ contentType: 'application/pdf', title: 'Notat', data: attachmentBytes('3.3.5', 'application/pdf') }] });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      const earlier = received.message.attachments[0];
      const carried = m.attachments.find((a) => a.title === earlier?.title);
      expect(carried).toMatchObject({ title: earlier?.title });
      expect(carried?.data).toBeUndefined();
      expect(m.attachments.find((a) => a.title === 'Notat')?.data).toBeTruthy();
    });

    it('3.3.7 S2.A4: a reply to the own most recently sent message goes to the same receiver in the same thread', async () => {
      const sent = await send(SUNDHEDSPLEJEN, { kind: 'reply', previousMessageId: replyToSA.id, category: 'carecoordination', topic: 'Nyt emne', text: 'Tilføjelse.', author: AUTHOR });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m.receiver.sor).toBe(sA.sender.sor);
      expect(m.provenances.find((p) => p.targetMessageHeaderId === m.messageHeaderId)?.previousMessageHeaderId).toBe(replyToSA.messageHeaderId);
    });

    it('3.3.8 S3: a forward of S-C to a new receiver, category and topic changed: a new communication identifier, forward-message Provenance', async () => {
      const received = await receiveAndOpen('send', 'S-C');
      const sent = await send(OESTERBRO, { kind: 'forward', previousMessageId: received.row.id, receiverSor: SUNDHEDSPLEJEN, category: 'healthcare', topic: 'Videresendt', text: 'Til orientering.', author: AUTHOR });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m).toMatchObject({ category: 'healthcare', topic: 'Videresendt', receiver: { sor: SUNDHEDSPLEJEN } });
      expect(m.communicationIdentifier).not.toBe(received.message.communicationIdentifier);
      expect(m.provenances.find((p) => p.targetMessageHeaderId === m.messageHeaderId)?.activity).toBe('forward-message');
      expect(m.payloads.length).toBe(received.message.payloads.length + 1);
    });

    it('3.3.9 S3.A1: a forward of S-D with a new file: earlier files carried in full', async () => {
      const received = await receiveAndOpen('send', 'S-D');
      const sent = await send(OESTERBRO, { kind: 'forward', previousMessageId: received.row.id, receiverSor: SUNDHEDSPLEJEN, category: 'decease', text: 'Videresendes med bilag.', author: AUTHOR, attachments: [{ contentType: 'image/png', title: 'Billede', data: attachmentBytes('3.3.9', 'image/png') }] });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      for (const earlier of received.message.attachments.filter((a) => a.data)) expect(m.attachments.find((a) => a.title === earlier.title)?.data).toBe(earlier.data);
      expect(m.attachments.find((a) => a.title === 'Billede')?.data).toBeTruthy();
    });
  });

  describe('send: technical requirements (3.4-3.7)', () => {
    it('3.4.2.1 a new message about a child with a replacement CPR', async () => {
      const sent = await send(SUNDHEDSPLEJEN, { kind: 'new', receiverSor: OESTERBRO, patient: { replacementCpr: '0101017AB1', given: ['Ukendt'], family: 'Barn' }, category: 'healthcare', text: 'Om barnet.', author: AUTHOR });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m.patient.identifiers).toEqual([{ kind: 'replacement-cpr', value: '0101017AB1', system: expect.stringMatching(/^urn:oid:1\.2\.208\.176\.1\.6\.1\./) }]);
    });

    it.each([
      ['3.4.2.2', 'receive', 'R-Tek-CPR-1'],
      ['3.4.2.3', 'receive', 'R-Tek-CPR-2'],
      ['3.4.2.4', 'send', 'S-Tek-CPR'],
    ] as const)('%s a reply to %s %s includes every CPR number of the Patient', async (_case, direction, id) => {
      const message = parseCareCommunication(fixtureBundle(protocolExampleName(direction, id)));
      const existing = (await shown(XDIS91, message.messageHeaderId as string))[0] ?? (await receiveAndOpen(direction, id)).row;
      const sent = await send(XDIS91, { kind: 'reply', previousMessageId: existing.id, category: 'examination-results', text: 'Svar.', author: AUTHOR });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m.patient.identifiers.map((i) => i.value).sort()).toEqual(message.patient.identifiers.map((i) => i.value).sort());
    });

    it.each([['3.4.4.3', 'S-Tek-A', 'reply'], ['3.4.4.4', 'S-Tek-B', 'forward']] as const)('%s a %s (%s) keeps the episode-of-care identifier', async (_case, id, kind) => {
      const received = await receiveAndOpen('send', id);
      const sent = await send(OESTERBRO, { kind, previousMessageId: received.row.id, ...(kind === 'forward' ? { receiverSor: SUNDHEDSPLEJEN } : {}), category: 'examination-results', text: 'Svar.', author: AUTHOR });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      expect(m.episodeOfCareIdentifier).toBe(received.message.episodeOfCareIdentifier);
    });

    it('3.4.9 two practitioners of one organisation: a reply to S-Tek-C by a new practitioner keeps every earlier one', async () => {
      const received = await receiveAndOpen('send', 'S-Tek-C');
      const sent = await send(ARDEN, { kind: 'reply', previousMessageId: received.row.id, category: 'examination-results', text: 'Svar fra en anden læge.', author: { ...AUTHOR, given: ['Karen'], family: 'Lund' } });
      expect(sent.status).toBe(202);
      const m = parseCareCommunication((await envelopeFor(sent.body.messageHeaderId)).bundle);
      const names = new Set(m.payloads.map((p) => p.author?.name));
      for (const earlier of received.message.payloads) expect(names).toContain(earlier.author?.name);
      expect(names).toContain('Karen Lund');
    });

    it('3.6 a message over the size limit is refused before it is sent', async () => {
      const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1_100_000, 0x20)]).toString('base64');
      const refused = await send(SUNDHEDSPLEJEN, { kind: 'new', receiverSor: OESTERBRO, patient: CHILD, category: 'healthcare', text: 'Stor.', author: AUTHOR, attachments: [{ contentType: 'application/pdf', title: 'Stor', data: big }] });
      expect(refused.status).toBe(413);
    });
  });

  describe('OIOXML parties: XDIS91 letters received, answered with XCTL03 receipts', () => {
    const HJEMMEPLEJEN = '328051000016008';
    const xdis91 = fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml').toString('utf8');
    const postLetter = async (xml: string) =>
      broker.request('/v1/medcom/inbound', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`, 'Content-Type': 'application/xml' },
        body: xml,
      });
    let firstReceipt: Buffer;

    it("receives MedCom's Flow1 XDIS91 as the same stored CareCommunication, shown once and unread, answered with an XCTL03 receipt", async () => {
      const res = await postLetter(xdis91);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/xml; charset=iso-8859-1');
      expect(res.headers.get('x-medcom-outcome')).toBe('stored');
      firstReceipt = Buffer.from(await res.arrayBuffer());
      expect(firstReceipt.toString('latin1')).toMatch(/^<\?xml version="1.0" encoding="ISO-8859-1"\?>/);
      expect(readXctl03(firstReceipt)).toEqual(readXctl03(fixtureBytes('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml')));
      const letter = readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
      const converted = parseCareCommunication(xdis91ToCareCommunication(letter, { senderSor: '359001000016000', receiverSor: HJEMMEPLEJEN }));
      const copies = await shown(HJEMMEPLEJEN, converted.messageHeaderId as string);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({ unread: true, kind: 'new', counterpartSor: '359001000016000' });
      const detail = await open(copies[0]?.id as string, HJEMMEPLEJEN);
      expect(detail).toMatchObject({ topic: 'Forundersøgelse', category: 'other', patient: { cpr: '2512489996', family: 'Berggren', given: ['Nancy', 'Ann'] }, sender: { ean: '5790001382445' } });
      expect(detail.segments[0]?.text).toContain('Røntgen af hofte i to planer.\nBlodtryksresultat');
      expect(detail.attachments).toMatchObject([{ title: 'billede', contentType: 'application/pdf', hasContent: false }]);
      // The OIOXML sender gets its receipt, not a FHIR Acknowledgement.
      expect(gateway.envelopes.some((e) => { const a = unwrapVansEnvelope(e); return a.documentName?.startsWith('MCM:FCTL') && a.receiverEan === '5790001382445' && parseAcknowledgement(readFhirMessage(a.payload).bundle).answeredMessageHeaderId === converted.messageHeaderId; })).toBe(false);
    });

    it('a resent letter (same, or in a new envelope) is a duplicate: the same receipt, shown once', async () => {
      const same = await postLetter(xdis91);
      expect([same.status, same.headers.get('x-medcom-outcome')]).toEqual([200, 'duplicate']);
      expect(Buffer.from(await same.arrayBuffer()).equals(firstReceipt)).toBe(true);
      // Resent two hours later in a new envelope.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 3_600_000 });
      let resent: Response;
      try {
        resent = await postLetter(xdis91.replace('<Identifier>KuvNrerwerwe99</Identifier>', '<Identifier>KuvNrResend001</Identifier>'));
      } finally {
        vi.useRealTimers();
      }
      expect([resent.status, resent.headers.get('x-medcom-outcome')]).toEqual([200, 'duplicate']);
      // The original receipt (its own ids, its Sent time); it names the envelope it answers, so the sender can match it.
      expect(Buffer.from(await resent.arrayBuffer()).toString('latin1')).toBe(firstReceipt.toString('latin1').replace('KuvNrerwerwe99', 'KuvNrResend001'));
      const letter = readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
      const header = parseCareCommunication(xdis91ToCareCommunication(letter, { senderSor: '359001000016000', receiverSor: HJEMMEPLEJEN })).messageHeaderId as string;
      expect(await shown(HJEMMEPLEJEN, header)).toHaveLength(1);
    });

    it('reads a letter inside a VANSEnvelope too', async () => {
      const envelope = fixtureBytes('vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml').toString('utf8');
      const letter = xdis91.replace('<Identifier>KuvNrerwerwe99</Identifier>', '<Identifier>KuvNrInVans001</Identifier>');
      const data = Buffer.from(letter, 'utf8').toString('base64');
      const wrapped = envelope.replace(/<Data>[\s\S]*<\/Data>/, `<Data>${data}</Data>`).replace('<Name>MCM:XDIS22</Name>', '<Name>MCM:XDIS91</Name>').replace(/<SizeInBytes>\d+<\/SizeInBytes>/, `<SizeInBytes>${Buffer.byteLength(letter)}</SizeInBytes>`);
      const res = await postLetter(wrapped);
      expect([res.status, res.headers.get('x-medcom-outcome')]).toEqual([200, 'duplicate']); // the Flow1 letter again, in a new envelope
      expect(readXctl03(Buffer.from(await res.arrayBuffer())).originalLetterId).toBe('Brevt23400929');
    });

    it('refuses a letter whose envelope id was used by another letter, one to an unknown EAN, and one with a DTD', async () => {
      const reused = await postLetter(xdis91.replace('<Identifier>Brevt23400929</Identifier>', '<Identifier>BrevAndet0001</Identifier>'));
      expect(reused.status).toBe(422);
      expect(((await reused.json()) as { type: string }).type).toContain('oioxml-rejected');
      const unknown = await postLetter(xdis91.replaceAll('5790000121441', '5790000000005'));
      expect([unknown.status, ((await unknown.json()) as { type: string }).type]).toEqual([422, expect.stringContaining('oioxml-party-unknown')]);
      const dtd = await postLetter(xdis91.replace('?>', '?><!DOCTYPE Emessage [<!ENTITY x SYSTEM "file:///etc/passwd">]>'));
      expect(dtd.status).toBe(400);
    });

    it('reads a letter under the same limits as FHIR XML, bare or in a VANSEnvelope: too deep, too many nodes, NUL or a lone surrogate is 400 and nothing is stored', async () => {
      const HEADER = parseCareCommunication(xdis91ToCareCommunication(readXdis91(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml')), { senderSor: '359001000016000', receiverSor: HJEMMEPLEJEN })).messageHeaderId as string;
      const before = await shown(HJEMMEPLEJEN, HEADER);
      // Each a new letter (new letter id), so only the refusal keeps it out of the inbox.
      const variant = (n: number, inText: string) =>
        xdis91.replace('<Identifier>Brevt23400929</Identifier>', `<Identifier>BrevHostil${n}</Identifier>`).replace('<Identifier>KuvNrerwerwe99</Identifier>', `<Identifier>KuvNrHostil${n}</Identifier>`).replace('Røntgen af hofte', `${inText}Røntgen af hofte`);
      const deep = variant(1, `${'<br>'.repeat(80)}${'</br>'.repeat(80)}`);
      const wide = variant(2, '<br/>'.repeat(60_000));
      const nul = variant(3, '&#0;');
      const surrogate = variant(4, '&#xD800;');
      const inEnvelope = (letter: string) => {
        const envelope = fixtureBytes('vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml').toString('utf8');
        return envelope.replace(/<Data>[\s\S]*<\/Data>/, `<Data>${Buffer.from(letter, 'utf8').toString('base64')}</Data>`).replace(/<SizeInBytes>\d+<\/SizeInBytes>/, `<SizeInBytes>${Buffer.byteLength(letter)}</SizeInBytes>`);
      };
      for (const [body, type] of [
        [deep, 'message-too-complex'],
        [wide, 'message-too-complex'],
        [inEnvelope(deep), 'message-too-complex'],
        [nul, 'not-a-medcom-message'],
        [surrogate, 'not-a-medcom-message'],
        [inEnvelope(nul), 'not-a-medcom-message'],
      ] as const) {
        const res = await postLetter(body);
        expect([res.status, ((await res.json()) as { type: string }).type]).toEqual([400, expect.stringContaining(type)]);
      }
      expect(await shown(HJEMMEPLEJEN, HEADER)).toEqual(before);
      const rows = await database.db.selectFrom('correspondence_message').select('id').where('message_header_id', 'in', [1, 2, 3, 4].map((n) => parseCareCommunication(xdis91ToCareCommunication(readXdis91(variant(n, '')), { senderSor: '359001000016000', receiverSor: HJEMMEPLEJEN })).messageHeaderId as string)).execute();
      expect(rows).toEqual([]);
    });

    it('takes letters only from a configured gateway identity: another subject of the gateway issuer with the medcom-gateway role is 403 and nothing is stored', async () => {
      const letter = xdis91.replace('<Identifier>Brevt23400929</Identifier>', '<Identifier>BrevImpostor1</Identifier>').replace('<Identifier>KuvNrerwerwe99</Identifier>', '<Identifier>KuvNrImpost01</Identifier>');
      const res = await broker.request('/v1/medcom/inbound', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await gatewayIssuer.token({ subject: 'some-other-system', organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`, 'Content-Type': 'application/xml' },
        body: letter,
      });
      expect([res.status, ((await res.json()) as { type: string }).type]).toEqual([403, expect.stringContaining('gateway-identity-refused')]);
      const header = parseCareCommunication(xdis91ToCareCommunication(readXdis91(letter), { senderSor: '359001000016000', receiverSor: HJEMMEPLEJEN })).messageHeaderId as string;
      expect(await database.db.selectFrom('correspondence_message').select('id').where('message_header_id', '=', header).execute()).toEqual([]);
    });
  });
});
