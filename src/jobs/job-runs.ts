/**
 * The last run of each scheduled job (`job_run`), and what pg-boss holds for each queue: what
 * `broker jobs` prints and the metrics export.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { JobRunStatus } from '../../db/schema/job-run.js';
import { scrubCpr } from '../logging/logger.js';

/** Job errors may quote a source's message: kept short, and anything CPR-shaped is masked. */
export function scrubJobError(message: string): string {
  return scrubCpr(message).slice(0, 500);
}

export async function recordRunStarted(db: Kysely<Database>, name: string, jobId: string, now = new Date()): Promise<void> {
  await db
    .insertInto('job_run')
    .values({ name, job_id: jobId, status: 'running', started_at: now, finished_at: null, summary: null, error: null })
    .onConflict((oc) => oc.column('name').doUpdateSet({ job_id: jobId, status: 'running', started_at: now, finished_at: null, summary: null, error: null }))
    .execute();
}

export async function recordRunFinished(
  db: Kysely<Database>,
  name: string,
  jobId: string,
  outcome: { status: 'succeeded'; summary: Readonly<Record<string, unknown>> } | { status: 'failed'; error: string },
  now = new Date(),
): Promise<void> {
  const succeeded = outcome.status === 'succeeded';
  await db
    .updateTable('job_run')
    .set((eb) => ({
      status: outcome.status,
      finished_at: now,
      summary: succeeded ? JSON.stringify(outcome.summary) : null,
      error: succeeded ? null : scrubJobError(outcome.error),
      runs: eb('runs', '+', 1),
      failures: succeeded ? eb.ref('failures') : eb('failures', '+', 1),
      last_succeeded_at: succeeded ? now : eb.ref('last_succeeded_at'),
    }))
    .where('name', '=', name)
    .where('job_id', '=', jobId)
    .execute();
}

export interface JobRunView {
  readonly name: string;
  readonly jobId: string;
  readonly status: JobRunStatus;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly summary: Record<string, unknown> | null;
  readonly error: string | null;
  readonly lastSucceededAt: Date | null;
  readonly runs: number;
  readonly failures: number;
}

export async function listJobRuns(db: Kysely<Database>): Promise<JobRunView[]> {
  const rows = await db.selectFrom('job_run').selectAll().orderBy('name').execute();
  return rows.map((r) => ({
    name: r.name,
    jobId: r.job_id,
    status: r.status,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at,
    summary: r.summary,
    error: r.error,
    lastSucceededAt: r.last_succeeded_at,
    runs: r.runs,
    failures: r.failures,
  }));
}

export type QueueState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface QueueCounts {
  readonly name: string;
  readonly counts: Readonly<Partial<Record<QueueState, number>>>;
  /** When a job of this queue last completed (still in pg-boss's job table). */
  readonly lastCompletedAt: Date | null;
  readonly lastFailedAt: Date | null;
}

/** Jobs per queue and state in pg-boss's job table (pg-boss's internal queues left out). */
export async function queueCounts(db: Kysely<Database>): Promise<QueueCounts[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('pgboss.job') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await sql<{ name: string; state: QueueState; n: string; last_completed: Date | null; last_failed: Date | null }>`
    select name, state::text as state, count(*) as n,
      max(completed_on) filter (where state = 'completed') as last_completed,
      max(completed_on) filter (where state = 'failed') as last_failed
    from pgboss.job where name not like '\\_\\_pgboss%' group by name, state order by name`.execute(db);
  const byName = new Map<string, { counts: Partial<Record<QueueState, number>>; lastCompletedAt: Date | null; lastFailedAt: Date | null }>();
  for (const r of rows) {
    const entry = byName.get(r.name) ?? { counts: {}, lastCompletedAt: null, lastFailedAt: null };
    entry.counts[r.state] = Number(r.n);
    if (r.last_completed) entry.lastCompletedAt = new Date(r.last_completed);
    if (r.last_failed) entry.lastFailedAt = new Date(r.last_failed);
    byName.set(r.name, entry);
  }
  return [...byName].map(([name, e]) => ({ name, ...e }));
}

export interface ScheduleView {
  readonly name: string;
  readonly cron: string;
  readonly timeZone: string;
}

/** The schedules pg-boss keeps (written by the broker at start). */
export async function listSchedules(db: Kysely<Database>): Promise<ScheduleView[]> {
  const exists = await sql<{ ok: boolean }>`select to_regclass('pgboss.schedule') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await sql<{ name: string; cron: string; timezone: string }>`select name, cron, timezone from pgboss.schedule order by name`.execute(db);
  return rows.map((r) => ({ name: r.name, cron: r.cron, timeZone: r.timezone }));
}

const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
const table = (rows: string[][]): string => {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
};

/** What `broker jobs` prints: each scheduled job's last run, then each queue's jobs by state. */
export function formatJobReport(schedules: readonly ScheduleView[], runs: readonly JobRunView[], queues: readonly QueueCounts[]): string {
  const runOf = new Map(runs.map((r) => [r.name, r]));
  const names = [...new Set([...schedules.map((s) => s.name), ...runs.map((r) => r.name)])].sort();
  const scheduled = names.map((name) => {
    const s = schedules.find((x) => x.name === name);
    const r = runOf.get(name);
    const took = r?.finishedAt ? `${((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(1)}s` : '-';
    const detail = r?.status === 'failed' ? (r.error ?? '') : r?.summary ? Object.entries(r.summary).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
    return [name, s ? `${s.cron} (${s.timeZone})` : '(not scheduled)', iso(r?.startedAt ?? null), r?.status ?? 'never run', took, iso(r?.lastSucceededAt ?? null), String(r?.runs ?? 0), String(r?.failures ?? 0), detail];
  });
  const queueRows = queues.map((q) => [q.name, ...(['created', 'retry', 'active', 'failed'] as const).map((s) => String(q.counts[s] ?? 0)), iso(q.lastCompletedAt), iso(q.lastFailedAt)]);
  return [
    'Scheduled jobs',
    table([['job', 'schedule', 'last run', 'status', 'took', 'last success', 'runs', 'failures', 'detail'], ...scheduled]),
    '',
    'Queues (jobs held by pg-boss)',
    queueRows.length > 0 ? table([['queue', 'waiting', 'retrying', 'active', 'failed', 'last completed', 'last failed'], ...queueRows]) : '(none)',
  ].join('\n');
}
