/**
 * Attack: "reads about a child that left no audit record". A GP clinician searches the
 * correspondence by the child's CPR and follows a conversation; a municipal caseworker searches
 * for the same child and finds nothing. Every one of these reads, and reading a message or its
 * attachment, must leave an audit record shaped like a lookup's (who, role, acting organisation,
 * purpose, the child's CPR in the record only, what was read, request id, outcome), and must answer
 * 503 with nothing in it when that record cannot be written. Real HTTP, tokens from two issuers,
 * PGlite and PostgreSQL.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import { PROBLEM_BASE } from '../../src/http/problem.js';
import { type TestBroker, startTestBroker } from '../helpers/broker.js';
import { createTestDatabase, databaseKinds } from '../helpers/database.js';
import { type TestIssuer, createTestIssuer } from '../helpers/issuers.js';
import { MC, ROOTS, seedCorrespondenceDirectory } from '../helpers/medcom-orgs.js';

const AALBORG_KOMMUNE = '9520011000016001';
const CHILD = { cpr: '0101201234', given: ['Emma'], family: 'Jensen' };
const AUTHOR = { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '+45 98 12 34 56' };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n').toString('base64');

describe.each(databaseKinds())('attack: unaudited correspondence reads (%s)', (kind) => {
  let database: DatabaseHandle;
  let broker: TestBroker;
  let sts: TestIssuer;
  let aalborg: TestIssuer;
  let messageId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
    sts = await createTestIssuer({ issuer: 'https://sts.reads.example', organisations: ROOTS });
    aalborg = await createTestIssuer({ issuer: 'https://idp.aalborg.reads.example', organisations: [AALBORG_KOMMUNE] });
    broker = await startTestBroker({
      database,
      issuers: [sts, aalborg],
      env: { MEDCOM_FILE_DROP_DIR: `${process.env.TMPDIR ?? '/tmp'}/unaudited-reads-${kind}-${process.pid}` },
    });
    const sent = await call(sts, MC.gpClinic, 'POST', '/v1/correspondence', {
      kind: 'new',
      receiverSor: MC.teamAalborg,
      patient: CHILD,
      category: 'carecoordination',
      text: 'Vi har set Emma i dag.',
      author: AUTHOR,
      attachments: [{ contentType: 'application/pdf', title: 'Notat', data: PDF }],
    });
    expect(sent.status).toBe(202);
    messageId = ((await sent.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
  });

  async function call(issuer: TestIssuer, organisationSor: string, method: 'GET' | 'POST', path: string, body?: unknown, role: 'clinician' | 'caseworker' = 'clinician') {
    const token = await issuer.token({ subject: `user-at-${organisationSor}`, organisationSor, role, assurance: 'substantial', purposeOfUse: 'coordinated-care', displayName: 'Test Person' });
    return broker.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  }
  const auditFor = (requestId: string | null) =>
    database.db.selectFrom('audit_event').selectAll().where('request_id', '=', requestId ?? '').execute();
  const expectLookupShape = (record: Record<string, unknown> | undefined, issuer: TestIssuer, organisationSor: string, role: string) =>
    expect(record).toMatchObject({
      kind: 'correspondence-read',
      outcome: 'success',
      actor_issuer: issuer.issuer,
      actor_subject: `user-at-${organisationSor}`,
      actor_name: 'Test Person',
      actor_role: role,
      actor_organisation: organisationSor,
      actor_assurance: 'substantial',
      purpose: 'coordinated-care',
      patient_cpr: CHILD.cpr,
    });

  it('audits a search by CPR, with what it returned', async () => {
    const res = await call(sts, MC.gpClinic, 'POST', '/v1/correspondence/search', { patientCpr: CHILD.cpr });
    expect(res.status).toBe(200);
    const items = ((await res.json()) as { items: Array<{ id: string }> }).items;
    expect(items.map((i) => i.id)).toContain(messageId);
    const records = await auditFor(res.headers.get('x-request-id'));
    expect(records).toHaveLength(1);
    expectLookupShape(records[0], sts, MC.gpClinic, 'clinician');
    expect(records[0]?.details).toMatchObject({ read: 'search', messageIds: items.map((i) => i.id), results: items.length });
    // The CPR is in the record's own column, not repeated in what was asked.
    expect(JSON.stringify(records[0]?.details)).not.toContain(CHILD.cpr);
  });

  it("audits a search by CPR that finds nothing, from another issuer's organisation", async () => {
    const res = await call(aalborg, MC.aalborgPpr, 'POST', '/v1/correspondence/search', { patientCpr: CHILD.cpr }, 'caseworker');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    const records = await auditFor(res.headers.get('x-request-id'));
    expect(records).toHaveLength(1);
    expectLookupShape(records[0], aalborg, MC.aalborgPpr, 'caseworker');
    expect(records[0]?.details).toMatchObject({ read: 'search', results: 0, messageIds: [] });
  });

  it('audits following a conversation', async () => {
    const res = await call(sts, MC.gpClinic, 'GET', `/v1/correspondence/${messageId}/thread`);
    expect(res.status).toBe(200);
    const records = await auditFor(res.headers.get('x-request-id'));
    expect(records).toHaveLength(1);
    expectLookupShape(records[0], sts, MC.gpClinic, 'clinician');
    expect(records[0]?.details).toMatchObject({ read: 'thread', messageId, messageIds: [messageId] });
  });

  it('audits a conversation that shows two children once for each child', async () => {
    // An episode of care joins messages into one conversation; a sender reusing one for another
    // child must not make that child's message an unaudited read.
    const sent = await call(sts, MC.gpClinic, 'POST', '/v1/correspondence', { kind: 'new', receiverSor: MC.teamAalborg, patient: CHILD, category: 'carecoordination', text: 'Første.', author: AUTHOR });
    const first = ((await sent.json()) as { id: string }).id;
    const episode = crypto.randomUUID();
    await database.db.updateTable('correspondence_message').set({ episode_of_care_id: episode }).where('id', '=', first).execute();
    const other = await call(sts, MC.gpClinic, 'POST', '/v1/correspondence', { kind: 'new', receiverSor: MC.teamAalborg, patient: { cpr: '0202201234', given: ['Oliver'], family: 'Hansen' }, category: 'carecoordination', text: 'Anden.', author: AUTHOR });
    const second = ((await other.json()) as { id: string }).id;
    await database.db.updateTable('correspondence_message').set({ episode_of_care_id: episode }).where('id', '=', second).execute();

    const res = await call(sts, MC.gpClinic, 'GET', `/v1/correspondence/${first}/thread`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id).sort()).toEqual([first, second].sort());
    const records = await auditFor(res.headers.get('x-request-id'));
    expect(records.map((r) => [r.patient_cpr, (r.details as { messageIds: string[] }).messageIds]).sort()).toEqual(
      [[CHILD.cpr, [first]], ['0202201234', [second]]].sort(),
    );
  });

  it('audits reading a message and an attachment the same way', async () => {
    const read = await call(sts, MC.gpClinic, 'GET', `/v1/correspondence/${messageId}`);
    expect(read.status).toBe(200);
    const readRecords = await auditFor(read.headers.get('x-request-id'));
    expect(readRecords).toHaveLength(1);
    expectLookupShape(readRecords[0], sts, MC.gpClinic, 'clinician');
    expect(readRecords[0]?.details).toMatchObject({ read: 'message', messageId });

    const attachment = await call(sts, MC.gpClinic, 'GET', `/v1/correspondence/${messageId}/attachments/0`);
    expect(attachment.status).toBe(200);
    const attachmentRecords = await auditFor(attachment.headers.get('x-request-id'));
    expect(attachmentRecords).toHaveLength(1);
    expectLookupShape(attachmentRecords[0], sts, MC.gpClinic, 'clinician');
    expect(attachmentRecords[0]?.details).toMatchObject({ read: 'attachment', messageId, attachment: 0 });
  });

  it('answers 503 and returns nothing when the read cannot be audited', async () => {
    await sql`alter table audit_event rename to audit_event_offline`.execute(database.db);
    try {
      for (const [method, path, body] of [
        ['POST', '/v1/correspondence/search', { patientCpr: CHILD.cpr }],
        ['GET', `/v1/correspondence/${messageId}/thread`, undefined],
        ['GET', `/v1/correspondence/${messageId}`, undefined],
        ['GET', `/v1/correspondence/${messageId}/attachments/0`, undefined],
      ] as const) {
        const res = await call(sts, MC.gpClinic, method, path, body);
        const text = await res.text();
        expect({ path, status: res.status }).toEqual({ path, status: 503 });
        expect(JSON.parse(text)).toMatchObject({ type: `${PROBLEM_BASE}audit-unavailable` });
        expect(text).not.toContain(messageId);
        expect(text).not.toMatch(/items|threadKey|PDF|Emma/);
      }
    } finally {
      await sql`alter table audit_event_offline rename to audit_event`.execute(database.db);
    }
  });

  it('never writes the CPR into a log line', () => {
    expect(broker.logs.join('')).not.toContain(CHILD.cpr);
  });
});
