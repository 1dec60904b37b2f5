/**
 * The directory as an in-memory view, kept in step with the database: the access decision, the
 * issuer-scope check and lookup routing read it on every request without a query.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import { type DecisionDirectoryView, createMemoryDirectoryView } from './memory-view.js';
import type { EntityLevel, Organisation } from './model.js';

export interface DirectoryCache {
  /** The current view; replaced (never mutated) when the directory changes. */
  view(): DecisionDirectoryView;
  /** The MedCom address of an organisation: its own EAN number, or its nearest ancestor's. */
  eanOf(sor: string): string | null;
  /** Called with the new view after each reload. */
  onChange(listener: (view: DecisionDirectoryView) => void): () => void;
  reload(): Promise<DecisionDirectoryView>;
}

export async function loadOrganisations(db: Kysely<Database>): Promise<Organisation[]> {
  return (await loadDirectoryRows(db)).organisations;
}

async function loadDirectoryRows(db: Kysely<Database>): Promise<{ organisations: Organisation[]; eans: Map<string, string> }> {
  const rows = await db
    .selectFrom('organisation')
    .select([
      'sor', 'parent_sor', 'level', 'name', 'unit_type', 'owner_type', 'region_code', 'municipality_code',
      'ydernummer', 'shak_code', 'valid_from', 'valid_to', 'local', 'removed_at', 'own_eans',
    ])
    .execute();
  const eans = new Map<string, string>();
  for (const r of rows) if (r.own_eans[0]) eans.set(r.sor, r.own_eans[0]);
  const organisations = rows.map((r): Organisation => ({
    sor: r.sor,
    parentSor: r.parent_sor,
    level: r.level as EntityLevel,
    name: r.name,
    unitType: r.unit_type,
    ownerType: r.owner_type,
    regionCode: r.region_code,
    municipalityCode: r.municipality_code,
    ydernummer: r.ydernummer,
    shakCode: r.shak_code,
    validFrom: r.valid_from,
    // An organisation gone from SOR is closed from the day it disappeared.
    validTo: r.removed_at ? minDate(r.valid_to, r.removed_at.toISOString().slice(0, 10)) : r.valid_to,
    local: r.local,
  }));
  return { organisations, eans };
}

const minDate = (a: string | null, b: string): string => (a !== null && a < b ? a : b);

export async function createDirectoryCache(deps: { db: Kysely<Database>; changes: ChangeFeed; logger: Logger }): Promise<DirectoryCache> {
  const listeners = new Set<(view: DecisionDirectoryView) => void>();
  const initial = await loadDirectoryRows(deps.db);
  let current = createMemoryDirectoryView(initial.organisations);
  let eans = initial.eans;
  let loading: Promise<DecisionDirectoryView> | null = null;

  async function reload(): Promise<DecisionDirectoryView> {
    // Coalesce bursts of change notifications into one reload at a time.
    if (loading) return loading;
    loading = (async () => {
      try {
        const started = performance.now();
        const loaded = await loadDirectoryRows(deps.db);
        current = createMemoryDirectoryView(loaded.organisations);
        eans = loaded.eans;
        deps.logger.info({ organisations: current.size, ms: Math.round(performance.now() - started) }, 'directory cache reloaded');
        for (const l of listeners) l(current);
        return current;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  deps.changes.subscribe('directory', async () => {
    await reload();
  });

  return {
    view: () => current,
    eanOf(sor) {
      const own = eans.get(sor);
      if (own) return own;
      for (const ancestor of current.ancestors(sor)) {
        const inherited = eans.get(ancestor.sor);
        if (inherited) return inherited;
      }
      return null;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reload,
  };
}
