/**
 * Attack: "any identity provider could mint the MedCom gateway". A municipality's identity
 * provider signs a token with role medcom-gateway and posts a message "from" child psychiatry into
 * a GP's inbox; a real gateway issuer signs for a subject that is not the configured gateway; the
 * real gateway relays an acknowledgement naming another sender than the message's receiver; and a
 * broker with no gateway identity configured is posted to. Each must be refused, and nothing stored
 * or changed. Real HTTP, real signed tokens from three issuers, PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import {
  buildAcknowledgement,
  buildCareCommunication,
  parseCareCommunication,
  readFhirMessage,
  unwrapVansEnvelope,
  type JsonObject,
} from '../../adapters/medcom/index.js';
import { PROBLEM_BASE } from '../../src/http/problem.js';
import { type TestBroker, startTestBroker } from '../helpers/broker.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { type TestIssuer, createTestIssuer } from '../helpers/issuers.js';
import { MC, ROOTS, type TestGateway, eventually, seedCorrespondenceDirectory, startTestGateway } from '../helpers/medcom-orgs.js';

const AALBORG_KOMMUNE = '9520011000016001';
const GATEWAY_SUBJECT = 'vans-gateway-nordjylland';
const CHILD = { cpr: '0101201234', given: ['Emma'], family: 'Jensen' };
const AUTHOR = { given: ['Ole'], family: 'Madsen', role: 'laege', phone: '97640000' };
const SOR_SYSTEM = 'urn:oid:1.2.208.176.1.1';

/** A CareCommunication "from" child psychiatry to the GP clinic, as a forger would build it. */
function forgedFromPsychiatry(): JsonObject {
  return buildCareCommunication({
    kind: 'new',
    sender: { sor: MC.teamAalborg, gln: MC.childPsychiatryEan, name: 'Børne- og ungdomspsykiatrien' },
    receiver: { sor: MC.gpClinic, gln: MC.gpEan, name: 'Lægepraksis Anne Kjærsgaard' },
    author: AUTHOR,
    patient: CHILD,
    category: 'other',
    topic: 'Udredning afsluttet',
    text: 'Emma er færdigudredt; medicinen kan seponeres.',
    ids: () => crypto.randomUUID(),
    clock: () => new Date(),
  });
}

const problemType = async (res: Response): Promise<string> => ((await res.json()) as { type: string }).type;

describe.each(databaseKinds())('attack: MedCom gateway impersonation (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let gateway: TestGateway;
  let sts: TestIssuer;
  let municipality: TestIssuer;
  let vans: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    gateway = await startTestGateway();
    sts = await createTestIssuer({ issuer: 'https://sts.attack.example', organisations: ROOTS });
    // A municipality's own identity provider: trusted for its staff, nothing else.
    municipality = await createTestIssuer({ issuer: 'https://idp.aalborg.attack.example', organisations: [AALBORG_KOMMUNE] });
    // The issuer that signs the MedCom gateway's tokens (it may assert medcom-gateway, and only that).
    vans = await createTestIssuer({ issuer: 'https://vans.attack.example', organisations: [MC.region], roles: ['medcom-gateway'] });
    broker = await startTestBroker({
      database,
      issuers: [sts, municipality, vans],
      env: {
        MEDCOM_GATEWAY_URL: gateway.url,
        BROKER_JOBS_POLLING_SECONDS: '0.5',
        MEDCOM_GATEWAY_IDENTITIES: JSON.stringify([{ issuer: vans.issuer, subject: GATEWAY_SUBJECT }]),
      },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gateway?.close();
    await database?.close();
  });

  const postInbound = (token: string, bundle: JsonObject) =>
    broker.request('/v1/medcom/inbound', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
  const gatewayToken = (subject = GATEWAY_SUBJECT) => vans.token({ subject, organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
  const stored = (messageHeaderId: string) =>
    database.db.selectFrom('correspondence_message').select(['id', 'organisation_sor']).where('message_header_id', '=', messageHeaderId).execute();
  const gpInbox = async (): Promise<string[]> => {
    const token = await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'treatment' });
    const res = await broker.request('/v1/correspondence/search', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ direction: 'in', patientCpr: CHILD.cpr }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Array<{ messageHeaderId: string }> }).items.map((i) => i.messageHeaderId);
  };

  it("refuses a municipality issuer's medcom-gateway token: nothing lands in the GP's inbox", async () => {
    const forged = forgedFromPsychiatry();
    const header = parseCareCommunication(forged).messageHeaderId as string;
    const token = await municipality.token({ subject: 'mallory', organisationSor: AALBORG_KOMMUNE, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const res = await postInbound(token, forged);
    expect(res.status).toBe(403);
    expect(await problemType(res)).toBe(`${PROBLEM_BASE}role-out-of-issuer-scope`);
    expect(await stored(header)).toEqual([]);
    expect(await gpInbox()).not.toContain(header);
    // The municipality's issuer still serves its own staff.
    const staff = await municipality.token({ organisationSor: MC.aalborgPpr, role: 'caseworker', assurance: 'substantial', purposeOfUse: 'child-welfare-concern' });
    expect((await broker.request('/v1/me', { headers: { Authorization: `Bearer ${staff}` } })).status).toBe(200);
  });

  it('refuses the gateway issuer asserting a staff role it may not assert', async () => {
    const token = await vans.token({ subject: GATEWAY_SUBJECT, organisationSor: MC.teamAalborg, role: 'clinician', assurance: 'high', purposeOfUse: 'treatment' });
    const res = await broker.request('/v1/correspondence/search', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ direction: 'in' }) });
    expect(res.status).toBe(403);
    expect(await problemType(res)).toBe(`${PROBLEM_BASE}role-out-of-issuer-scope`);
  });

  it('refuses a gateway-issuer token for a subject that is not the configured gateway, with a security log line', async () => {
    const forged = forgedFromPsychiatry();
    const header = parseCareCommunication(forged).messageHeaderId as string;
    const res = await postInbound(await gatewayToken('some-other-system'), forged);
    expect(res.status).toBe(403);
    expect(await problemType(res)).toBe(`${PROBLEM_BASE}gateway-identity-refused`);
    expect(await stored(header)).toEqual([]);
    expect(await gpInbox()).not.toContain(header);
    const line = broker.logs.find((l) => l.includes('gateway-identity-refused'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ security: 'gateway-identity-refused', issuer: vans.issuer, subject: 'some-other-system' });
    // The configured gateway itself is let in.
    const real = await postInbound(await gatewayToken(), forgedFromPsychiatry());
    expect(real.status).toBe(200);
    expect(real.headers.get('x-medcom-outcome')).toBe('stored');
  });

  it("ignores an acknowledgement that names another sender than the message's receiver, audits and logs it", async () => {
    const staff = await sts.token({ organisationSor: MC.gpClinic, role: 'clinician', assurance: 'substantial', purposeOfUse: 'coordinated-care' });
    const sent = await broker.request('/v1/correspondence', {
      method: 'POST',
      headers: { Authorization: `Bearer ${staff}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'new', receiverSor: MC.teamAalborg, patient: CHILD, category: 'carecoordination', text: 'Hvem er kontaktperson?', author: AUTHOR }),
    });
    expect(sent.status).toBe(202);
    const { id, messageHeaderId } = (await sent.json()) as { id: string; messageHeaderId: string };
    const delivered = await eventually(() =>
      gateway.envelopes.map((xml) => readFhirMessage(unwrapVansEnvelope(xml).payload).bundle).find((b) => parseCareCommunication(b).messageHeaderId === messageHeaderId),
    );
    const original = parseCareCommunication(delivered);
    const statusOf = async () => (await database.db.selectFrom('correspondence_message').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    await eventually(async () => (await statusOf()) === 'sent');

    const ppr = { sor: MC.aalborgPpr, gln: MC.aalborgPprEan };
    const ackFrom = (sender: { sor: string; gln: string }, code: 'ok' | 'fatal-error' = 'ok') =>
      buildAcknowledgement({
        answered: { ...original, receiver: { ...original.receiver, ...sender } },
        code,
        ...(code === 'fatal-error' ? { issues: [{ code: 'MSG_Receiver_Identifier_UNKNOWN', message: 'unknown' }] } : {}),
        ids: () => crypto.randomUUID(),
        clock: () => new Date(),
      });
    // PPR's GLN, no SOR code at all: the sender is named only by a location number that is not the receiver's.
    const glnOnly = ackFrom(ppr, 'fatal-error');
    for (const entry of glnOnly['entry'] as JsonObject[]) {
      const resource = entry['resource'] as JsonObject;
      if (resource['resourceType'] !== 'Organization') continue;
      const identifiers = resource['identifier'] as JsonObject[];
      if (identifiers.some((i) => i['value'] === MC.aalborgPprEan)) resource['identifier'] = identifiers.filter((i) => i['system'] !== SOR_SYSTEM);
    }
    const forgeries: Array<[string, JsonObject]> = [
      ['another GLN and no SOR code', glnOnly],
      ["the receiver's SOR code with another GLN", ackFrom({ sor: MC.teamAalborg, gln: MC.aalborgPprEan }, 'fatal-error')],
      ['another SOR code and GLN', ackFrom(ppr)],
    ];
    for (const [what, ack] of forgeries) {
      const res = await postInbound(await gatewayToken(), ack);
      expect({ what, status: res.status }).toEqual({ what, status: 422 });
      expect(await problemType(res)).toBe(`${PROBLEM_BASE}unknown-message`);
      expect({ what, status: await statusOf() }).toEqual({ what, status: 'sent' });
    }
    const refusals = await database.db
      .selectFrom('audit_event')
      .selectAll()
      .where('kind', '=', 'acknowledgement-received')
      .where('outcome', '=', 'failed')
      .execute();
    const mine = refusals.filter((r) => (r.details as Record<string, unknown>)['answeredMessageHeaderId'] === messageHeaderId);
    expect(mine).toHaveLength(forgeries.length);
    for (const record of mine) {
      expect(record).toMatchObject({ actor_issuer: vans.issuer, actor_subject: GATEWAY_SUBJECT, actor_role: 'medcom-gateway', patient_cpr: CHILD.cpr });
      expect(record.details).toMatchObject({ reason: 'sender-not-receiver', messageId: id, expectedSender: { sor: MC.teamAalborg, gln: MC.childPsychiatryEan } });
    }
    const lines = broker.logs.filter((l) => l.includes('acknowledgement-sender-mismatch'));
    expect(lines.length).toBe(forgeries.length);
    expect(lines.join('')).not.toContain(CHILD.cpr);

    // The receiver's own acknowledgement, relayed by the gateway, still settles the message.
    const genuine = await postInbound(await gatewayToken(), buildAcknowledgement({ answered: original, code: 'ok', ids: () => crypto.randomUUID(), clock: () => new Date() }));
    expect(genuine.status).toBe(200);
    expect(await genuine.json()).toMatchObject({ messageId: id, code: 'ok', status: 'acknowledged' });
  });
});

describe.each(databaseKinds())('attack: MedCom inbound with no gateway identity configured (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let vans: TestIssuer;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    vans = await createTestIssuer({ issuer: 'https://vans.unconfigured.example', organisations: [MC.region], roles: ['medcom-gateway'] });
    const sts = await createTestIssuer({ issuer: 'https://sts.unconfigured.example', organisations: ROOTS });
    broker = await startTestBroker({ database, issuers: [sts, vans], env: { MEDCOM_FILE_DROP_DIR: `${process.env.TMPDIR ?? '/tmp'}/gateway-attack-${kind}-${process.pid}` } });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  it('refuses every inbound message, even from the gateway issuer', async () => {
    const forged = forgedFromPsychiatry();
    const token = await vans.token({ subject: GATEWAY_SUBJECT, organisationSor: MC.region, role: 'medcom-gateway', assurance: 'high', purposeOfUse: 'treatment' });
    const res = await broker.request('/v1/medcom/inbound', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(forged) });
    expect(res.status).toBe(403);
    expect(await problemType(res)).toBe(`${PROBLEM_BASE}gateway-identity-refused`);
    expect(await database.db.selectFrom('correspondence_message').select('id').execute()).toEqual([]);
  });
});
