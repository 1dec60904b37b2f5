/**
 * MedCom addresses of the organisations the broker serves: SOR code, name and the EAN/GLN to use
 * (own, else the nearest ancestor's). Served = present and active in the directory. Results are
 * cached until the directory changes, since every inbound message resolves its receiver. The cache
 * is bounded (least recently used out): receiver GLNs come from the messages, so a sender naming
 * ever new GLNs could otherwise grow it without end.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { DirectoryCache } from '../directory/directory-cache.js';

export interface MedComAddress {
  readonly sor: string;
  readonly name: string;
  /** The GLN (EAN location number) messages to and from this organisation use. */
  readonly ean: string | null;
}

export interface PartyResolver {
  /** The organisation if the broker serves it (active now), with its MedCom address. */
  bySor(sor: string): Promise<MedComAddress | null>;
  /** The served organisation that holds this GLN itself (most specific first). */
  byEan(ean: string): Promise<MedComAddress | null>;
  /** Entries held in the cache (for tests and metrics). */
  cachedEntries(): number;
}

export const DEFAULT_PARTY_CACHE_ENTRIES = 10_000;

export function createPartyResolver(deps: { db: Kysely<Database>; directory: Pick<DirectoryCache, 'view' | 'onChange'>; maxCacheEntries?: number }): PartyResolver {
  const maxEntries = deps.maxCacheEntries ?? DEFAULT_PARTY_CACHE_ENTRIES;
  // A Map keeps insertion order: re-inserting on a hit makes the first key the least recently used.
  const cache = new Map<string, Promise<MedComAddress | null>>();
  deps.directory.onChange(() => cache.clear());
  const served = (sor: string): boolean => deps.directory.view().isActive(sor, new Date());

  async function loadBySor(sor: string): Promise<MedComAddress | null> {
    const row = await deps.db.selectFrom('organisation').select(['sor', 'name', 'own_eans', 'path']).where('sor', '=', sor).executeTakeFirst();
    if (!row) return null;
    if (row.own_eans.length > 0) return { sor: row.sor, name: row.name, ean: row.own_eans[0] ?? null };
    const ancestors = row.path.split('/').filter((s) => s && s !== sor);
    if (ancestors.length === 0) return { sor: row.sor, name: row.name, ean: null };
    const holders = await deps.db
      .selectFrom('organisation')
      .select(['sor', 'own_eans'])
      .where('sor', 'in', ancestors)
      .where(sql<boolean>`cardinality(own_eans) > 0`)
      .execute();
    const bySor = new Map(holders.map((h) => [h.sor, h.own_eans]));
    const nearest = ancestors.reverse().find((a) => bySor.has(a));
    return { sor: row.sor, name: row.name, ean: nearest ? (bySor.get(nearest)?.[0] ?? null) : null };
  }

  const cached = (key: string, load: () => Promise<MedComAddress | null>): Promise<MedComAddress | null> => {
    let hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    hit = load();
    cache.set(key, hit);
    const loaded = hit;
    hit.catch(() => {
      if (cache.get(key) === loaded) cache.delete(key);
    });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return hit;
  };

  return {
    async bySor(sor) {
      if (!served(sor)) return null;
      return cached(`sor:${sor}`, () => loadBySor(sor));
    },
    async byEan(ean) {
      const holder = await cached(`ean:${ean}`, async () => {
        const rows = await deps.db
          .selectFrom('organisation')
          .select(['sor', 'name', 'path'])
          .where(sql<boolean>`own_eans @> array[${ean}]::text[]`)
          .where('removed_at', 'is', null)
          .execute();
        // The deepest holder is the most specific addressee.
        const best = rows.sort((a, b) => b.path.length - a.path.length)[0];
        return best ? { sor: best.sor, name: best.name, ean } : null;
      });
      return holder && served(holder.sor) ? holder : null;
    },
    cachedEntries: () => cache.size,
  };
}
