/**
 * The access decision as a service: the pure decision over an in-memory index that follows the
 * database. On an 'agreements' change (from this or any other instance) only the agreements whose
 * row version moved are re-read and replaced in the index; on a directory change the index gets
 * the new directory snapshot. Decisions never wait for the database.
 *
 * A revocation must reach every instance within a stated bound even when its notification or a
 * refresh fails. So, besides the change feed, the index is reconciled against every agreement's
 * row version on a timer (a refresh is such a reconciliation), and an index that has not been
 * reconciled successfully for `maxStalenessMs` decides nothing: `decide` throws 503
 * (database-unavailable) until a reconciliation succeeds, rather than permit on a revoked agreement.
 */
import type { Kysely } from 'kysely';
import { databaseUnavailable } from '../platform/database-unavailable.js';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import { type DecisionIndex, buildDecisionIndex } from './decision-index.js';
import { type Decision, type DecisionRequest, type ExplainCaller, type Explanation, decide, explain } from './decision.js';
import { agreementRowVersions, loadVersions } from './store.js';

export interface DecisionService {
  decide(request: DecisionRequest): Decision;
  explain(caller: ExplainCaller, at: Date): Explanation;
  /** Re-reads the agreements that changed since the last refresh. */
  refresh(): Promise<void>;
  /** Rebuilds the whole index from the database. */
  reload(): Promise<void>;
  /** Indexed agreement versions. */
  readonly size: number;
  /** When the last successful reconciliation began (its reads see everything committed before). */
  readonly reconciledAt: number;
  stop(): void;
}

export interface DecisionServiceDeps {
  readonly db: Kysely<Database>;
  readonly directory: Pick<DirectoryCache, 'view' | 'onChange'>;
  readonly changes: Pick<ChangeFeed, 'subscribe'>;
  readonly logger: Logger;
  /** Decisions are refused when the index was last reconciled longer ago than this; default 30 s. */
  readonly maxStalenessMs?: number;
  /** How often the index is reconciled regardless of notifications; default a sixth of the staleness bound. */
  readonly reconcileIntervalMs?: number;
  readonly now?: () => number;
}

export async function createDecisionService(deps: DecisionServiceDeps): Promise<DecisionService> {
  let index: DecisionIndex = buildDecisionIndex([], deps.directory.view());
  let known = new Map<string, number>();
  let running: Promise<void> | null = null;
  let again = false;
  const now = deps.now ?? Date.now;
  const maxStalenessMs = deps.maxStalenessMs ?? 30_000;
  let reconciledAt = now();

  async function rebuild(): Promise<void> {
    const started = now();
    const versions = await agreementRowVersions(deps.db);
    const all = await loadVersions(deps.db, [...versions.keys()]);
    index = buildDecisionIndex([...all.values()].flat(), deps.directory.view());
    known = versions;
    reconciledAt = started;
  }

  async function incremental(): Promise<void> {
    const startedAt = now();
    const started = performance.now();
    const current = await agreementRowVersions(deps.db);
    const changed = [...current].filter(([id, rv]) => known.get(id) !== rv).map(([id]) => id);
    const removed = [...known.keys()].filter((id) => !current.has(id));
    if (changed.length === 0 && removed.length === 0) {
      reconciledAt = startedAt;
      return;
    }
    const loaded = await loadVersions(deps.db, changed);
    for (const id of changed) index.replace(id, loaded.get(id) ?? []);
    for (const id of removed) index.remove(id);
    known = current;
    reconciledAt = startedAt;
    deps.logger.debug({ changed: changed.length, removed: removed.length, ms: Math.round(performance.now() - started) }, 'decision index refreshed');
  }

  /** One refresh at a time; a change arriving meanwhile triggers one more pass afterwards. */
  function serial(work: () => Promise<void>): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await work();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  await rebuild();

  // A failed refresh rejects to the change feed, which calls it again at its next poll.
  const unsubscribeAgreements = deps.changes.subscribe('agreements', () => serial(incremental));
  const unsubscribeDirectory = deps.directory.onChange((view) => index.setDirectory(view));
  const reconciler = setInterval(() => {
    void serial(incremental).catch((error: unknown) => deps.logger.warn({ err: error }, 'decision index reconciliation failed'));
  }, deps.reconcileIntervalMs ?? Math.max(1000, Math.round(maxStalenessMs / 6)));
  reconciler.unref();

  function current(): DecisionIndex {
    const age = now() - reconciledAt;
    if (age > maxStalenessMs) {
      throw databaseUnavailable(`the sharing agreements could not be brought up to date for ${Math.round(age / 1000)} s`);
    }
    return index;
  }

  return {
    decide: (request) => decide(current(), request),
    explain: (caller, at) => explain(index, caller, at),
    refresh: () => serial(incremental),
    async reload() {
      // Let a refresh in progress finish, so the rebuild is the last word.
      while (running) await running.catch(() => undefined);
      await serial(rebuild);
    },
    get size() {
      return index.size;
    },
    get reconciledAt() {
      return reconciledAt;
    },
    stop() {
      clearInterval(reconciler);
      unsubscribeAgreements();
      unsubscribeDirectory();
    },
  };
}
