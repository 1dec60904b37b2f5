/**
 * The gateway's door: every real CareCommunication sample is received and acknowledged `ok` once
 * its receiver is served, with its parts extracted; a reply built to each passes the same checks;
 * duplicates get the original acknowledgement; bad input gets the MedCom error code it calls for;
 * unsafe or legacy XML is refused; the Acknowledgement samples update the messages they answer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import {
  buildCareCommunication,
  fhirJsonToXml,
  isValidGln,
  parseAcknowledgement,
  parseCareCommunication,
  readFhirMessage,
  unwrapVansEnvelope,
  wrapInVansEnvelope,
  type JsonObject,
} from '../adapters/medcom/index.js';
import { ACKNOWLEDGEMENT_SAMPLES, CARE_COMMUNICATION_SAMPLES, fixtureBundle, fixtureBytes } from './helpers/medcom-samples.js';
import { PROBLEM_BASE } from '../src/http/problem.js';
import { insertMessage } from '../src/correspondence/store.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { MC, ROOTS, SAMPLE_ORGANISATIONS, createTestGatewayIssuer, gatewayEnv, seedCorrespondenceDirectory } from './helpers/medcom-orgs.js';

type Ack = { code: string; errors: Array<{ code?: string }>; answered?: string; bundleId?: string };

/** A copy of a sample with fresh Bundle.id and MessageHeader.id (everywhere they are referenced). */
function fresh(bundle: JsonObject, change: (b: JsonObject) => void = () => undefined): JsonObject {
  const parsed = parseCareCommunication(bundle);
  let text = JSON.stringify(bundle);
  text = text.split(parsed.messageHeaderId as string).join(crypto.randomUUID());
  const copy = JSON.parse(text) as JsonObject;
  copy['id'] = crypto.randomUUID();
  change(copy);
  return copy;
}
const resources = (b: JsonObject): JsonObject[] => (b['entry'] as JsonObject[]).map((e) => e['resource'] as JsonObject);
const resource = (b: JsonObject, type: string): JsonObject => resources(b).find((r) => r['resourceType'] === type) as JsonObject;
const organisationById = (b: JsonObject, reference: unknown): JsonObject => {
  const id = String((reference as JsonObject)['reference']).split('/').pop();
  return resources(b).find((r) => r['resourceType'] === 'Organization' && r['id'] === id) as JsonObject;
};
const receiverOrg = (b: JsonObject): JsonObject => organisationById(b, ((resource(b, 'MessageHeader')['destination'] as JsonObject[])[0] as JsonObject)['receiver']);
const senderOrg = (b: JsonObject): JsonObject => organisationById(b, resource(b, 'MessageHeader')['sender']);
const firstAttachment = (b: JsonObject): JsonObject =>
  (resource(b, 'Communication')['payload'] as JsonObject[]).map((p) => p['contentAttachment']).find((a) => a !== undefined) as JsonObject;
function validGlnLike(prefix12: string): string {
  for (let d = 0; d <= 9; d++) if (isValidGln(`${prefix12}${d}`)) return `${prefix12}${d}`;
  throw new Error('no check digit');
}

describe.each(databaseKinds())('MedCom inbound (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let sts: TestIssuer;
  let gatewayIssuer: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    sts = await createTestIssuer({ issuer: 'https://sts.test.example', organisations: ROOTS });
    gatewayIssuer = await createTestGatewayIssuer('https://vans-gateway.test.example');
    broker = await startTestBroker({
      database,
      issuers: [sts, gatewayIssuer],
      env: { ...gatewayEnv(gatewayIssuer), MEDCOM_FILE_DROP_DIR: `${process.env.TMPDIR ?? '/tmp'}/medcom-inbound-test-${kind}-${process.pid}`, MEDCOM_MAX_ATTACHMENT_BYTES: '40000', MEDCOM_MAX_MESSAGE_BYTES: '70000' },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  const inbound = async (body: string | Buffer, contentType = 'application/fhir+json') =>
    broker.request('/v1/medcom/inbound', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await gatewayIssuer.token({ organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' })}`,
        'Content-Type': contentType,
      },
      body,
    });
  /** Posts a Bundle as JSON and reads the acknowledgement it is answered with. */
  const send = async (bundle: JsonObject): Promise<Ack & { status: number; outcome: string | null }> => {
    const res = await inbound(JSON.stringify(bundle));
    if (res.status !== 200) return { status: res.status, outcome: null, code: 'http', errors: [] };
    const ack = parseAcknowledgement(readFhirMessage(Buffer.from(await res.arrayBuffer())).bundle);
    return { status: 200, outcome: res.headers.get('x-medcom-outcome'), code: ack.code ?? '', errors: ack.errors, answered: ack.answeredMessageHeaderId, bundleId: ack.bundleId };
  };
  const asOrg = async (sor: string) => ({ Authorization: `Bearer ${await sts.token({ organisationSor: sor, role: 'clinician', assurance: 'substantial', purposeOfUse: 'treatment' })}` });
  const storedFor = async (receiverSor: string, messageHeaderId: string) => {
    const row = await database.db.selectFrom('correspondence_message').selectAll().where('organisation_sor', '=', receiverSor).where('message_header_id', '=', messageHeaderId).executeTakeFirst();
    if (!row) return undefined;
    const res = await broker.request(`/v1/correspondence/${row.id}`, { headers: await asOrg(receiverSor) });
    return (await res.json()) as {
      id: string;
      sender: { sor: string; ean: string };
      receiver: { sor: string; ean: string };
      patient: { cpr: string | null; replacementCpr: string | null };
      segments: Array<{ text: string }>;
      attachments: Array<{ title: string; contentType: string; size: number }>;
    };
  };

  it.each(CARE_COMMUNICATION_SAMPLES)('receives %s with an ok acknowledgement and extracts its parts; a reply to it passes too', async (name) => {
    const bytes = fixtureBytes(name);
    const expected = parseCareCommunication(fixtureBundle(name));
    const isXml = name.endsWith('.xml');
    const res = await inbound(bytes, isXml ? 'application/fhir+xml' : 'application/fhir+json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(isXml ? 'application/fhir+xml' : 'application/fhir+json');
    const ack = parseAcknowledgement(readFhirMessage(Buffer.from(await res.arrayBuffer())).bundle);
    expect(ack).toMatchObject({ code: 'ok', answeredMessageHeaderId: expected.messageHeaderId, sender: { sor: expected.receiver.sor }, receiver: { sor: expected.sender.sor } });

    const stored = await storedFor(expected.receiver.sor as string, expected.messageHeaderId as string);
    expect(stored?.sender).toMatchObject({ sor: expected.sender.sor, ean: expected.sender.gln });
    expect(stored?.receiver).toMatchObject({ sor: expected.receiver.sor, ean: expected.receiver.gln });
    expect(stored?.patient.cpr ?? stored?.patient.replacementCpr).toBe(expected.patient.cpr ?? expected.patient.replacementCpr);
    expect(stored?.segments.map((s) => s.text)).toEqual(expected.payloads.filter((p) => p.text !== undefined).map((p) => p.plainText));
    expect(stored?.attachments.map((a) => [a.title, a.contentType])).toEqual(expected.attachments.map((a) => [a.title, a.contentType]));

    // A reply built the way the broker builds one, from the stored message, is accepted too.
    const me = SAMPLE_ORGANISATIONS.find((o) => o.sor === expected.receiver.sor);
    const them = SAMPLE_ORGANISATIONS.find((o) => o.sor === expected.sender.sor);
    const reply = buildCareCommunication({
      kind: 'reply',
      previous: expected,
      sender: { sor: me?.sor ?? '', gln: me?.gln ?? '', name: me?.name ?? '' },
      receiver: { sor: them?.sor ?? '', gln: them?.gln ?? '', name: them?.name ?? '' },
      author: { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '12345678' },
      patient: { ...(expected.patient.cpr ? { cpr: expected.patient.cpr } : { replacementCpr: { value: expected.patient.replacementCpr ?? '' } }), given: expected.patient.given, family: expected.patient.family ?? 'x' },
      category: 'other',
      topic: expected.topic ?? 'Svar',
      text: 'Tak for beskeden.',
      ids: () => crypto.randomUUID(),
      clock: () => new Date(),
    });
    expect(await send(reply)).toMatchObject({ status: 200, code: 'ok', outcome: 'stored' });
  });

  it('answers a duplicate with the original acknowledgement and never stores it twice', async () => {
    const original = fresh(fixtureBundle('EG_Clinea.json'));
    const first = await send(original);
    expect(first).toMatchObject({ code: 'ok', outcome: 'stored' });
    expect(await send(original)).toMatchObject({ code: 'ok', outcome: 'duplicate', bundleId: first.bundleId });
    // The sender's resend after a timeout: new Bundle.id, same MessageHeader.id.
    expect(await send({ ...original, id: crypto.randomUUID() })).toMatchObject({ code: 'ok', outcome: 'duplicate', bundleId: first.bundleId });
    const header = parseCareCommunication(original).messageHeaderId as string;
    const rows = await database.db.selectFrom('correspondence_message').select('id').where('message_header_id', '=', header).execute();
    expect(rows).toHaveLength(1);
    // A known Bundle.id under another MessageHeader.id is an error, not a duplicate.
    const reused = fresh(original, (b) => (b['id'] = original['id'] as string));
    expect(await send(reused)).toMatchObject({ code: 'fatal-error', errors: [{ code: 'MSG_Datatype_Wrong' }] });
  });

  it('audits resends racing their original (same MessageHeader.id, new Bundle.id) as duplicates of the one message stored, never as a success of their own', async () => {
    const original = fresh(fixtureBundle('EG_Clinea.json'));
    const copies = [original, ...Array.from({ length: 5 }, () => ({ ...original, id: crypto.randomUUID() }))];
    const answers = await Promise.all(copies.map((c) => send(c)));
    expect(answers.every((a) => a.status === 200 && a.code === 'ok')).toBe(true);
    expect(answers.filter((a) => a.outcome === 'stored')).toHaveLength(1);
    const header = parseCareCommunication(original).messageHeaderId as string;
    const stored = await database.db.selectFrom('correspondence_message').select('id').where('direction', '=', 'in').where('message_header_id', '=', header).execute();
    expect(stored).toHaveLength(1);
    const records = (await database.db.selectFrom('audit_event').select(['outcome', 'details']).where('kind', '=', 'correspondence-received').execute())
      .filter((r) => (r.details as { messageHeaderId?: string }).messageHeaderId === header);
    // One record per message received, each naming the message actually stored.
    expect(records).toHaveLength(copies.length);
    for (const r of records) expect(r).toMatchObject({ outcome: 'success', details: { messageId: stored[0]?.id } });
    expect(records.filter((r) => (r.details as { duplicate?: boolean }).duplicate !== true)).toHaveLength(1);
  });

  it('answers bad messages with a fatal-error acknowledgement carrying the MedCom error code', async () => {
    const base = fixtureBundle('EG_Clinea.json');
    const withAttachment = fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml');
    const pdf50k = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(50_000, 0x20)]).toString('base64');
    const pdf30k = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(30_000, 0x20)]).toString('base64');
    const cases: Array<[string, JsonObject, string]> = [
      ['wrong event code', fresh(base, (b) => ((resource(b, 'MessageHeader')['eventCoding'] as JsonObject)['code'] = 'hospital-notification-message')), 'MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE'],
      ['no Patient', fresh(base, (b) => (b['entry'] = (b['entry'] as JsonObject[]).filter((e) => (e['resource'] as JsonObject)['resourceType'] !== 'Patient'))), 'MSG_Datatype_Wrong'],
      ['two Patients', fresh(base, (b) => (b['entry'] as JsonObject[]).push({ fullUrl: 'urn:uuid:x', resource: { ...resource(b, 'Patient'), id: crypto.randomUUID() } })), 'MSG_Datatype_Wrong'],
      ['receiver without SOR code', fresh(base, (b) => (receiverOrg(b)['identifier'] = (receiverOrg(b)['identifier'] as JsonObject[]).filter((i) => !String(i['system']).includes('1.2.208.176.1.1')))), 'MSG_Receiver_Identifier_MISSING'],
      ['receiver GLN with a wrong check digit', fresh(base, (b) => {
        const id = (receiverOrg(b)['identifier'] as JsonObject[]).find((i) => String(i['value']).length === 13) as JsonObject;
        const value = String(id['value']);
        id['value'] = `${value.slice(0, 12)}${(Number(value[12]) + 1) % 10}`;
      }), 'MSG_Receiver_Identifier_UNKNOWN'],
      ['receiver the broker does not serve', fresh(base, (b) => {
        for (const id of receiverOrg(b)['identifier'] as JsonObject[]) id['value'] = String(id['value']).length === 13 ? validGlnLike('579000999999') : '123451000016005';
      }), 'MSG_Receiver_Identifier_UNKNOWN'],
      ['category other without topic', fresh(base, (b) => delete resource(b, 'Communication')['topic']), 'MSG_Datatype_Wrong'],
      ['priority on a category that does not allow it', fresh(base, (b) => (resource(b, 'Communication')['priority'] = 'asap')), 'MSG_VALUESET_VALUE_UNKNOWN'],
      ['PDF declared as an image', fresh(withAttachment, (b) => (firstAttachment(b)['contentType'] = 'image/jpeg')), 'MSG_Damaged_durin_transport'],
      ['attachment data that is not base64', fresh(withAttachment, (b) => (firstAttachment(b)['data'] = 'JVBERi0x*&%garbage')), 'MSG_Damaged_durin_transport'],
      ['oversize attachment', fresh(withAttachment, (b) => (firstAttachment(b)['data'] = pdf50k)), 'MSG_Element_To_Long'],
      ['oversize message', fresh(withAttachment, (b) => {
        firstAttachment(b)['data'] = pdf30k;
        const payloads = resource(b, 'Communication')['payload'] as JsonObject[];
        const withData = payloads.find((p) => p['contentAttachment'] !== undefined) as JsonObject;
        payloads.push(JSON.parse(JSON.stringify(withData)) as JsonObject);
      }), 'MSG_Element_To_Long'],
    ];
    for (const [what, bundle, code] of cases) {
      const ack = await send(bundle);
      expect({ what, code: ack.code, outcome: ack.outcome, errors: ack.errors.map((e) => e.code) }).toMatchObject({ what, code: 'fatal-error', outcome: 'rejected', errors: expect.arrayContaining([code]) });
    }
    // Rejected messages are not stored.
    const ids = cases.map(([, b]) => parseCareCommunication(b).messageHeaderId as string);
    expect(await database.db.selectFrom('correspondence_message').select('id').where('message_header_id', 'in', ids).execute()).toEqual([]);

    // Without the sender's identifiers there is nobody to acknowledge to.
    const anonymous = fresh(base, (b) => (senderOrg(b)['identifier'] = []));
    const res = await inbound(JSON.stringify(anonymous));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}message-not-acknowledgeable`);
  });

  it('answers a message holding NUL or an unpaired surrogate with fatal-error and stores nothing, while honest messages beside it are stored', async () => {
    const poison = (escaped: string, where: 'text' | 'header') => {
      const b = fresh(fixtureBundle('EG_Clinea.json'));
      const header = parseCareCommunication(b).messageHeaderId as string;
      let text = JSON.stringify(b);
      text = where === 'text' ? text.replace('"contentString":"', `"contentString":"${escaped}`) : text.split(header).join(`${header}${escaped}`);
      expect(text).toContain(escaped);
      return { text, header };
    };
    const bad = [poison('\\u0000', 'text'), poison('\\ud800', 'text'), poison('\\u0000', 'header')];
    const honest = Array.from({ length: 10 }, () => fresh(fixtureBundle('EG_Clinea.json')));
    const [badAnswers, honestAnswers] = await Promise.all([
      Promise.all(bad.map(async ({ text }) => {
        const res = await inbound(text);
        expect(res.status).toBe(200);
        return parseAcknowledgement(readFhirMessage(Buffer.from(await res.arrayBuffer())).bundle);
      })),
      Promise.all(honest.map((b) => send(b))),
    ]);
    for (const ack of badAnswers) expect(ack).toMatchObject({ code: 'fatal-error', errors: expect.arrayContaining([expect.objectContaining({ code: 'MSG_Datatype_Wrong' })]) });
    expect(honestAnswers.every((a) => a.code === 'ok' && a.outcome === 'stored')).toBe(true);
    for (const { header } of bad) {
      const rows = await database.db.selectFrom('correspondence_message').select('id').where('message_header_id', 'like', `${header}%`).execute();
      expect(rows).toEqual([]);
    }
    const failed = (await database.db.selectFrom('audit_event').select(['outcome', 'details']).where('kind', '=', 'correspondence-received').where('outcome', '=', 'failed').execute())
      .filter((r) => ((r.details as { rules?: string[] }).rules ?? []).includes('text-not-storable'));
    expect(failed).toHaveLength(3);
  });

  it('refuses XML nesting deeper than a MedCom message, directly or in an envelope, and JSON nesting deeper, with a clear 400', async () => {
    const xml = fixtureBytes('Systematic_ColumnaCis.xml').toString('utf8');
    // (The node limit is tested in adapters/medcom/xml-document.test.ts: this broker's body limit is small.)
    const deep = xml.replace(/<\/Bundle>\s*$/, `${'<extension url="x">'.repeat(2000)}${'</extension>'.repeat(2000)}</Bundle>`);
    const res0 = await inbound(deep, 'application/fhir+xml');
    expect(res0.status).toBe(400);
    const problem = (await res0.json()) as { type: string; detail: string };
    expect(problem.type).toBe(`${PROBLEM_BASE}message-too-complex`);
    expect(problem.detail).toMatch(/nests deeper or holds more elements/);
    // The same inside a VANSEnvelope: the payload is held to the same limits.
    const envelope = wrapInVansEnvelope({ bundle: fixtureBundle('EG_Clinea.json'), encoding: 'json', category: 'other', senderEan: '5790000120048', receiverEan: '5790000173174', envelopeId: 'e2', clock: () => new Date() });
    const deepPayload = Buffer.from(deep).toString('base64');
    const wrapped = envelope.replace(/<Data>[^<]*<\/Data>/, `<Data>${deepPayload}</Data>`);
    const res = await inbound(wrapped, 'application/xml');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}message-too-complex`);
    const deepJson = JSON.stringify(fixtureBundle('EG_Clinea.json')).replace(/}$/, `,"x":${'['.repeat(2000)}${']'.repeat(2000)}}`);
    const json = await inbound(deepJson);
    expect(json.status).toBe(400);
    expect(((await json.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}message-too-complex`);
    // A NUL character reference is not XML at all.
    const nul = await inbound(xml.replace(/<\/Bundle>\s*$/, '<x>&#0;</x></Bundle>'), 'application/fhir+xml');
    expect(nul.status).toBe(400);
  });

  it('parses received XML once: a bare FHIR XML message once, an envelope and its XML payload once each', async () => {
    const parse = vi.spyOn(SaxesParser.prototype, 'write');
    try {
      const bare = fresh(fixtureBundle('Systematic_ColumnaCis.xml'));
      const xml = fhirJsonToXml(bare);
      parse.mockClear();
      const res = await inbound(xml, 'application/fhir+xml');
      expect(res.status).toBe(200);
      // close() calls write(null): count the writes of text.
      const parses = () => parse.mock.calls.filter(([chunk]) => chunk !== null).length;
      const received = parses();
      const envelope = wrapInVansEnvelope({ bundle: fresh(fixtureBundle('Systematic_ColumnaCis.xml')), encoding: 'xml', category: 'other', senderEan: '5790000120048', receiverEan: '5790000173174', envelopeId: crypto.randomUUID(), clock: () => new Date() });
      parse.mockClear();
      const wrapped = await inbound(envelope, 'application/xml');
      expect(wrapped.status).toBe(200);
      // What the broker parsed (the answer is built, not parsed).
      expect({ bare: received, envelope: parses() }).toEqual({ bare: 1, envelope: 2 });
    } finally {
      parse.mockRestore();
    }
  });

  it('refuses XML with a DTD or external entity without fetching anything, and legacy OIOXML clearly', async () => {
    let fetched = 0;
    const bait = createServer((_req, res) => {
      fetched += 1;
      res.end('x');
    });
    await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
    const { port } = bait.address() as AddressInfo;
    const xml = fixtureBytes('Systematic_ColumnaCis.xml').toString('utf8').replace(/^\uFEFF?(<\?xml[^>]*\?>)?/, (m) => `${m}<!DOCTYPE Bundle [<!ENTITY x SYSTEM "http://127.0.0.1:${port}/secret">]>`);
    const res = await inbound(xml, 'application/fhir+xml');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}xml-refused`);
    const envelope = wrapInVansEnvelope({ bundle: fixtureBundle('EG_Clinea.json'), encoding: 'json', category: 'other', senderEan: '5790000120048', receiverEan: '5790000173174', envelopeId: 'e1', clock: () => new Date() });
    const dtdEnvelope = envelope.replace('?>', `?><!DOCTYPE VANSEnvelope SYSTEM "http://127.0.0.1:${port}/dtd">`);
    expect((await inbound(dtdEnvelope, 'application/xml')).status).toBe(400);
    await new Promise((r) => setTimeout(r, 100));
    expect(fetched).toBe(0);
    bait.close();

    // XDIS91 letters and XCTL03 receipts are received (test/medcom-testprotocol.test.ts,
    // test/correspondence-oioxml.test.ts: a receipt for no letter of ours is 422 unknown-message);
    // other OIOXML is refused.
    for (const legacy of ['vans/VANSEnvelope_1.0.4_XDIS22_extracted.xml']) {
      const answer = await inbound(fixtureBytes(legacy), 'application/xml');
      expect(answer.status).toBe(422);
      const problem = (await answer.json()) as { type: string; detail: string };
      expect(problem.type).toBe(`${PROBLEM_BASE}legacy-oioxml-refused`);
      expect(problem.detail).toContain('FHIR');
    }
    const garbage = await inbound('this is not a message', 'text/plain');
    expect(garbage.status).toBe(400);
  });

  it('answers a message in a VANSEnvelope with the acknowledgement in a VANSEnvelope', async () => {
    const bundle = fresh(fixtureBundle('Systematic_ColumnaCura.json'));
    const xml = wrapInVansEnvelope({ bundle, encoding: 'xml', category: 'other', senderEan: '5790000123117', receiverEan: '5790002015748', envelopeId: String(bundle['id']), clock: () => new Date() });
    const res = await inbound(xml, 'application/xml');
    expect(res.status).toBe(200);
    const answer = unwrapVansEnvelope(await res.text());
    expect(answer).toMatchObject({ documentName: 'MCM:FCTL#ok', senderEan: '5790002015748', receiverEan: '5790000123117', serviceTags: { 'MCM:MIME': 'application/fhir+xml' } });
    expect(parseAcknowledgement(readFhirMessage(answer.payload).bundle).code).toBe('ok');
  });

  it('reads the Acknowledgement samples and updates the messages they answer; refuses one for an unknown message', async () => {
    const now = new Date();
    // The messages answered were sent to the acknowledgements' senders (SOR code and GLN): only the receiver may settle a message.
    const outbound = (messageHeaderId: string, owner: string, counterpart: string, counterpartEan: string) =>
      insertMessage(database.db, {
        id: crypto.randomUUID(), direction: 'out', organisation_sor: owner, organisation_ean: '5790000209354', counterpart_sor: counterpart, counterpart_ean: counterpartEan,
        patient_cpr: '0101201234', kind: 'new', category: 'other', topic: 't', bundle_id: crypto.randomUUID(), message_header_id: messageHeaderId,
        previous_message_header_id: null, episode_of_care_id: null, thread_key: messageHeaderId, status: 'sent', encoding: 'json',
        bundle: fixtureBundle('EG_Clinea.json'), acknowledgement_sent: null, acknowledgement_received: null, acknowledgement_code: null,
        attempts: 1, resends: 0, failure: null, read_at: null, created_at: now, updated_at: now, sent_at: now, acknowledged_at: null, request_id: null,
      });
    const expectations: Record<string, { code: string; status: string }> = {};
    for (const name of ACKNOWLEDGEMENT_SAMPLES) {
      const ack = parseAcknowledgement(fixtureBundle(name));
      const answered = ack.answeredMessageHeaderId as string;
      if (!expectations[answered]) {
        await outbound(answered, ack.receiver.sor as string, ack.sender.sor as string, ack.sender.gln as string);
        expectations[answered] = { code: ack.code as string, status: ack.code === 'ok' ? 'acknowledged' : 'rejected' };
      }
      const res = await inbound(fixtureBytes(name), name.endsWith('.xml') ? 'application/fhir+xml' : 'application/fhir+json');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ code: ack.code, status: expectations[answered]?.status });
    }
    const rejected = await database.db.selectFrom('correspondence_message').select(['status', 'failure']).where('message_header_id', '=', '53128d9b-cede-4c7f-8904-809eab322d7d').executeTakeFirstOrThrow();
    expect(rejected.status).toBe('rejected');
    expect(rejected.failure).toMatch(/MSG_/);

    const unknown = JSON.parse(JSON.stringify(fixtureBundle('ack/Ack_3.4.4_A_AE.json')).split('53128d9b-cede-4c7f-8904-809eab322d7d').join(crypto.randomUUID())) as JsonObject;
    const res = await inbound(JSON.stringify(unknown));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { type: string }).type).toBe(`${PROBLEM_BASE}unknown-message`);
  });
});
