/**
 * Job: the nightly SOR import (server mode). At a configured Copenhagen time (03:30 by default)
 * it imports the snapshot from a URL, a file, or the newest .xml in a drop directory, on one
 * instance. A failed import changes nothing, is logged, and is retried later that night; the
 * import's advisory lock still makes a run that meets a manual import skip rather than wait.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../db/schema/index.js';
import type { JobRunSummary, ScheduledJob } from '../../jobs/queue.js';
import { COPENHAGEN, dailyAt } from '../../jobs/schedule.js';
import type { ChangeFeed } from '../../platform/change-feed.js';
import { SorImportError, type SorImportResult } from '../sor-import.js';
import { importSorFrom } from '../sor-source.js';
import { redactSourceLocation } from '../source-location.js';

export const SOR_IMPORT = 'directory-sor-import';
export const DEFAULT_IMPORT_TIME = '03:30';

/** No data of its own: the source is configuration (a URL may carry credentials, kept out of the job table). */
export type SorImportData = Record<string, never>;

export interface SorImportJobDeps {
  readonly db: Kysely<Database>;
  /** URL, file or directory (the newest .xml in it). */
  readonly source: string;
  /** Local time of day, HH:MM. */
  readonly at?: string;
  readonly timeZone?: string;
  readonly changes: Pick<ChangeFeed, 'publish'>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export type ScheduledImportOutcome =
  | { readonly status: 'imported'; readonly result: SorImportResult }
  | { readonly status: 'unchanged'; readonly result: SorImportResult }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string };

/** One import now. Never throws; the outcome is logged and returned. */
export async function importScheduled(deps: SorImportJobDeps): Promise<ScheduledImportOutcome> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ job: SOR_IMPORT, source: describeSource(deps.source) });
  const started = Date.now();
  try {
    const result = await importSorFrom(deps.db, deps.source, { importedBy: 'schedule', whenBusy: 'skip', now });
    const changed = !result.identicalToLast && result.added + result.changed + result.removed > 0;
    const summary = { entities: result.entities, added: result.added, changed: result.changed, removed: result.removed, identical: result.identicalToLast, ms: Date.now() - started };
    if (!changed) {
      log.info(summary, 'scheduled SOR import: nothing changed');
      return { status: 'unchanged', result };
    }
    log.info(summary, 'scheduled SOR import: directory updated');
    // Committed already: a failed announcement only delays the other instances' polling.
    await deps.changes.publish('directory').catch((error: unknown) => log.warn({ err: error }, 'could not announce the directory change'));
    return { status: 'imported', result };
  } catch (error) {
    if (error instanceof SorImportError && error.code === 'import-running') {
      log.info('scheduled SOR import skipped: another instance is importing');
      return { status: 'skipped', reason: error.message };
    }
    // The message may name the source; a URL's credentials must not reach the log.
    const message = (error instanceof Error ? error.message : String(error)).split(deps.source).join(describeSource(deps.source));
    const code = error instanceof SorImportError ? error.code : error instanceof Error ? error.name : 'unknown';
    log.error({ code, ms: Date.now() - started }, `scheduled SOR import failed, nothing changed: ${message}`);
    return { status: 'failed', error: message };
  }
}

export function sorImportJob(deps: SorImportJobDeps): ScheduledJob<SorImportData> {
  return {
    name: SOR_IMPORT,
    schedule: dailyAt(deps.at ?? DEFAULT_IMPORT_TIME, deps.timeZone ?? COPENHAGEN),
    data: {},
    // A broken or missing file is often fixed within the hour: three more tries, 15, 30, 60 min on.
    retryLimit: 3,
    retryDelaySeconds: 15 * 60,
    retryBackoff: true,
    // A national snapshot imports in minutes; a run still active after an hour is taken as crashed.
    expireInSeconds: 60 * 60,
    async handle(): Promise<JobRunSummary> {
      // The import itself re-checks the state: an identical snapshot changes nothing, and a
      // running import (manual, or another run) makes this one skip.
      const outcome = await importScheduled(deps);
      if (outcome.status === 'failed') throw new Error(outcome.error);
      if (outcome.status === 'skipped') return { status: 'skipped' };
      const { entities, added, changed, removed } = outcome.result;
      return { status: outcome.status, entities, added, changed, removed };
    },
  };
}

/** The source as logged: a URL without user information or query (they may carry secrets). */
export const describeSource = redactSourceLocation;
