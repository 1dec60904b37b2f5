/**
 * Audit retention in the database: monthly partitions made ahead of time, and expiry by dropping a
 * class's month partition. Both need the schema owner (the runtime role may neither create nor
 * drop tables, nor delete audit records): the retention job runs them over DATABASE_MIGRATION_URL.
 *
 * One hash chain runs through every class. A class kept shorter than the records around it leaves
 * a hole in the middle of the chain when it expires; its records' (seq, hash) stay behind as
 * tombstones, so the chain still links across the hole. The expiry record (kind `audit-retention`,
 * in the chain, never expired) states per partition how many tombstones it left and a digest of
 * them, so a tombstone added later to hide a deletion is seen. Where no record below a position is
 * left, a signed checkpoint (`audit_retention_start`) marks where retained history starts and
 * verification begins there.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { systemActor } from './audit-event.js';
import { appendAuditInTransaction } from './audit-writer.js';
import type { CheckpointSigner } from './checkpoints.js';
import { type Month, type RetentionClass, type RetentionPolicy, dueForExpiry, expiresAt, kindsByClass, monthKey, monthStart, monthsToCreate, parseClassTable } from './retention.js';

/** Creates this month's partitions and the next `ahead` months' (idempotent). Returns the month tables created. */
export async function createAuditPartitions(db: Kysely<Database>, now: Date, ahead: number): Promise<string[]> {
  const before = new Set(await monthTables(db));
  const classes = JSON.stringify(kindsByClass());
  for (const m of monthsToCreate(now, ahead)) {
    await sql`select audit_create_month(${monthStart(m).toISOString().slice(0, 10)}::date, ${classes}::jsonb)`.execute(db);
  }
  return (await monthTables(db)).filter((t) => !before.has(t));
}

async function monthTables(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'audit_event'::regclass order by 1`.execute(db);
  return rows.rows.map((r) => r.name);
}

export interface ClassPartition {
  readonly table: string;
  readonly month: Month;
  readonly cls: RetentionClass | 'unclassified';
}

/** The class partitions that exist, from the catalogue. */
export async function listClassPartitions(db: Kysely<Database>): Promise<ClassPartition[]> {
  const rows = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent in (select inhrelid from pg_inherits where inhparent = 'audit_event'::regclass) order by 1`.execute(db);
  return rows.rows.flatMap((r) => {
    const parsed = parseClassTable(r.name);
    return parsed ? [{ table: r.name, ...parsed }] : [];
  });
}

/**
 * An order-independent digest of a set of tombstones, computed in one aggregate pass: the sum of
 * the first 60 bits of sha256(seq:hash), twice over distinct halves, as exact numerics.
 */
const DIGEST = sql<string>`coalesce(sum(('x' || substr(encode(sha256((seq::text || ':' || hash)::bytea), 'hex'), 1, 15))::bit(60)::bigint), 0)::text
  || '.' || coalesce(sum(('x' || substr(encode(sha256((seq::text || ':' || hash)::bytea), 'hex'), 33, 15))::bit(60)::bigint), 0)::text`;

export interface ExpiredPartition {
  readonly table: string;
  readonly month: string;
  readonly recordClass: RetentionClass;
  readonly records: number;
  readonly fromSeq: string | null;
  readonly toSeq: string | null;
  /** Records whose (seq, hash) was kept, because retained records follow them in the chain... */
  readonly tombstones: number;
  /** ... and the digest of those tombstones. */
  readonly tombstoneDigest: string;
}

export interface ExpiryResult {
  readonly expiryId: string | null;
  readonly expired: readonly ExpiredPartition[];
  /** The first position of retained history after the expiry (a signed checkpoint is at the one before). */
  readonly retainedFrom: string | null;
  readonly auditRecordId: string | null;
}

/**
 * Expires every class month whose retention has run out: tombstones, drop, a signed checkpoint of
 * where retained history now starts, and an `audit-retention` record, in one transaction. The
 * audit table is locked for the drop (writers wait; lock_timeout bounds the wait, a retry follows).
 */
export async function expireAuditRecords(
  db: Kysely<Database>,
  options: { readonly policy: RetentionPolicy; readonly signer: CheckpointSigner; readonly now?: Date; readonly lockTimeoutMs?: number },
): Promise<ExpiryResult> {
  const now = options.now ?? new Date();
  const due = dueForExpiry(await listClassPartitions(db), options.policy, now);
  if (due.length === 0) return { expiryId: null, expired: [], retainedFrom: null, auditRecordId: null };
  const expiryId = randomUUID();
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('lock_timeout', ${String(options.lockTimeoutMs ?? 5000)}, true)`.execute(trx);
    // The table first, then the chain head: the order writers take them in, so no deadlock.
    await sql`lock table audit_event in access exclusive mode`.execute(trx);
    await sql`select 1 from audit_chain_head where id = 1 for update`.execute(trx);
    const dueTables = due.map((p) => p.table);
    // What remains after the expiry starts here; only records after it need tombstones.
    const remaining = await sql<{ seq: string | null }>`
      select min(seq)::text as seq from audit_event where tableoid::regclass::text <> all(${dueTables}::text[])`.execute(trx);
    const head = await trx.selectFrom('audit_chain_head').select([sql<string>`seq::text`.as('seq'), 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    const retainedFrom = remaining.rows[0]?.seq ?? (BigInt(head.seq) + 1n).toString();

    const expired: ExpiredPartition[] = [];
    for (const p of due) {
      const table = sql.table(p.table);
      const stats = (await sql<{ n: string; min: string | null; max: string | null }>`
        select count(*)::text as n, min(seq)::text as min, max(seq)::text as max from ${table}`.execute(trx)).rows[0];
      await sql`insert into audit_tombstone (seq, hash, expiry_id) select seq, hash, ${expiryId}::uuid from ${table} where seq > ${retainedFrom}::bigint`.execute(trx);
      const tomb = (await sql<{ n: string; digest: string }>`
        select count(*)::text as n, ${DIGEST} as digest from audit_tombstone where expiry_id = ${expiryId}::uuid
          and seq in (select seq from ${table})`.execute(trx)).rows[0];
      await sql`drop table ${table}`.execute(trx);
      expired.push({
        table: p.table,
        month: monthKey(p.month).replace('_', '-'),
        recordClass: p.cls as RetentionClass,
        records: Number(stats?.n ?? 0),
        fromSeq: stats?.min ?? null,
        toSeq: stats?.max ?? null,
        tombstones: Number(tomb?.n ?? 0),
        tombstoneDigest: tomb?.digest ?? '0.0',
      });
    }
    // A month table with no class partitions left goes too.
    await sql`
      do $$ declare t text; begin
        for t in select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'audit_event'::regclass and not exists (select 1 from pg_inherits j where j.inhparent = c.oid) loop
          execute format('drop table %I', t);
        end loop;
      end $$`.execute(trx);

    // Where retained history starts, signed: the hash the first retained record chains from.
    const first = await sql<{ prev_hash: string }>`select prev_hash from audit_event where seq = ${retainedFrom}::bigint`.execute(trx);
    const startSeq = (BigInt(retainedFrom) - 1n).toString();
    const startHash = first.rows[0]?.prev_hash ?? head.hash;
    const signedAt = now.toISOString();
    const jws = await options.signer.sign(new TextEncoder().encode(JSON.stringify({ seq: startSeq, hash: startHash, signedAt, retentionStart: true })));
    await sql`insert into audit_retention_start (seq, hash, signed_at, key_id, jws, expiry_id)
      values (${startSeq}::bigint, ${startHash}, ${signedAt}::timestamptz, ${options.signer.keyId}, ${jws}, ${expiryId}::uuid)
      on conflict (seq) do nothing`.execute(trx);

    const auditRecordId = await appendAuditInTransaction(trx, {
      kind: 'audit-retention',
      outcome: 'success',
      occurredAt: now,
      requestId: null,
      actor: systemActor('audit-retention'),
      purpose: null,
      reason: 'retention period ended',
      patientCpr: null,
      details: {
        expiryId,
        retainedFrom,
        policy: Object.fromEntries(expired.map((e) => [e.recordClass, options.policy[e.recordClass]])),
        partitions: expired.map((e) => ({ ...e, expiresAt: expiresAt({ year: Number(e.month.slice(0, 4)), month: Number(e.month.slice(5)) }, e.recordClass, options.policy)?.toISOString() ?? null })),
      },
    });
    return { expiryId, expired, retainedFrom, auditRecordId };
  });
}

/** The tombstone digest of one expiry, as verification recomputes it. */
export async function tombstoneDigests(db: Kysely<Database>): Promise<Map<string, { count: number; digest: string; firstSeq: string }>> {
  const rows = await sql<{ expiry_id: string; n: string; digest: string; first: string }>`
    select expiry_id::text, count(*)::text as n, ${DIGEST} as digest, min(seq)::text as first from audit_tombstone group by expiry_id`.execute(db);
  return new Map(rows.rows.map((r) => [r.expiry_id, { count: Number(r.n), digest: r.digest, firstSeq: r.first }]));
}
