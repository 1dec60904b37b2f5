/**
 * Imports one SOR snapshot into the directory. SOR publishes no deltas, so each import compares
 * the snapshot with what the directory holds: entities added, changed, reinstated, and removed
 * (absent from the snapshot) are recorded as versions with the period in which they held.
 *
 * The file is streamed: records go to a staging table in batches as the parser yields them, and
 * the comparison runs in SQL. Everything happens in one transaction, so a truncated, malformed
 * or inconsistent file changes nothing. Each import is audited: a success in the import's own
 * transaction (no directory change without its record), a failure after the rollback.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { type Insertable, type Kysely, type Transaction, sql } from 'kysely';
import { parseSorStream, SorParseError, toOrganisation, type SorEntityRecord } from '../../adapters/sor/index.js';
import type { OrganisationTable } from '../../db/schema/directory.js';
import type { Database, OrganisationDetails } from '../../db/schema/index.js';
import { type AuditActor, systemActor } from '../audit/audit-event.js';
import type { DirectoryChangeRecord } from '../audit/audit-record.js';
import { appendAuditInTransaction } from '../audit/audit-writer.js';
import { redactSourceLocation } from './source-location.js';
import { findParentCycles } from './sor-cycles.js';
import { createPathTracker } from './sor-paths.js';

export interface SorImportProgress {
  readonly bytes: number;
  readonly totalBytes: number | null;
  readonly entities: number;
  readonly phase: 'reading' | 'comparing' | 'done';
}

export interface SorImportResult {
  readonly importId: string | null;
  /** True when the file is byte-identical to the last import: nothing was written. */
  readonly identicalToLast: boolean;
  readonly snapshotAt: string;
  readonly entities: number;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
}

export class SorImportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly position?: { line: number; column: number; element: string | null },
  ) {
    super(message);
    this.name = 'SorImportError';
  }
}

export interface SorImportInput {
  /** Shown in the import log, the audit and in messages: a file name or URL (redacted before use). */
  readonly source: string;
  readonly stream: Readable | AsyncIterable<Uint8Array>;
  readonly totalBytes?: number | null;
}

/** The staging table's columns (the organisation's, plus the declared parent); `details` and
 * `record` are spliced in as JSON text. */
type StagingFields = Pick<
  Insertable<OrganisationTable>,
  'sor' | 'parent_sor' | 'level' | 'name' | 'unit_type' | 'owner_type' | 'region_code' | 'municipality_code' | 'ydernummer' | 'shak_code' | 'valid_from' | 'path' | 'content_hash'
> & { declared_parent_sor: string | null; own_eans: string[]; valid_to: string | null };

/**
 * Rows go to the staging table as one JSON array parameter per batch: far fewer short-lived
 * objects than a multi-row VALUES list with a parameter per cell, and each record's JSON is
 * built once (for its content hash) and reused as the text sent.
 */
const BATCH_ROWS = 500;
const BATCH_CHARS = 1_000_000;

export interface SorImportOptions {
  readonly importedBy: string;
  readonly onProgress?: (p: SorImportProgress) => void;
  readonly now?: () => Date;
  /**
   * 'wait' (default) queues behind an import running elsewhere; 'skip' refuses at once with
   * SorImportError code 'import-running' (a scheduled import that another instance already runs).
   */
  readonly whenBusy?: 'wait' | 'skip';
  /** Who the audit record names; the system actor `sor-import` by default (importedBy is in the details). */
  readonly auditActor?: AuditActor;
}

/** The audit record of one import, success or failure. */
function importAudit(options: SorImportOptions, outcome: 'success' | 'failed', at: Date, details: Record<string, unknown>): DirectoryChangeRecord {
  return {
    kind: 'directory-change',
    outcome,
    occurredAt: at,
    requestId: null,
    actor: options.auditActor ?? systemActor('sor-import'),
    purpose: null,
    reason: null,
    patientCpr: null,
    details: { change: 'sor-import', importedBy: options.importedBy, ...details },
  };
}

/**
 * Audits an import that failed and changed nothing. Written on its own, after the rollback; if
 * even that cannot be written the import's own error is what the caller sees.
 */
export async function auditSorImportFailure(
  db: Kysely<Database>,
  failure: {
    source: string;
    /** The location as configured, when an error may quote it: it is replaced by `source` in the message. */
    rawSource?: string;
    options: SorImportOptions;
    error: unknown;
    sha256: string | null;
    bytes: number;
  },
): Promise<void> {
  const { error } = failure;
  const source = redactSourceLocation(failure.source);
  const code = error instanceof SorImportError || error instanceof SorParseError ? error.code : error instanceof Error ? error.name : 'unknown';
  const message = (error instanceof Error ? error.message : String(error)).split(failure.rawSource ?? failure.source).join(source);
  const event = importAudit(failure.options, 'failed', (failure.options.now ?? (() => new Date()))(), {
    source, sha256: failure.sha256, bytesRead: failure.bytes, error: { code, message: message.slice(0, 500) },
  });
  await db
    .transaction()
    .execute((trx) => appendAuditInTransaction(trx, event))
    .catch(() => undefined);
}

export async function importSorSnapshot(
  db: Kysely<Database>,
  input: SorImportInput,
  options: SorImportOptions,
): Promise<SorImportResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  // Never store, audit or print a URL's credentials or query string.
  const shownSource = redactSourceLocation(input.source);
  let sha256: string | null = null;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const source = input.stream as Readable;
  source.on?.('error', (e: Error) => meter.destroy(e));
  const stream = typeof source.pipe === 'function' ? source.pipe(meter) : (input.stream as AsyncIterable<Uint8Array>);
  const report = (phase: SorImportProgress['phase'], entities: number) =>
    options.onProgress?.({ bytes, totalBytes: input.totalBytes ?? null, entities, phase });

  let snapshotDate: string | null = null;
  try {
    const result = await db.transaction().execute(async (trx): Promise<SorImportResult> => {
      // One import at a time, across every instance sharing the database.
      if (options.whenBusy === 'skip') {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('sor-import')) as locked`.execute(trx);
        if (rows[0]?.locked !== true) throw new SorImportError('another SOR import is running', 'import-running');
      } else await sql`select pg_advisory_xact_lock(hashtext('sor-import'))`.execute(trx);
      // A national snapshot takes seconds per statement and streams between them: exempt from the request timeouts.
      await sql`set local statement_timeout = 0`.execute(trx);
      await sql`set local idle_in_transaction_session_timeout = 0`.execute(trx);
      await sql`create temp table sor_staging (
          sor text primary key, parent_sor text, declared_parent_sor text, level text not null, name text not null, unit_type text, owner_type text,
          region_code text, municipality_code text, ydernummer text, shak_code text, own_eans text[] not null,
          valid_from date not null, valid_to date, path text not null, details jsonb not null, record jsonb not null,
          content_hash text not null) on commit drop`.execute(trx);
      const pathOf = createPathTracker();
      let batch: string[] = [];
      let batchChars = 0;
      let entities = 0;
      let lastReport = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const rows = `[${batch.join(',')}]`;
        batch = [];
        batchChars = 0;
        await sql`insert into sor_staging select * from json_populate_recordset(null::sor_staging, ${rows}::json)`.execute(trx);
      };

      for await (const record of parseSorStream(stream, {
        fileName: shownSource,
        onHeader: (h) => {
          snapshotDate = (h.snapshotDate ?? h.createdAt)?.slice(0, 10) ?? null;
        },
      })) {
        const fallbackDate = snapshotDate ?? startedAt.toISOString().slice(0, 10);
        const row = stagingRow(record, pathOf(record), fallbackDate);
        batch.push(row);
        batchChars += row.length;
        entities += 1;
        if (batch.length >= BATCH_ROWS || batchChars >= BATCH_CHARS) await flush();
        if (entities - lastReport >= 2000) {
          lastReport = entities;
          report('reading', entities);
        }
      }
      await flush();
      report('comparing', entities);

      const cycles = await findParentCycles(trx);
      if (cycles.length > 0) {
        throw new SorImportError(`parent links form a cycle: ${cycles[0]?.join(' -> ')}`, 'parent-cycle');
      }
      if (entities === 0) throw new SorImportError(`${shownSource}: the snapshot holds no entities`, 'empty-snapshot');

      const digest = hash.digest('hex');
      sha256 = digest;
      const snapshotAt = snapshotDate ? new Date(`${snapshotDate}T00:00:00Z`) : startedAt;
      const last = await trx
        .selectFrom('sor_import')
        .select(['sha256', 'snapshot_at'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last?.sha256 === digest) {
        const identical = { importId: null, identicalToLast: true, snapshotAt: snapshotAt.toISOString(), entities, added: 0, changed: 0, removed: 0, unchanged: entities };
        await appendAuditInTransaction(trx, importAudit(options, 'success', now(), { source: shownSource, sha256: digest, ...identical, reinstated: 0 }));
        report('done', entities);
        return identical;
      }
      if (last && snapshotAt < last.snapshot_at) {
        throw new SorImportError(
          `${shownSource}: snapshot of ${snapshotAt.toISOString().slice(0, 10)} is older than the last import (${last.snapshot_at.toISOString().slice(0, 10)})`,
          'older-snapshot',
        );
      }

      const { id: importId } = await trx
        .insertInto('sor_import')
        .values({
          source: shownSource, sha256: digest, snapshot_at: snapshotAt, started_at: startedAt, finished_at: startedAt,
          entities, added: 0, changed: 0, closed: 0, unchanged: 0, imported_by: options.importedBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();

      const counts = await applySnapshot(trx, importId, snapshotAt, options.importedBy);
      await trx
        .updateTable('sor_import')
        .set({ finished_at: now(), added: counts.added, changed: counts.changed, closed: counts.removed, unchanged: entities - counts.added - counts.changed - counts.reinstated })
        .where('id', '=', importId)
        .execute();
      const imported = {
        importId,
        identicalToLast: false,
        snapshotAt: snapshotAt.toISOString(),
        entities,
        added: counts.added + counts.reinstated,
        changed: counts.changed,
        removed: counts.removed,
        unchanged: entities - counts.added - counts.changed - counts.reinstated,
      };
      await appendAuditInTransaction(
        trx,
        importAudit(options, 'success', now(), { source: shownSource, sha256: digest, ...imported, added: counts.added, reinstated: counts.reinstated }),
      );
      report('done', entities);
      return imported;
    });
    if (!result.identicalToLast && result.added + result.changed + result.removed > 0) await refreshVisibility(db);
    return result;
  } catch (error) {
    // A refused or skipped import must not leave a file handle or a download open.
    (input.stream as Readable).destroy?.();
    // Skipped because another instance imports: that one audits its import.
    if (!(error instanceof SorImportError && error.code === 'import-running')) {
      await auditSorImportFailure(db, { source: shownSource, options, error, sha256, bytes });
    }
    if (error instanceof SorParseError) {
      // Name the element even where the XML reader's own message does not.
      const message = error.element && !error.message.includes(error.element) ? `${error.message} (in <${error.element}>)` : error.message;
      throw new SorImportError(message, error.code, { line: error.line, column: error.column, element: error.element });
    }
    throw error;
  }
}

/** One staging row as JSON text. */
function stagingRow(record: SorEntityRecord, path: string, fallbackDate: string): string {
  const org = toOrganisation(record, fallbackDate);
  // Serialised at once: the record's own arrays are referenced, not copied.
  const details: Readonly<Record<keyof OrganisationDetails, unknown>> = {
    addresses: record.addresses,
    phones: record.phones,
    emails: record.emails,
    websites: record.websites,
    specialities: record.specialities,
    replacedBy: record.replacedBy,
    kombitOrganisationUuid: undefined,
    eans: record.eans.map((e) => ({
      ean: e.ean, systemSupplier: e.systemSupplier, ediAdministrator: e.ediAdministrator, onlyInternal: e.onlyInternal,
      nonActive: e.nonActive, validFrom: e.validFrom, validTo: e.validTo,
    })),
  };
  const { line: _line, ...content } = record;
  const recordJson = JSON.stringify(content);
  const fields: StagingFields = {
    sor: org.sor,
    parent_sor: org.parentSor,
    declared_parent_sor: record.declaredParentSor,
    level: org.level,
    name: org.name,
    unit_type: org.unitType,
    owner_type: org.ownerType,
    region_code: org.regionCode,
    municipality_code: org.municipalityCode,
    ydernummer: org.ydernummer,
    shak_code: org.shakCode,
    own_eans: record.eans.filter((e) => e.nonActive !== true).map((e) => e.ean),
    valid_from: org.validFrom,
    valid_to: org.validTo,
    path,
    content_hash: createHash('sha256').update(recordJson).digest('base64url'),
  };
  return `${JSON.stringify(fields).slice(0, -1)},"details":${JSON.stringify(details)},"record":${recordJson}}`;
}

/** The comparison, in SQL over the staging table. Returns how many rows each change touched. */
async function applySnapshot(trx: Transaction<Database>, importId: string, at: Date, by: string) {
  const rows = async (q: ReturnType<typeof sql>) => Number((await q.execute(trx)).numAffectedRows ?? 0);

  // Removed: SOR entities the snapshot no longer lists. Local units are not SOR's to remove.
  await sql`update organisation_version v set recorded_to = ${at}
    from organisation o where v.sor = o.sor and v.recorded_to is null and o.local = false and o.removed_at is null
    and not exists (select 1 from sor_staging s where s.sor = o.sor)`.execute(trx);
  await sql`insert into organisation_version (sor, change, recorded_from, import_id, changed_by, record)
    select o.sor, 'removed', ${at}, ${importId}, ${by}, jsonb_build_object('sor', o.sor, 'name', o.name, 'removed', true)
    from organisation o where o.local = false and o.removed_at is null and not exists (select 1 from sor_staging s where s.sor = o.sor)`.execute(trx);
  const removed = await rows(sql`update organisation o set removed_at = ${at}, recorded_at = ${at}
    where o.local = false and o.removed_at is null and not exists (select 1 from sor_staging s where s.sor = o.sor)`);

  // Changed or reinstated: close the version in force, then record the new one.
  await sql`update organisation_version v set recorded_to = ${at}
    from sor_staging s join organisation o on o.sor = s.sor
    where v.sor = s.sor and v.recorded_to is null and (o.content_hash <> s.content_hash or o.removed_at is not null)`.execute(trx);
  await sql`insert into organisation_version (sor, change, recorded_from, import_id, changed_by, record)
    select s.sor, case when o.removed_at is not null then 'reinstated' else 'changed' end, ${at}, ${importId}, ${by}, s.record
    from sor_staging s join organisation o on o.sor = s.sor
    where o.content_hash <> s.content_hash or o.removed_at is not null`.execute(trx);
  const reinstated = Number(
    (await sql<{ n: string }>`select count(*) as n from sor_staging s join organisation o on o.sor = s.sor where o.removed_at is not null`.execute(trx)).rows[0]?.n ?? 0,
  );
  const changedOrReinstated = await rows(sql`update organisation o set
      parent_sor = s.parent_sor, level = s.level, name = s.name, unit_type = s.unit_type, owner_type = s.owner_type,
      region_code = s.region_code, municipality_code = s.municipality_code, ydernummer = s.ydernummer, shak_code = s.shak_code,
      own_eans = s.own_eans, valid_from = s.valid_from, valid_to = s.valid_to, path = s.path, details = s.details,
      content_hash = s.content_hash, removed_at = null, recorded_at = ${at}
    from sor_staging s where o.sor = s.sor and (o.content_hash <> s.content_hash or o.removed_at is not null)`);

  // Added: the first version of an entity holds from its SOR validity start, so an audit of
  // earlier dates still resolves it (the broker learnt of it later, but it existed).
  await sql`insert into organisation_version (sor, change, recorded_from, import_id, changed_by, record)
    select s.sor, 'added', least(s.valid_from::timestamptz, ${at}::timestamptz), ${importId}, ${by}, s.record
    from sor_staging s where not exists (select 1 from organisation o where o.sor = s.sor)`.execute(trx);
  const added = await rows(sql`insert into organisation
      (sor, parent_sor, level, name, unit_type, owner_type, region_code, municipality_code, ydernummer, shak_code,
       own_eans, valid_from, valid_to, local, path, details, content_hash, recorded_at)
    select s.sor, s.parent_sor, s.level, s.name, s.unit_type, s.owner_type, s.region_code, s.municipality_code, s.ydernummer,
      s.shak_code, s.own_eans, s.valid_from, s.valid_to, false, s.path, s.details, s.content_hash, ${at}
    from sor_staging s where not exists (select 1 from organisation o where o.sor = s.sor)`);

  // Local units hang below SOR entities: keep their paths right when SOR moves a parent.
  await sql`update organisation l set path = p.path || l.sor || '/'
    from organisation p where l.local = true and p.sor = l.parent_sor and l.path <> p.path || l.sor || '/'`.execute(trx);

  // Fresh statistics, or the planner guesses subtree and name selectivity blind after a large
  // import (PGlite has no autovacuum at all), and search picks a plan tens of times slower.
  if (added + changedOrReinstated + removed > 0) await sql`analyze organisation`.execute(trx);

  return { added, changed: changedOrReinstated - reinstated, reinstated, removed };
}

/**
 * VACUUM marks the rewritten table pages all-visible, so searches can read the name index alone
 * (index-only scans); PGlite has no autovacuum to do it, and a server's comes minutes later. The
 * import has committed: a failure here costs speed, not data, and is not the import's failure.
 */
async function refreshVisibility(db: Kysely<Database>): Promise<void> {
  await sql`vacuum organisation`.execute(db).catch(() => undefined);
}
