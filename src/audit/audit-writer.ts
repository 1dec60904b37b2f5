/**
 * Durable, tamper-evident audit writes with group commit. Callers await `write()`, which resolves
 * only once the record is committed; records arriving while a batch commits join the next batch,
 * so one statement and one commit serve many concurrent lookups. If the write fails, the promise
 * rejects and the caller must fail closed. Several instances append to one chain: each batch moves
 * the chain head only from where its instance last saw it, and rechains when another got there first.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { type GroupCommitOptions, createGroupCommit } from '../platform/group-commit.js';
import { type AuditEventInput, type ChainedFields, HASH_SCHEME, chainHash } from './audit-event.js';
import { type AuditRecord, asChainEvent, searchColumnsOf } from './audit-record.js';
import { type ChainVerification, verifyRetainedChain } from './chain-verify.js';
import { auditFailure } from './fail-closed.js';
import { kindsByClass } from './retention.js';

/** The one way every capability writes audit (records declared in audit-record.ts). */
export interface AuditWriter {
  /**
   * Group commit: resolves with the record's id once it is durable. For what has no transaction
   * of its own (a lookup, a read, a refusal): the record is the whole of what happens.
   */
  write(record: AuditRecord): Promise<string>;
  /**
   * Appends the record inside the caller's transaction `trx`, so that the change and its record
   * commit together or not at all. Call it last in the transaction: the chain head stays locked
   * until the commit. Group commits of this and other instances wait, then rechain after it.
   */
  writeIn(trx: Kysely<Database>, record: AuditRecord): Promise<string>;
  /**
   * Runs `change` and appends `record` in one transaction, shared with the other changes
   * submitted meanwhile (group commit): each change in a savepoint of its own, so one that throws
   * is undone alone and rejects with its own error; the records of the rest are appended last,
   * under one lock of the chain head, and all commit together. Where the transaction exists only
   * for the change and its record, this is `writeIn` without a commit and a lock per change.
   * A failure of the shared transaction itself rejects every change with `auditFailure(what)`.
   * `change` may run more than once (after a rolled-back attempt): it must only write through `trx`.
   */
  writeWith<T>(what: string, change: (trx: Kysely<Database>) => Promise<T>, record: AuditRecord): Promise<T>;
  /** Waits for pending records. */
  drain(): Promise<void>;
}

interface Pending {
  readonly event: AuditEventInput;
  readonly id: string;
}

interface AuditedChange {
  readonly pending: Pending;
  readonly change: (trx: Kysely<Database>) => Promise<unknown>;
}

type ChangeOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A lone change that threw: its transaction is rolled back, and the caller gets its error. */
class ChangeFailed extends Error {
  override readonly name = 'ChangeFailed';
}

interface ChainHead {
  readonly seq: string;
  readonly hash: string;
}

/** The batch's rows chained onto `head`, and the new head. */
function chainBatch(batch: readonly Pending[], head: ChainHead, recordedAt: Date) {
  let { seq, hash } = head;
  const rows = batch.map(({ event, id }) => {
    seq = (BigInt(seq) + 1n).toString();
    const fields: ChainedFields = {
      seq,
      id,
      occurredAt: event.occurredAt.toISOString(),
      recordedAt: recordedAt.toISOString(),
      kind: event.kind,
      outcome: event.outcome,
      requestId: event.requestId,
      actor: event.actor,
      purpose: event.purpose,
      reason: event.reason,
      patientCpr: event.patientCpr,
      details: event.details,
    };
    const prev = hash;
    hash = chainHash(prev, fields);
    const search = searchColumnsOf(event);
    return {
      seq,
      id,
      occurred_at: fields.occurredAt,
      recorded_at: fields.recordedAt,
      kind: event.kind,
      outcome: event.outcome,
      request_id: event.requestId,
      actor_issuer: event.actor.issuer,
      actor_subject: event.actor.subject,
      actor_name: event.actor.displayName,
      actor_role: event.actor.role,
      actor_organisation: event.actor.organisationSor,
      actor_assurance: event.actor.assurance,
      calling_system: event.actor.callingSystem,
      purpose: event.purpose,
      reason: event.reason,
      patient_cpr: event.patientCpr,
      details: event.details,
      prev_hash: prev,
      hash,
      hash_scheme: HASH_SCHEME,
      concerned_organisations: search.concernedOrganisations,
      source_ids: search.sourceIds,
      counterpart_sor: search.counterpartSor,
    };
  });
  return { rows, head: { seq, hash } };
}

type AuditRow = ReturnType<typeof chainBatch>['rows'][number];
const AUDIT_COLUMNS: ReadonlyArray<keyof AuditRow> = [
  'seq', 'id', 'occurred_at', 'recorded_at', 'kind', 'outcome', 'request_id', 'actor_issuer', 'actor_subject', 'actor_name', 'actor_role',
  'actor_organisation', 'actor_assurance', 'calling_system', 'purpose', 'reason', 'patient_cpr', 'details', 'prev_hash', 'hash', 'hash_scheme',
  'concerned_organisations', 'source_ids', 'counterpart_sor',
];

/**
 * Appends the rows in one statement, only if the chain head is still `expected`: moving the head
 * and inserting the rows are one atomic statement, so no explicit transaction (five round trips)
 * is needed. If another instance moved the head first, its row lock makes this statement wait and
 * then find the head changed; nothing is inserted and false is returned.
 */
async function appendIfHeadIs(db: Kysely<Database>, expected: ChainHead, next: ChainHead, rows: readonly AuditRow[]): Promise<boolean> {
  const columns = sql.join(AUDIT_COLUMNS.map((c) => sql.ref(c)));
  const result = await sql`
    with head as (
      update audit_chain_head set seq = ${next.seq}::bigint, hash = ${next.hash}
      where id = 1 and seq = ${expected.seq}::bigint and hash = ${expected.hash}
      returning 1
    )
    insert into audit_event (${columns})
    select ${columns} from json_populate_recordset(null::audit_event, ${JSON.stringify(rows)}::json)
    where exists (select 1 from head)`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === rows.length;
}

/** Locks the chain head for the rest of `trx`, appends the batch, and returns the new head. */
async function appendLocked(trx: Kysely<Database>, batch: readonly Pending[], recordedAt: Date): Promise<ChainHead> {
  const locked = (await sql<ChainHead>`select seq::text as seq, hash from audit_chain_head where id = 1 for update`.execute(trx)).rows[0] as ChainHead;
  const { rows, head } = chainBatch(batch, locked, recordedAt);
  if (!(await appendIfHeadIs(trx, locked, head, rows))) throw new Error('audit chain head moved while locked');
  return head;
}

/**
 * Appends one record inside the caller's transaction, so that a change and its audit record
 * commit together or not at all. The chain head stays locked until that transaction ends, so
 * call it last; group writers (of any instance) find the head moved and reread it.
 * `AuditWriter.writeIn` is this; capabilities without a writer at hand (the SOR import) call it.
 */
export async function appendAuditInTransaction(trx: Kysely<Database>, record: AuditRecord): Promise<string> {
  const id = randomUUID();
  const recordedAt = new Date();
  // Not the hot path (lookups use the group commit): one cheap check of the month's partitions.
  await ensureMonthPartitions(trx, recordedAt);
  await appendLocked(trx, [{ event: asChainEvent(record), id }], recordedAt);
  return id;
}

/** The month's audit partitions (made if missing; a catalogue lookup when the retention job made them ahead). */
async function ensureMonthPartitions(conn: Kysely<Database>, at: Date): Promise<void> {
  const month = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  await sql`select audit_ensure_month(${month.toISOString().slice(0, 10)}::date, ${JSON.stringify(kindsByClass())}::jsonb)`.execute(conn);
}

/**
 * The months this writer knows to have audit partitions: once per instance and month it makes this
 * month's and the next month's if missing, so a stalled retention job or a clock in a new month
 * never stops writes.
 */
function monthPartitions() {
  const ensured = new Set<string>();
  return {
    async ensure(conn: Kysely<Database>, at: Date): Promise<void> {
      const key = at.toISOString().slice(0, 7);
      if (ensured.has(key)) return;
      await ensureMonthPartitions(conn, at);
      await ensureMonthPartitions(conn, new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)));
      ensured.add(key);
    },
  };
}

export function createAuditWriter(
  db: Kysely<Database>,
  options: GroupCommitOptions & { /** Told of each committed batch (metrics). */ readonly observeBatch?: (size: number, seconds: number) => void } = {},
): AuditWriter {
  // The head this process last wrote or read. Usually still current: then a batch is one statement.
  let known: ChainHead | null = null;
  const partitions = monthPartitions();
  const readHead = async (): Promise<ChainHead> =>
    (await sql<ChainHead>`select seq::text as seq, hash from audit_chain_head where id = 1`.execute(db)).rows[0] as ChainHead;

  async function commit(batch: readonly Pending[]): Promise<string[]> {
    const recordedAt = new Date();
    const started = performance.now();
    try {
      await partitions.ensure(db, recordedAt);
      const ids = await appendBatch(batch, recordedAt);
      options.observeBatch?.(batch.length, (performance.now() - started) / 1000);
      return ids;
    } catch (error) {
      known = null; // perhaps written, perhaps not: read the head next time
      throw error;
    }
  }

  async function appendBatch(batch: readonly Pending[], recordedAt: Date): Promise<string[]> {
    // Another instance appending at the same time moves the head: read it again and rechain.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const expected = known ?? (await readHead());
      const { rows, head } = chainBatch(batch, expected, recordedAt);
      if (await appendIfHeadIs(db, expected, head, rows)) {
        known = head;
        return batch.map((p) => p.id);
      }
      known = null;
    }
    // Still losing the race: wait for the head's lock instead.
    await db.transaction().execute(async (trx) => {
      known = await appendLocked(trx, batch, recordedAt);
    });
    return batch.map((p) => p.id);
  }

  async function commitChanges(batch: readonly AuditedChange[]): Promise<ChangeOutcome[]> {
    const recordedAt = new Date();
    const started = performance.now();
    await partitions.ensure(db, recordedAt);
    const shared = batch.length > 1;
    try {
      const outcomes = await db.transaction().execute(async (trx) => {
        const done: ChangeOutcome[] = [];
        for (const item of batch) {
          if (shared) await sql`savepoint audited_change`.execute(trx);
          try {
            const value = await item.change(trx);
            if (shared) await sql`release savepoint audited_change`.execute(trx);
            done.push({ ok: true, value });
          } catch (error) {
            if (!shared) throw new ChangeFailed('the change failed', { cause: error });
            await sql`rollback to savepoint audited_change`.execute(trx);
            done.push({ ok: false, error });
          }
        }
        const appended = batch.filter((_, i) => done[i]?.ok).map((item) => item.pending);
        // Last, so the chain head is locked only for the append and the commit.
        if (appended.length > 0) known = await appendLocked(trx, appended, recordedAt);
        return done;
      });
      options.observeBatch?.(batch.length, (performance.now() - started) / 1000);
      return outcomes;
    } catch (error) {
      known = null;
      if (error instanceof ChangeFailed) return [{ ok: false, error: error.cause }];
      throw error;
    }
  }

  const { observeBatch: _observe, ...groupOptions } = options;
  const group = createGroupCommit(commit, groupOptions);
  // A change's own error stays in its savepoint; what reaches the group commit is the append's or
  // the commit's. One record the database refuses (a NUL past every edge check) is isolated as for
  // `write`: the halves are run again, each in a transaction of its own.
  const changes = createGroupCommit(commitChanges, { ...groupOptions, maxBatch: Math.min(groupOptions.maxBatch ?? 64, 64) });
  return {
    write: (record) => group.submit({ event: asChainEvent(record), id: randomUUID() }),
    writeWith: async <T>(what: string, change: (trx: Kysely<Database>) => Promise<T>, record: AuditRecord): Promise<T> => {
      let outcome: ChangeOutcome;
      try {
        outcome = await changes.submit({ pending: { event: asChainEvent(record), id: randomUUID() }, change });
      } catch (error) {
        throw auditFailure(what, error);
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value as T;
    },
    writeIn: async (trx, record) => {
      const id = await appendAuditInTransaction(trx, record);
      known = null; // the caller's transaction moves the head (if it commits)
      return id;
    },
    drain: () => group.drain(),
  };
}

export type { ChainVerification } from './chain-verify.js';

export interface ChainRange {
  /** Start after this record, whose hash is `afterHash` (a verified checkpoint); default: the start. */
  readonly afterSeq?: string;
  readonly afterHash?: string;
  /** Stop after this record; default: the chain head, which must then match the last record. */
  readonly toSeq?: string;
  readonly pageSize?: number;
}

/**
 * Recomputes the hash chain, in pages, and reports the first break: the one verification
 * (chain-verify.ts), which also follows the tombstones retention leaves and re-derives the search
 * columns. From the chain's start unless a range says otherwise.
 */
export async function verifyAuditChain(db: Kysely<Database>, range: ChainRange | number = {}): Promise<ChainVerification> {
  const r = typeof range === 'number' ? { pageSize: range } : range;
  return verifyRetainedChain(db, {
    afterSeq: r.afterSeq ?? '0',
    afterHash: r.afterHash ?? '0'.repeat(64),
    ...(r.toSeq !== undefined ? { toSeq: r.toSeq } : {}),
    ...(r.pageSize !== undefined ? { pageSize: r.pageSize } : {}),
  });
}
