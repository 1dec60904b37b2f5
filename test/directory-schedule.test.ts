/**
 * The nightly SOR import's job against a drop directory: it imports the newest file, announces
 * a change only when something changed, survives a broken file, and skips while another
 * instance imports.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { createLogger } from '../src/logging/logger.js';
import { createSorSchedule, nextRunAt } from '../src/directory/sor-schedule.js';
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
  const schedule = () =>
    createSorSchedule({
      db: database.db,
      source: dir,
      changes: { publish: async (topic) => void published.push(topic) },
      logger,
      now: () => new Date('2026-12-02T02:30:00Z'),
    });
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

  it('arms for the next local run time and disarms on stop', async () => {
    const s = schedule();
    expect(s.nextRun()).toBeNull();
    s.start();
    expect(s.nextRun()?.toISOString()).toBe(nextRunAt(new Date('2026-12-02T02:30:00Z'), '03:30', 'Europe/Copenhagen').toISOString());
    expect(s.nextRun()?.toISOString()).toBe('2026-12-03T02:30:00.000Z');
    await s.stop();
    expect(s.nextRun()).toBeNull();
    // Reaching the database is the job's business, not the timer's: nothing ran.
    expect((await sql<{ n: string }>`select count(*) as n from sor_import where imported_by = 'schedule'`.execute(database.db)).rows[0]?.n).toBe(kind === 'postgres' ? '3' : '2');
  });

  it('is armed by a broker configured with a source, and refused with a malformed time', async () => {
    const issuer = await createTestIssuer({ issuer: 'https://sts.schedule.example', organisations: [NJ.region] });
    const broker = await startTestBroker({ database, issuers: [issuer], env: { BROKER_SOR_IMPORT_SOURCE: dir, BROKER_SOR_IMPORT_AT: '04:15' } });
    try {
      const armed = broker.logs.map((l) => JSON.parse(l) as { msg: string; at?: string; nextRun?: string }).find((l) => l.msg === 'scheduled SOR import armed');
      expect(armed?.at).toBe('04:15');
      expect(Date.parse(armed?.nextRun ?? '')).toBeGreaterThan(Date.now());
    } finally {
      await broker.close();
    }
    await expect(startTestBroker({ database, issuers: [issuer], env: { BROKER_SOR_IMPORT_SOURCE: dir, BROKER_SOR_IMPORT_AT: '4:15' } })).rejects.toThrow(/BROKER_SOR_IMPORT_AT/);
  });
});
