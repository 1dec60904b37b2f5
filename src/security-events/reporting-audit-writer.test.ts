import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/schema/index.js';
import { systemActor } from '../audit/audit-event.js';
import type { AuditRecord } from '../audit/audit-record.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { reportingAuditWriter } from './reporting-audit-writer.js';
import type { SecurityEvent } from './security-event.js';
import type { SecurityEvents } from './security-events.js';

const record: AuditRecord = {
  kind: 'correspondence-sent',
  outcome: 'success',
  occurredAt: new Date('2026-12-02T10:00:00Z'),
  requestId: 'req-1',
  actor: systemActor('test'),
  purpose: null,
  reason: null,
  patientCpr: null,
  details: { messageId: 'm', counterpartSor: '9520041000016004', counterpartEan: null, bundleId: 'b', messageHeaderId: 'h', kind: 'new', category: 'other', agreements: [] },
};
// The change never touches the transaction here; the writer below only hands it on.
const trx = {} as unknown as Kysely<Database>;

/** A writer that runs the change, then succeeds or fails on the audit side as told. */
const writerWhoseAudit = (fails: boolean): AuditWriter => ({
  write: async () => 'id',
  writeIn: async () => 'id',
  writeWith: async (_what, change) => {
    const value = await change(trx);
    if (fails) throw new Error('audit table gone');
    return value;
  },
  drain: async () => undefined,
});

describe('the reporting audit writer, with a change', () => {
  const stored = async (): Promise<string> => 'stored';
  const conflict = async (): Promise<string> => Promise.reject(new Error('conflict'));
  it.each<[string, boolean, () => Promise<string>, string | null, string[]]>([
    ['the audit fails after the change', true, stored, 'audit table gone', ['audit-write-failure']],
    ['the change throws its own error (a conflict), the audit is not at fault', false, conflict, 'conflict', []],
    ['both succeed', false, stored, null, []],
  ])('when %s, it reports only what the audit failed', async (_case, auditFails, change, error, reported) => {
    const emitted: SecurityEvent[] = [];
    const events: SecurityEvents = {
      emit: (e: SecurityEvent): void => {
        emitted.push(e);
      },
      close: async (): Promise<void> => undefined,
    };
    const writer = reportingAuditWriter(writerWhoseAudit(auditFails), events);
    const result = writer.writeWith('the message', change, record);
    if (error) await expect(result).rejects.toThrow(error);
    else await expect(result).resolves.toBe('stored');
    expect(emitted.map((e) => e.type)).toEqual(reported);
  });
});
