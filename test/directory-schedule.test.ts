/**
 * The nightly SOR import's job against a drop directory: it imports the newest file, announces
 * a change only when something changed, survives a broken file (and is retried), skips while
 * another instance imports, and runs on pg-boss's scheduler at 03:30 Copenhagen time, across
 * the summer-time changes, once however many instances run.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { createLogger } from '../src/logging/logger.js';
import { importScheduled, SOR_IMPORT, sorImportJob } from '../src/directory/jobs/sor-import.js';
import type { ChangeTopic } from '../src/platform/change-feed.js';
import { startTestBroker } from './helpers/broker.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { createTestIssuer } from './helpers/issuers.js';
import { NJ, NORTH_JUTLAND_XML, changedSnapshot } from './helpers/sor-files.js';

describe.each(databaseKinds())('scheduled SOR import on %s', (kind) => {
  let database: DatabaseHandle;
  let dir: string;
  const published: ChangeTopic[] = [];
  const lines: Array<{ level: string; msg: string; code?: string }> = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string });
        done();
      },
    }),
  });
  const deps = () => ({
    db: database.db,
    source: dir,
    changes: { publish: async (topic: ChangeTopic) => void published.push(topic) },
    logger,
    now: () => new Date('2026-12-02T02:30:00Z'),
  });
  const schedule = () => ({ runOnce: () => importScheduled(deps()) });
  // Files in the drop directory, each newer than the last.
  let clock = Date.parse('2026-12-01T00:00:00Z') / 1000;
  const drop = (name: string, xml: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, xml);
    clock += 60;
    utimesSync(file, clock, clock);
  };
  const organisation = (sor: string) => database.db.selectFrom('organisation').select(['name', 'removed_at']).where('sor', '=', sor).executeTakeFirst();

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'sor-drop-'));
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('imports the newest file and announces the directory change', async () => {
    drop('sor-2026-11-23.xml', NORTH_JUTLAND_XML);
    const outcome = await schedule().runOnce();
    expect(outcome.status).toBe('imported');
    expect(outcome.status === 'imported' && outcome.result).toMatchObject({ added: 110, removed: 0 });
    expect(published).toEqual(['directory']);
    expect((await organisation(NJ.teamAalborg))?.name).toBe('Børne- og Ungdomspsykiatri, Team Aalborg');
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'scheduled SOR import: directory updated' });
  });

  it('announces nothing when the newest file holds nothing new', async () => {
    const outcome = await schedule().runOnce();
    expect(outcome).toMatchObject({ status: 'unchanged', result: { identicalToLast: true } });
    expect(published).toEqual(['directory']);
  });

  it('imports a later snapshot dropped beside the old one', async () => {
    drop('sor-2026-12-01.xml', changedSnapshot());
    const outcome = await schedule().runOnce();
    expect(outcome.status === 'imported' && outcome.result).toMatchObject({ added: 1, changed: 1, removed: 1 });
    expect(published).toEqual(['directory', 'directory']);
    expect((await organisation(NJ.teamAalborg))?.name).toBe('Børne- og Ungdomspsykiatri, Team Aalborg Øst');
    expect((await organisation(NJ.eatingDisorders))?.removed_at).not.toBeNull();
  });

  it('logs a broken file, changes nothing, and does not throw', async () => {
    const before = await database.db.selectFrom('organisation_version').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    drop('sor-2026-12-02.xml', changedSnapshot().slice(0, 5000));
    const outcome = await schedule().runOnce();
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toMatch(/sor-2026-12-02\.xml:\d+:\d+/);
    expect(lines.at(-1)).toMatchObject({ level: 'error', code: 'truncated' });
    expect(lines.at(-1)?.msg).toMatch(/nothing changed/);
    const after = await database.db.selectFrom('organisation_version').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect(published).toHaveLength(2);
    // As a job it fails the run, so pg-boss retries it by the job's policy.
    await expect(sorImportJob(deps()).handle({}, { id: 'test' })).rejects.toThrow(/sor-2026-12-02\.xml/);
  });

  it.runIf(kind === 'postgres')('skips at once while another instance holds the import lock', async () => {
    drop('sor-2026-12-03.xml', NORTH_JUTLAND_XML.replace('<SnapshotDate>2026-11-23</SnapshotDate>', '<SnapshotDate>2026-12-03</SnapshotDate>'));
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtext('sor-import'))`);
      const started = Date.now();
      const outcome = await schedule().runOnce();
      expect(outcome.status).toBe('skipped');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(lines.at(-1)?.msg).toMatch(/another instance/);
    } finally {
      await other.query('rollback');
      await other.end();
    }
    // Next night, with the lock free, the same file goes in.
    expect((await schedule().runOnce()).status).toBe('imported');
    expect((await organisation(NJ.eatingDisorders))?.removed_at).toBeNull();
  });

  const scheduledImports = async () =>
    (await sql<{ n: string }>`select count(*) as n from sor_import where imported_by = 'schedule'`.execute(database.db)).rows[0]?.n;
  const scheduleRow = async () =>
    (await sql<{ cron: string; timezone: string }>`select cron, timezone from pgboss.schedule where name = ${SOR_IMPORT}`.execute(database.db)).rows[0];

  it('is scheduled by a broker configured with a source, unscheduled without one, and refused with a malformed time', async () => {
    const issuer = await createTestIssuer({ issuer: 'https://sts.schedule.example', organisations: [NJ.region] });
    const broker = await startTestBroker({ database, issuers: [issuer], env: { BROKER_SOR_IMPORT_SOURCE: dir, BROKER_SOR_IMPORT_AT: '04:15' } });
    try {
      expect(await scheduleRow()).toEqual({ cron: '15 4 * * *', timezone: 'Europe/Copenhagen' });
      // Reaching the database is the job's business at its time, not at start: nothing ran.
      expect(await scheduledImports()).toBe(kind === 'postgres' ? '3' : '2');
    } finally {
      await broker.close();
    }
    const without = await startTestBroker({ database, issuers: [issuer] });
    await without.close();
    expect(await scheduleRow()).toBeUndefined();
    await expect(startTestBroker({ database, issuers: [issuer], env: { BROKER_SOR_IMPORT_SOURCE: dir, BROKER_SOR_IMPORT_AT: '4:15' } })).rejects.toThrow(/BROKER_SOR_IMPORT_AT/);
  });

  it('runs at 03:30 Copenhagen time across both summer-time changes, once across two instances', { timeout: 300_000 }, async () => {
    const issuer = await createTestIssuer({ issuer: 'https://sts.schedule-two.example', organisations: [NJ.region] });
    // Checking the schedules every second, as two instances of one deployment.
    const env = { BROKER_SOR_IMPORT_SOURCE: dir, BROKER_JOBS_SCHEDULE_CHECK_SECONDS: '1', BROKER_JOBS_POLLING_SECONDS: '0.5' };
    const first = await startTestBroker({ database, issuers: [issuer], env });
    const second = await startTestBroker({ database, issuers: [issuer], env });
    try {
      const before = Number(await scheduledImports());
      // pg-boss dedupes a due time within the database's current minute: keep the faked wall
      // clock's seconds those of the real one, and start early in a minute, so that an import
      // slowed by a loaded machine still ends, and the checks after it stop, within that minute
      // (on CI a due time whose checks ran into the next minute was sent a second time).
      const secondsIntoMinute = () => Date.now() % 60_000;
      let lastMinute = -1;
      const at = async (iso: string, options: { newMinute?: boolean } = {}) => {
        // The PostgreSQL server keeps real time: a second due time needs a real minute of its own.
        const minute = () => Math.floor(Date.now() / 60_000);
        if (secondsIntoMinute() > 15_000 || (options.newMinute && minute() === lastMinute)) await new Promise((r) => setTimeout(r, 60_500 - secondsIntoMinute()));
        lastMinute = minute();
        vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
        vi.setSystemTime(Date.parse(iso) + (performance.timeOrigin + performance.now()) % 60_000);
      };
      const until = async (n: number) => {
        for (let i = 0; i < 100 && Number(await scheduledImports()) < n; i++) await new Promise((r) => setTimeout(r, 200));
        return Number(await scheduledImports());
      };

      // 28 March 2027, clocks go forward at 02:00: 03:30 summer time is 01:30 UTC. (The faked
      // clock only moves forward: the database under PGlite follows it.)
      drop('sor-2027-03-27.xml', NORTH_JUTLAND_XML.replace('<SnapshotDate>2026-11-23</SnapshotDate>', '<SnapshotDate>2027-03-27</SnapshotDate>'));
      await at('2027-03-28T01:30:00Z');
      expect(await until(before + 1)).toBe(before + 1);
      vi.useRealTimers();
      // 02:30 UTC, 03:30 had the clocks not gone forward, is not the hour: a new file waits.
      drop('sor-2027-10-30.xml', changedSnapshot().replace(/<SnapshotDate>[^<]+<\/SnapshotDate>/, '<SnapshotDate>2027-10-30</SnapshotDate>'));
      await at('2027-03-28T02:30:00Z');
      await new Promise((r) => setTimeout(r, 3000));
      expect(Number(await scheduledImports())).toBe(before + 1);
      vi.useRealTimers();

      // 31 October 2027, clocks go back at 03:00: 03:30 winter time is 02:30 UTC.
      await at('2027-10-31T02:30:00Z', { newMinute: kind === 'postgres' });
      expect(await until(before + 2)).toBe(before + 2);
      // Both instances checked the schedule every second for the rest of the minute: still one run each.
      await new Promise((r) => setTimeout(r, 3000));
      vi.useRealTimers();
      expect(Number(await scheduledImports())).toBe(before + 2);
      const runs = await database.db.selectFrom('sor_import').select('started_at').where('imported_by', '=', 'schedule').orderBy('started_at', 'desc').limit(2).execute();
      const started = runs.map((r) => new Date(r.started_at).toISOString().slice(0, 16)).sort();
      expect(started).toEqual(['2027-03-28T01:30', '2027-10-31T02:30']);
      const run = await database.db.selectFrom('job_run').selectAll().where('name', '=', SOR_IMPORT).executeTakeFirstOrThrow();
      // One job per due time, worked once, though both instances work the queue.
      expect(run).toMatchObject({ status: 'succeeded', runs: 2, failures: 0, error: null });
      const jobs = await sql<{ n: string }>`select count(*) as n from pgboss.job where name = ${SOR_IMPORT}`.execute(database.db);
      expect(jobs.rows[0]?.n).toBe('2');
    } finally {
      vi.useRealTimers();
      await first.close();
      await second.close();
    }
  });
});
