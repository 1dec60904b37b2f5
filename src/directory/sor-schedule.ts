/**
 * The nightly SOR import (server mode): at a configured local time, import the snapshot from a
 * URL, a file, or the newest .xml in a drop directory. Every instance runs the schedule; the
 * import's advisory lock lets one of them work and the others skip rather than queue behind it.
 * A failed night is logged and the next night tries again: the broker never stops for it.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import { nextRunAt, parseTimeOfDay } from './next-run.js';
import { SorImportError, type SorImportResult } from './sor-import.js';
import { redactSourceLocation } from './source-location.js';
import { importSorFrom } from './sor-source.js';

export { nextRunAt } from './next-run.js';

export const DEFAULT_IMPORT_TIME = '03:30';
export const DEFAULT_IMPORT_TIME_ZONE = 'Europe/Copenhagen';

export interface SorScheduleOptions {
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

export interface SorSchedule {
  /** The job itself: one import now. Never throws; the outcome is logged and returned. */
  runOnce(): Promise<ScheduledImportOutcome>;
  start(): void;
  /** Stops the timer and waits for a running import to finish. */
  stop(): Promise<void>;
  /** When the next run is due (null when stopped). */
  nextRun(): Date | null;
}

export function createSorSchedule(options: SorScheduleOptions): SorSchedule {
  const at = options.at ?? DEFAULT_IMPORT_TIME;
  const timeZone = options.timeZone ?? DEFAULT_IMPORT_TIME_ZONE;
  parseTimeOfDay(at);
  const now = options.now ?? (() => new Date());
  const log = options.logger.child({ job: 'sor-import', source: describeSource(options.source) });
  let timer: NodeJS.Timeout | null = null;
  let due: Date | null = null;
  let running: Promise<ScheduledImportOutcome> | null = null;
  let stopped = true;

  async function importNow(): Promise<ScheduledImportOutcome> {
    const started = Date.now();
    try {
      const result = await importSorFrom(options.db, options.source, { importedBy: 'schedule', whenBusy: 'skip', now });
      const changed = !result.identicalToLast && result.added + result.changed + result.removed > 0;
      const summary = { entities: result.entities, added: result.added, changed: result.changed, removed: result.removed, identical: result.identicalToLast, ms: Date.now() - started };
      if (!changed) {
        log.info(summary, 'scheduled SOR import: nothing changed');
        return { status: 'unchanged', result };
      }
      log.info(summary, 'scheduled SOR import: directory updated');
      // Committed already: a failed announcement only delays the other instances' polling.
      await options.changes.publish('directory').catch((error: unknown) => log.warn({ err: error }, 'could not announce the directory change'));
      return { status: 'imported', result };
    } catch (error) {
      if (error instanceof SorImportError && error.code === 'import-running') {
        log.info('scheduled SOR import skipped: another instance is importing');
        return { status: 'skipped', reason: error.message };
      }
      // The message may name the source; a URL's credentials must not reach the log.
      const message = (error instanceof Error ? error.message : String(error)).split(options.source).join(describeSource(options.source));
      const code = error instanceof SorImportError ? error.code : error instanceof Error ? error.name : 'unknown';
      log.error({ code, ms: Date.now() - started }, `scheduled SOR import failed, nothing changed: ${message}`);
      return { status: 'failed', error: message };
    }
  }

  function runOnce(): Promise<ScheduledImportOutcome> {
    if (running) return Promise.resolve({ status: 'skipped', reason: 'an import from this instance is still running' });
    running = importNow().finally(() => {
      running = null;
    });
    return running;
  }

  function arm() {
    if (stopped) return;
    due = nextRunAt(now(), at, timeZone);
    // Timers may fire early or late (sleep, clock changes): a tick before the due time re-arms.
    const tick = () => {
      if (stopped || !due) return;
      if (now() < due) {
        timer = setTimeout(tick, Math.min(due.getTime() - now().getTime(), 3_600_000)).unref();
        return;
      }
      void runOnce().then(arm);
    };
    timer = setTimeout(tick, Math.min(due.getTime() - now().getTime(), 3_600_000)).unref();
    log.info({ nextRun: due.toISOString(), at, timeZone }, 'scheduled SOR import armed');
  }

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      arm();
    },
    async stop() {
      stopped = true;
      due = null;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
    nextRun: () => due,
  };
}

/** The source as logged: a URL without user information or query (they may carry secrets). */
export const describeSource = redactSourceLocation;
