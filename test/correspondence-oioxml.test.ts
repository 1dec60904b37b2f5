/**
 * OIOXML parties over real HTTP, with real tokens for the gateway identity and a loopback VANS
 * gateway: MedCom testcenter (EAN 5790001382445) is configured as OIOXML-only. Its XDIS91 letter is
 * received, stored and answered with XCTL03; the reply goes back as XDIS91 naming the letter; a
 * message written in FHIR to it arrives as XDIS91; its XCTL03 settles that message as a FHIR
 * Acknowledgement `ok` would; receipts that name no letter of ours, or come from another party,
 * change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import {
  buildXctl03,
  parseCareCommunication,
  readXdis91,
  unwrapVansEnvelope,
  xdis91ToCareCommunication,
  type Xdis91Letter,
} from '../adapters/medcom/index.js';
import { parseXml, type XmlElement } from '../adapters/medcom/xml-document.js';
import { loadFixtureAgreements } from '../src/agreements/seed.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { insertAgreement } from '../src/agreements/store.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { fixtureBytes } from './helpers/medcom-samples.js';
import { MC, ROOTS, type TestGateway, createTestGatewayIssuer, eventually, gatewayEnv, seedCorrespondenceDirectory, startTestGateway } from './helpers/medcom-orgs.js';

const MEDCOM_TESTCENTER = { sor: '359001000016000', ean: '5790001382445' };
const HJEMMEPLEJEN = { sor: '328051000016008', ean: '5790000121441' };
const EXAMPLE = fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml');
const AUTHOR = { given: ['Ole'], family: 'Madsen', role: 'sygeplejerske', phone: '66131372' };

function elementPaths(xml: Uint8Array | string): Set<string> {
  const out = new Set<string>();
  const walk = (el: XmlElement, prefix: string) => {
    const here = prefix ? `${prefix}/${el.name}` : el.name;
    out.add(here);
    for (const c of el.children) if (c.kind === 'element') walk(c, here);
  };
  walk(parseXml(xml).root, '');
  return out;
}

describe.each(databaseKinds())('OIOXML parties (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  let gatewayIssuer: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    for (const record of await loadFixtureAgreements(new URL('../fixtures/medcom/oioxml-agreements.json', import.meta.url).pathname)) await insertAgreement(database.db, record, new Date());
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: ROOTS });
    gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.test.example');
    broker = await startTestBroker({
      database,
      issuers: [sts, gatewayIssuer],
      env: {
        ...gatewayEnv(gatewayIssuer),
        MEDCOM_GATEWAY_URL: gateway.url,
        MEDCOM_OIOXML_RECEIVERS: MEDCOM_TESTCENTER.sor,
        BROKER_JOBS_POLLING_SECONDS: '0.5',
        MEDCOM_ACK_TIMEOUT_SECONDS: '4',
        MEDCOM_MAX_RESENDS: '1',
      },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const userToken = (sor: string) => sts.token({ organisationSor: sor, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
  const api = async (path: string, sor: string, body?: unknown) =>
    broker.request(path, body === undefined
      ? { headers: { Authorization: `Bearer ${await userToken(sor)}` } }
      : { method: 'POST', headers: { Authorization: `Bearer ${await userToken(sor)}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const post = async (xml: Buffer | string, token?: string) =>
    broker.request('/v1/medcom/inbound', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token ?? (await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' }))}`, 'Content-Type': 'application/xml' },
      body: xml,
    });
  const row = (id: string) => database.db.selectFrom('correspondence_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** The XDIS91 letters the broker handed to the gateway, newest last. */
  const letters = () =>
    gateway.envelopes
      .map((e) => unwrapVansEnvelope(e))
      .filter((e) => e.documentName === 'MCM:XDIS91')
      .map((e) => ({ envelope: e, letter: readXdis91(e.payload), bytes: Buffer.from(e.payload) }));
  const letterOf = (letterId: (l: Xdis91Letter) => boolean) => eventually(() => letters().find((l) => letterId(l.letter)));
  /** The receipt the OIOXML party sends for a letter it got from us. */
  const receiptFor = (letter: Xdis91Letter, overrides: Partial<Xdis91Letter> = {}) =>
    buildXctl03({ original: { ...letter, ...overrides }, envelopeId: 'KvitKuvert0001', letterId: 'KvitBrev000001', clock: () => new Date() });
  const send = async (sor: string, body: Record<string, unknown>) => {
    const res = await api('/v1/correspondence', sor, body);
    return { status: res.status, body: (await res.json()) as { id: string; messageHeaderId: string; type?: string; detail?: string } };
  };

  let receivedId: string;

  it("round trip: MedCom's Flow1 XDIS91 received, stored, answered with XCTL03; a resend answered again and shown once", async () => {
    const res = await post(EXAMPLE);
    expect([res.status, res.headers.get('x-medcom-outcome'), res.headers.get('content-type')]).toEqual([200, 'stored', 'application/xml; charset=iso-8859-1']);
    const receipt = Buffer.from(await res.arrayBuffer());
    expect(receipt.toString('latin1')).toContain('<OriginalLetterIdentifier>Brevt23400929</OriginalLetterIdentifier>');
    const again = await post(EXAMPLE);
    expect([again.status, again.headers.get('x-medcom-outcome')]).toEqual([200, 'duplicate']);
    expect(Buffer.from(await again.arrayBuffer()).equals(receipt)).toBe(true);
    const header = parseCareCommunication(xdis91ToCareCommunication(readXdis91(EXAMPLE), { senderSor: MEDCOM_TESTCENTER.sor, receiverSor: HJEMMEPLEJEN.sor })).messageHeaderId;
    const list = (await (await api('/v1/correspondence/search', HJEMMEPLEJEN.sor, { direction: 'in', limit: 50 })).json()) as { items: Array<{ id: string; messageHeaderId: string; unread: boolean }> };
    const copies = list.items.filter((i) => i.messageHeaderId === header);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.unread).toBe(true);
    receivedId = copies[0]?.id as string;
    expect((await row(receivedId)).oioxml_letter).toBe('5790001382445#Brevt23400929');
  });

  it('round trip: the reply goes back as XDIS91 in the shape of the example, naming the letter; its XCTL03 acknowledges it', async () => {
    const sent = await send(HJEMMEPLEJEN.sor, { kind: 'reply', previousMessageId: receivedId, category: 'other', topic: 'Svar på forundersøgelse', text: 'Røntgen er bestilt.\nSvar følger.', author: AUTHOR });
    expect(sent.status).toBe(202);
    const stored = await row(sent.body.id);
    expect(stored.encoding).toBe('oioxml');
    // The stored CareCommunication names the letter it answers, as MedCom's send protocol S2.A3 asks.
    const parsed = parseCareCommunication(stored.bundle);
    expect(parsed.provenances.find((p) => p.targetMessageHeaderId === parsed.messageHeaderId)?.previousNonFhirMessage).toBe('5790001382445#Brevt23400929');

    const [ean, letterId] = (stored.oioxml_letter as string).split('#');
    const { letter, bytes, envelope } = await letterOf((l) => l.letterId === letterId);
    expect(ean).toBe(HJEMMEPLEJEN.ean);
    expect([envelope.senderEan, envelope.receiverEan]).toEqual([HJEMMEPLEJEN.ean, MEDCOM_TESTCENTER.ean]);
    expect(bytes.toString('latin1')).toMatch(/^<\?xml version="1.0" encoding="iso-8859-1"\?>/);
    const example = elementPaths(EXAMPLE);
    expect([...elementPaths(bytes)].filter((p) => !example.has(p))).toEqual([]);
    expect(letter).toMatchObject({
      sender: { ean: HJEMMEPLEJEN.ean },
      receiver: { ean: MEDCOM_TESTCENTER.ean, name: 'MedCom testcenter' },
      patient: { cpr: '2512489996', surname: 'Ann Berggren', given: 'Nancy' },
      subject: 'Svar på forundersøgelse',
      acknowledgementCode: 'pluspositivkvitt',
      binaries: [],
    });
    expect(letter.text).toBe('Røntgen er bestilt.<br/>Svar følger.<br/><br/>Ole Madsen, sygeplejerske<br/>tlf. 66131372');
    await eventually(async () => (await row(sent.body.id)).status === 'sent');

    const ack = await post(receiptFor(letter));
    expect(ack.status).toBe(200);
    expect(await ack.json()).toEqual({ messageId: sent.body.id, code: 'ok', status: 'acknowledged' });
    expect((await row(sent.body.id))).toMatchObject({ status: 'acknowledged', acknowledgement_code: 'ok' });
  });

  let fhirMessage: { id: string; letter: Xdis91Letter };

  it('a message written in FHIR to an OIOXML-only receiver arrives at the gateway as XDIS91; its XCTL03 moves it to acknowledged', async () => {
    const sent = await send(HJEMMEPLEJEN.sor, {
      kind: 'new', receiverSor: MEDCOM_TESTCENTER.sor, patient: { cpr: '2512489996', given: ['Nancy', 'Ann'], family: 'Berggren' },
      category: 'regarding-referral', priority: 'asap', topic: 'Henvisning', text: 'Ny besked om henvisningen.', author: AUTHOR,
    });
    expect(sent.status).toBe(202);
    const letterId = ((await row(sent.body.id)).oioxml_letter as string).split('#')[1];
    const { letter } = await letterOf((l) => l.letterId === letterId);
    expect(letter).toMatchObject({ priority: 'høj_prioritet', subject: 'Henvisning', statusCode: 'nytbrev' });
    // No FHIR CareCommunication went to the OIOXML party.
    expect(gateway.envelopes.map((e) => unwrapVansEnvelope(e)).some((e) => e.documentName?.startsWith('MCM:FDIS91') && e.receiverEan === MEDCOM_TESTCENTER.ean)).toBe(false);
    await eventually(async () => (await row(sent.body.id)).status === 'sent');
    fhirMessage = { id: sent.body.id, letter };
  });

  it('a forged or unknown receipt is refused (422 unknown-message) and changes nothing: wrong sender, unknown letter id, a letter we received', async () => {
    const before = await row(fhirMessage.id);
    expect(before.status).toBe('sent');
    const forged = [
      // From a third party (Almen praksis 2) instead of the letter's receiver.
      receiptFor(fhirMessage.letter, { receiver: { ean: '5790000120048' } }),
      // A letter id we never sent.
      receiptFor({ ...fhirMessage.letter, letterId: 'BUKENDT000001' }),
      // MedCom's Flow2 receipt: it answers the letter MedCom testcenter sent us, not one we sent.
      fixtureBytes('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'),
    ];
    for (const receipt of forged) {
      const res = await post(receipt);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}unknown-message`);
    }
    const after = await row(fhirMessage.id);
    expect([after.status, after.acknowledgement_code, after.acknowledged_at]).toEqual([before.status, before.acknowledgement_code, before.acknowledged_at]);
    // Only the gateway identity may post receipts at all.
    const user = await post(receiptFor(fhirMessage.letter), await userToken(HJEMMEPLEJEN.sor));
    expect(user.status).toBe(403);
    expect((await row(fhirMessage.id)).status).toBe('sent');
  });

  it("the receiver's XCTL03 (bare, or in a VANSEnvelope) acknowledges it; a repeated receipt changes nothing", async () => {
    const res = await post(receiptFor(fhirMessage.letter));
    expect(await res.json()).toEqual({ messageId: fhirMessage.id, code: 'ok', status: 'acknowledged' });
    const settled = await row(fhirMessage.id);
    expect(settled).toMatchObject({ status: 'acknowledged', acknowledgement_code: 'ok' });
    // The sender sees it acknowledged, as after a FHIR Acknowledgement ok.
    const detail = await api(`/v1/correspondence/${fhirMessage.id}`, HJEMMEPLEJEN.sor);
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({ status: 'acknowledged', acknowledgementErrors: [] });
    // Again, this time in a VANSEnvelope as the gateway may deliver it.
    const receipt = receiptFor(fhirMessage.letter);
    const wrapped = fixtureBytes('vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml').toString('utf8')
      .replace(/<Data>[\s\S]*<\/Data>/, `<Data>${receipt.toString('base64')}</Data>`)
      .replace('<Name>MCM:XDIS22</Name>', '<Name>MCM:XCTL03</Name>')
      .replace(/<SizeInBytes>\d+<\/SizeInBytes>/, `<SizeInBytes>${receipt.byteLength}</SizeInBytes>`);
    const again = await post(wrapped);
    expect(await again.json()).toEqual({ messageId: fhirMessage.id, code: 'ok', status: 'acknowledged' });
    expect((await row(fhirMessage.id)).acknowledged_at).toEqual(settled.acknowledged_at);
  });

  it('without a receipt the letter is resent by the same rules as FHIR: new envelope, same letter id; a receipt for the first envelope still settles it', async () => {
    const sent = await send(HJEMMEPLEJEN.sor, { kind: 'new', receiverSor: MEDCOM_TESTCENTER.sor, patient: { cpr: '2512489996', given: ['Nancy'], family: 'Berggren' }, category: 'other', topic: 'Igen', text: 'Gentages.', author: AUTHOR });
    const letterId = ((await row(sent.body.id)).oioxml_letter as string).split('#')[1];
    const copies = await eventually(() => { const found = letters().filter((l) => l.letter.letterId === letterId); return found.length >= 2 ? found : undefined; }, 20_000);
    expect(new Set(copies.map((c) => c.letter.envelopeId)).size).toBe(copies.length);
    expect((await row(sent.body.id)).resends).toBe(1);
    const res = await post(receiptFor(copies[0]?.letter as Xdis91Letter));
    expect(await res.json()).toMatchObject({ messageId: sent.body.id, status: 'acknowledged' });
  });

  it('what an XDIS91 letter cannot carry is refused before anything is stored: attachments, a replacement CPR', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64');
    const withFile = await send(HJEMMEPLEJEN.sor, { kind: 'new', receiverSor: MEDCOM_TESTCENTER.sor, patient: { cpr: '2512489996', given: ['Nancy'], family: 'Berggren' }, category: 'other', text: 'Med fil.', author: AUTHOR, attachments: [{ contentType: 'application/pdf', title: 'fil', data: pdf }] });
    const replacement = await send(HJEMMEPLEJEN.sor, { kind: 'new', receiverSor: MEDCOM_TESTCENTER.sor, patient: { replacementCpr: '3101057JC9', given: ['Nancy'], family: 'Berggren' }, category: 'other', text: 'Erstatnings-CPR.', author: AUTHOR });
    for (const refused of [withFile, replacement]) {
      expect([refused.status, refused.body.type]).toEqual([422, `${PROBLEM_BASE}oioxml-not-expressible`]);
      expect(refused.body.detail).not.toContain('3101057JC9');
    }
    const out = await database.db.selectFrom('correspondence_message').select('id').where('direction', '=', 'out').where('topic', 'is', null).execute();
    expect(out).toEqual([]);
  });
});
