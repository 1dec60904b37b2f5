/**
 * The MedCom party cache stays bounded however many distinct receiver GLNs messages name, and
 * still answers the organisations the broker serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { createPartyResolver } from '../src/correspondence/parties.js';
import type { DirectoryCache } from '../src/directory/directory-cache.js';
import { createTestDatabase, databaseKinds } from './helpers/database.js';
import { SAMPLE_ORGANISATIONS, seedCorrespondenceDirectory } from './helpers/medcom-orgs.js';

// Every organisation counts as active: this test is about the cache, not the directory.
const directory = { view: () => ({ isActive: () => true }), onChange: () => () => undefined } as unknown as Pick<DirectoryCache, 'view' | 'onChange'>;

/** A 13-digit GLN with a valid GS1 check digit. */
function gln(n: number): string {
  const body = `579${String(n).padStart(9, '0')}`;
  const sum = [...body].reverse().reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 3 : 1), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

describe.each(databaseKinds())('MedCom party cache on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await seedCorrespondenceDirectory(database.db);
  });
  afterAll(async () => database?.close());

  it('holds at most its bound after 2,000 distinct unknown GLNs, and still resolves the served ones', async () => {
    const parties = createPartyResolver({ db: database.db, directory, maxCacheEntries: 100 });
    const known = SAMPLE_ORGANISATIONS[0] as (typeof SAMPLE_ORGANISATIONS)[number];
    expect(await parties.byEan(known.gln)).toMatchObject({ sor: known.sor });
    for (let i = 0; i < 2000; i += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, j) => parties.byEan(gln(100_000 + i + j))));
      expect(answers.every((a) => a === null)).toBe(true);
      expect(parties.cachedEntries()).toBeLessThanOrEqual(100);
    }
    expect(parties.cachedEntries()).toBe(100);
    expect(await parties.byEan(known.gln)).toMatchObject({ sor: known.sor });
    expect(await parties.bySor(known.sor)).toMatchObject({ sor: known.sor, ean: known.gln });
  });

  it('keeps the entries in use: a GLN asked for again and again is not evicted by a stream of new ones', async () => {
    const parties = createPartyResolver({ db: database.db, directory, maxCacheEntries: 10 });
    const known = SAMPLE_ORGANISATIONS[1] as (typeof SAMPLE_ORGANISATIONS)[number];
    expect(await parties.byEan(known.gln)).toMatchObject({ sor: known.sor });
    // The database no longer knows the GLN: only the cached entry can still answer it.
    const before = await database.db.selectFrom('organisation').select('own_eans').where('sor', '=', known.sor).executeTakeFirstOrThrow();
    await database.db.updateTable('organisation').set({ own_eans: [] }).where('sor', '=', known.sor).execute();
    try {
      for (let i = 0; i < 50; i += 1) {
        await parties.byEan(gln(200_000 + i));
        expect(await parties.byEan(known.gln)).toMatchObject({ sor: known.sor });
      }
      expect(parties.cachedEntries()).toBe(10);
      // Evicted once it is the least recently used.
      for (let i = 0; i < 10; i += 1) await parties.byEan(gln(300_000 + i));
      expect(await parties.byEan(known.gln)).toBeNull();
    } finally {
      await database.db.updateTable('organisation').set({ own_eans: before.own_eans }).where('sor', '=', known.sor).execute();
    }
  });
});
