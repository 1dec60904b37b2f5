/**
 * The SIEM feed over real syslog listeners on loopback: a broker sending to UDP reports a refused
 * token, a refused role, a denied lookup (an audit record with outcome denied), an integrity failure
 * and an anomaly flag; a TCP sink gets an audit-write failure. RFC 5424 framing; a CPR put into
 * every field a caller controls appears in none of the lines.
 */
import { createSocket } from 'node:dgram';
import { type AddressInfo, createServer } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { systemActor } from '../src/audit/audit-event.js';
import type { AuditWriter } from '../src/audit/audit-writer.js';
import { createLogger } from '../src/logging/logger.js';
import { reportingAuditWriter } from '../src/security-events/reporting-audit-writer.js';
import { createSecurityEvents } from '../src/security-events/security-events.js';
import { type TestBroker, startTestBroker } from './helpers/broker.js';
import { createTestDatabase } from './helpers/database.js';
import { asSchemaOwner } from './helpers/insider.js';
import { type TestIssuer, createTestIssuer } from './helpers/issuers.js';
import { untypedRecord } from './helpers/audit-records.js';

const CPR = '1503124013';
const ORG = '100000000000010';
const RFC5424 = /^<(\d{1,3})>1 \d{4}-\d{2}-\d{2}T\S+ \S+ child-data-broker \d+ ([a-z-]+) - (\{.*\})\n?$/s;

const parse = (message: string): { pri: number; msgid: string; event: Record<string, unknown> } => {
  const m = RFC5424.exec(message);
  if (!m) throw new Error(`not an RFC 5424 message: ${message.slice(0, 80)}`);
  return { pri: Number(m[1]), msgid: m[2] as string, event: JSON.parse(m[3] as string) as Record<string, unknown> };
};

async function until<T>(read: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting for a security event');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the SIEM feed', () => {
  let database: DatabaseHandle;
  let idp: TestIssuer;
  let broker: TestBroker;
  const udpMessages: string[] = [];
  const udp = createSocket('udp4');
  beforeAll(async () => {
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    udp.on('message', (m) => udpMessages.push(m.toString('utf8')));
    database = await createTestDatabase('pglite');
    idp = await createTestIssuer({ issuer: 'https://idp.siem.example', organisations: [ORG] });
    broker = await startTestBroker({
      database,
      issuers: [idp],
      organisations: { isWithin: (sor, root) => sor === root },
      env: { BROKER_SECURITY_EVENTS: `udp://127.0.0.1:${(udp.address() as AddressInfo).port}`, BROKER_ANOMALY_DENIALS_PER_HOUR: '1' },
    });
  });
  afterAll(async () => {
    await broker?.close();
    await database?.close();
    udp.close();
  });
  const found = (type: string) => () => udpMessages.map(parse).find((m) => m.event.type === type);

  it('reports a refused token, with the CPR a caller put in its request id scrubbed', async () => {
    const response = await broker.request('/v1/audit/integrity', { headers: { Authorization: 'Bearer not.a.token', 'X-Request-Id': CPR } });
    expect(response.status).toBe(401);
    const { pri, msgid, event } = await until(found('authentication-failure'));
    expect(pri).toBe(13 * 8 + 4); // facility log audit, severity warning
    expect(msgid).toBe('authentication-failure');
    expect(event).toMatchObject({ kind: 'security-event', severity: 'warning', requestId: '[cpr]', details: { status: 401, method: 'GET' } });
  });

  it('reports a refused role, a denied record and an integrity failure, never with the CPR in the subject, reason or record', async () => {
    const clinician = await idp.token({ organisationSor: ORG, role: 'clinician', subject: CPR });
    expect((await broker.request('/v1/audit/anomalies', { headers: { Authorization: `Bearer ${clinician}` } })).status).toBe(403);
    expect((await until(found('access-denied'))).event).toMatchObject({ reason: 'forbidden-role', actor: { subject: '[cpr]', organisation: ORG, role: 'clinician' } });

    // A denied lookup, as the lookup service records it: through the broker's one audit writer.
    for (let i = 0; i < 2; i += 1) {
      await broker.broker.audit.write(untypedRecord({
        kind: 'lookup', outcome: 'denied', occurredAt: new Date(), requestId: `r-${CPR}`,
        actor: { issuer: 'https://idp.siem.example', subject: `u-${CPR}`, displayName: CPR, role: 'caseworker', organisationSor: ORG, assurance: 'substantial', callingSystem: CPR },
        purpose: 'child-welfare-concern', reason: `about ${CPR}`, patientCpr: CPR, details: { sources: [{ organisation: '265161000016000', status: 'denied', cpr: CPR }] },
      }));
    }
    const denied = await until(() => udpMessages.map(parse).find((m) => m.event.reason === 'lookup-denied'));
    expect(denied.event).toMatchObject({ type: 'access-denied', details: { kind: 'lookup', deniedOrganisations: ['265161000016000'] } });

    // Anomaly: two denials in one hour by one user (limit 1 here), run on demand.
    const auditor = async () => ({ Authorization: `Bearer ${await idp.token({ organisationSor: ORG, role: 'auditor' })}` });
    expect((await broker.request('/v1/audit/anomalies/run', { method: 'POST', headers: await auditor() })).status).toBe(200);
    expect((await until(found('anomaly-flag'))).event).toMatchObject({ severity: 'warning', reason: 'denials-per-hour', actor: { organisation: ORG } });

    await asSchemaOwner(database.db, [sql`update audit_event set reason = 'nothing to see' where seq = 1`]);
    const report = await (await broker.request('/v1/audit/integrity', { headers: await auditor() })).json();
    expect(report).toMatchObject({ ok: false, firstBrokenRecord: '1' });
    expect((await until(found('integrity-failure'))).event).toMatchObject({ severity: 'critical', reason: 'chain-broken', details: { firstBrokenRecord: '1' } });

    const all = udpMessages.join('\n');
    expect(all).not.toContain(CPR);
    expect(all).not.toMatch(/150312-?4013/);
  });

  it('sends to a TCP syslog listener, newline-framed, and reports an audit write the database refused', async () => {
    const received: string[] = [];
    const server = createServer((socket) => socket.on('data', (d) => received.push(d.toString('utf8'))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const events = createSecurityEvents({ kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port: (server.address() as AddressInfo).port }, { logger: createLogger({ level: 'silent' }) });
    const failing: AuditWriter = { write: async () => Promise.reject(new Error(`value ${CPR} refused`)), writeIn: async () => Promise.reject(new Error(`value ${CPR} refused`)), writeWith: async () => Promise.reject(new Error(`value ${CPR} refused`)), drain: async () => undefined };
    const writer = reportingAuditWriter(failing, events);
    await expect(
      writer.write(untypedRecord({ kind: 'correspondence-sent', outcome: 'success', occurredAt: new Date(), requestId: CPR, actor: systemActor(CPR), purpose: CPR, reason: CPR, patientCpr: CPR, details: { cpr: CPR } })),
    ).rejects.toThrow();
    const lines = await until(() => (received.join('').includes('\n') ? received.join('').split('\n').filter((l) => l !== '') : undefined));
    const { pri, msgid, event } = parse(lines[0] as string);
    expect(pri).toBe(13 * 8 + 3);
    expect(msgid).toBe('audit-write-failure');
    expect(event).toMatchObject({ type: 'audit-write-failure', reason: 'Error', details: { kind: 'correspondence-sent' } });
    expect(received.join('')).not.toContain(CPR);
    await events.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
