/**
 * Anomaly rule (e), lookups with no follow-up: a user's lookup of a child after which, within N
 * days, the organisation neither wrote nor received correspondence about the child nor found a case
 * for it at any source. Table of cases over real audit records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { DEFAULT_ANOMALY_RULES, runAnomalyRules } from '../src/audit/anomaly.js';
import type { AuditEventInput, AuditKind, AuditOutcome } from '../src/audit/audit-event.js';
import { createAuditWriter } from '../src/audit/audit-writer.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { untypedRecord } from './helpers/audit-records.js';

const DAY = 86_400_000;
const NOW = new Date();
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

interface Row {
  readonly user: string;
  readonly org: string;
  readonly child: string;
  readonly kind: AuditKind;
  readonly outcome?: AuditOutcome;
  readonly at: Date;
  readonly details?: Record<string, unknown>;
}

const record = (r: Row): AuditEventInput => ({
  kind: r.kind,
  outcome: r.outcome ?? 'success',
  occurredAt: r.at,
  requestId: null,
  actor: { issuer: 'https://idp.example', subject: r.user, displayName: null, role: 'caseworker', organisationSor: r.org, assurance: 'substantial', callingSystem: null },
  purpose: 'child-welfare-concern',
  reason: 'bekymring',
  patientCpr: r.child,
  details: r.details ?? { sources: [{ organisation: '265161000016000', status: 'not-found', cases: 0 }] },
});

// [case, the records, is the user flagged]
const CASES: Array<[string, Row[], boolean]> = [
  ['a lookup 20 days ago and nothing after it', [{ user: 'a', org: '100000000000001', child: '0101101111', kind: 'lookup', at: ago(20) }], true],
  ['a message sent about the child five days later', [
    { user: 'b', org: '100000000000002', child: '0101102222', kind: 'lookup', at: ago(20) },
    { user: 'b2', org: '100000000000002', child: '0101102222', kind: 'correspondence-sent', at: ago(15), details: {} },
  ], false],
  ['a message about the child received by the organisation three days later', [
    { user: 'c', org: '100000000000003', child: '0101103333', kind: 'lookup', at: ago(20) },
    { user: 'gw', org: '999999999999999', child: '0101103333', kind: 'correspondence-received', at: ago(17), details: { receiverSor: '100000000000003' } },
  ], false],
  ['the lookup found a case at a source', [
    { user: 'd', org: '100000000000004', child: '0101104444', kind: 'lookup', at: ago(20), details: { sources: [{ organisation: '265161000016000', status: 'found', cases: 1 }] } },
  ], false],
  ['a later lookup by the organisation found a case', [
    { user: 'h', org: '100000000000008', child: '0101108888', kind: 'lookup', at: ago(20) },
    { user: 'h2', org: '100000000000008', child: '0101108888', kind: 'lookup', at: ago(18), details: { sources: [{ organisation: '265161000016000', status: 'found', cases: 2 }] } },
  ], false],
  ['the waiting time has not passed (five days ago)', [{ user: 'e', org: '100000000000005', child: '0101105555', kind: 'lookup', at: ago(5) }], false],
  ['only another organisation wrote about the child', [
    { user: 'f', org: '100000000000006', child: '0101106666', kind: 'lookup', at: ago(20) },
    { user: 'x', org: '100000000000099', child: '0101106666', kind: 'correspondence-sent', at: ago(19), details: {} },
  ], true],
  ['a message only after the waiting time (20 days later)', [
    { user: 'i', org: '100000000000009', child: '0101109999', kind: 'lookup', at: ago(30) },
    { user: 'i', org: '100000000000009', child: '0101109999', kind: 'correspondence-sent', at: ago(10), details: {} },
  ], true],
  ['a denied lookup shows nothing to follow up', [{ user: 'g', org: '100000000000007', child: '0101107777', kind: 'lookup', outcome: 'denied', at: ago(20) }], false],
];

describe.each(databaseKinds())('anomaly rule: lookups with no follow-up, on %s', (kind) => {
  let database: DatabaseHandle;
  let flaggedUsers: string[];
  let explanations: string[];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const writer = createAuditWriter(database.db);
    for (const [, rows] of CASES) for (const r of rows) await writer.write(untypedRecord(record(r)));
    const rules = { ...DEFAULT_ANOMALY_RULES, lookbackHours: 24 * 40, noFollowUpDays: 14, distinctChildrenPerDay: 1000, offHoursExempt: [] };
    const { flagged } = await runAnomalyRules(database.db, { ...rules, workingHours: { start: 0, end: 24 } }, NOW);
    const rows = await database.db.selectFrom('anomaly_flag').select(['subject_user', 'explanation', 'rule']).where('id', 'in', flagged.length ? flagged : ['00000000-0000-0000-0000-000000000000']).execute();
    flaggedUsers = rows.filter((r) => r.rule === 'no-follow-up').map((r) => r.subject_user as string);
    explanations = rows.filter((r) => r.rule === 'no-follow-up').map((r) => r.explanation);
    // A rerun flags nothing twice.
    expect((await runAnomalyRules(database.db, { ...rules, workingHours: { start: 0, end: 24 } }, NOW)).flagged).toEqual([]);
  });
  afterAll(async () => database?.close());

  it.each(CASES)('%s', (_name, rows, flagged) => {
    expect(flaggedUsers.includes(rows[0]?.user as string)).toBe(flagged);
  });

  it('explains the flag in Danish, without the child', () => {
    expect(explanations.length).toBeGreaterThan(0);
    for (const text of explanations) {
      expect(text).toMatch(/^Bruger \S+ hos \d+ slog et barn op den \d+\. \S+ \d{4}, uden at organisationen inden for 14 dage skrev eller modtog en korrespondancemeddelelse om barnet eller fandt en sag hos en kilde\.$/);
      for (const [, rows] of CASES) for (const r of rows) expect(text).not.toContain(r.child);
    }
  });
});
