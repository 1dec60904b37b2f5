/**
 * Is the audit log whole? The hash chain over a period, anchored at the last signed checkpoint
 * before it, and every checkpoint (stored and exported) against the chain as it stands. Names the
 * first broken record, so an auditor knows from where the log cannot be trusted.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { verifyRetainedChain } from './chain-verify.js';
import { type Checkpoint, type CheckpointFinding, type CheckpointKeys, checkpointSignatureValid, verifyCheckpoints } from './checkpoints.js';

export interface IntegrityReport {
  readonly ok: boolean;
  /** The first record from which the log cannot be trusted; null when whole. */
  readonly firstBrokenRecord: string | null;
  readonly chain: {
    readonly fromSeq: string;
    readonly toSeq: string | null;
    readonly checked: number;
    readonly brokenAt: string | null;
    /** The signed checkpoint the check started from, when the period starts after one. */
    readonly anchoredAt: string | null;
    /** Tombstones of expired records the chain was followed across. */
    readonly tombstones: number;
  };
  /** Where retained history starts (a signed checkpoint written by the last expiry); null before any expiry. */
  readonly retention: { readonly startsAfter: string; readonly signedAt: string; readonly keyId: string; readonly signature: 'ok' | 'bad-signature' | 'unknown-key' | 'not-checked' } | null;
  readonly checkpoints: {
    /** False when the broker has no signing key: the chain alone cannot show a truncation. */
    readonly configured: boolean;
    readonly checked: number;
    readonly last: { readonly seq: string; readonly signedAt: string; readonly keyId: string } | null;
    readonly findings: readonly CheckpointFinding[];
  };
}

const seqAt = async (db: Kysely<Database>, at: Date, edge: 'first-at-or-after' | 'last-before'): Promise<string | null> => {
  const row =
    edge === 'first-at-or-after'
      ? await db.selectFrom('audit_event').select(sql<string>`min(seq)::text`.as('seq')).where('recorded_at', '>=', at).executeTakeFirst()
      : await db.selectFrom('audit_event').select(sql<string>`max(seq)::text`.as('seq')).where('recorded_at', '<', at).executeTakeFirst();
  return row?.seq ?? null;
};

export async function checkAuditIntegrity(
  db: Kysely<Database>,
  options: { keys: CheckpointKeys | null; from?: Date; to?: Date; exported?: readonly Checkpoint[] },
): Promise<IntegrityReport> {
  const { keys } = options;
  const minSeq = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : BigInt(a) <= BigInt(b) ? a : b);

  // Where to start: where retained history starts (or the beginning), or the newest valid
  // checkpoint before the period, whichever is later.
  const retention = await retentionStart(db, keys);
  const retained = retention && retention.signature !== 'bad-signature' && retention.signature !== 'unknown-key';
  let afterSeq = retained ? retention.seq : '0';
  let afterHash = retained ? retention.hash : '0'.repeat(64);
  let anchoredAt: string | null = retained ? retention.seq : null;
  const firstInPeriod = options.from ? await seqAt(db, options.from, 'first-at-or-after') : '1';
  if (options.from && firstInPeriod && keys) {
    const candidates = await db
      .selectFrom('audit_checkpoint')
      .select([sql<string>`seq::text`.as('seq'), 'hash', 'signed_at', 'key_id', 'jws'])
      .where(sql<boolean>`seq < ${firstInPeriod}::bigint`)
      .where(sql<boolean>`seq > ${afterSeq}::bigint`)
      .orderBy('seq', 'desc')
      .limit(5)
      .execute();
    for (const c of candidates) {
      const checkpoint: Checkpoint = { seq: c.seq, hash: c.hash, signedAt: c.signed_at.toISOString(), keyId: c.key_id, jws: c.jws };
      if ((await checkpointSignatureValid(checkpoint, keys)) === 'ok') {
        afterSeq = c.seq;
        afterHash = c.hash;
        anchoredAt = c.seq;
        break;
      }
    }
  }
  const toSeq = options.to ? ((await seqAt(db, options.to, 'last-before')) ?? afterSeq) : undefined;
  const chain = await verifyRetainedChain(db, { afterSeq, afterHash, ...(toSeq !== undefined ? { toSeq } : {}) });

  const checkpoints = keys
    ? await verifyCheckpoints(db, keys, options.exported ?? [], retained ? retention.seq : '0')
    : { checked: 0, findings: [], last: null, matching: [] };
  // A retention start that does not verify is itself a finding: history cannot be trusted from the start.
  const retentionFinding = retention && !retained ? '1' : null;
  const head = (await db.selectFrom('audit_chain_head').select(sql<string>`seq::text`.as('seq')).where('id', '=', 1).executeTakeFirstOrThrow()).seq;
  // A checkpoint that no longer matches says the chain was rewritten somewhere after the last one
  // that still does; a checkpoint beyond the chain says records after the chain's end are gone.
  const matching = checkpoints.matching;
  const untrustedFrom = (f: CheckpointFinding): string | null => {
    if (f.problem === 'hash-mismatch') {
      const before = matching.filter((s) => BigInt(s) < BigInt(f.seq)).at(-1) ?? '0';
      return (BigInt(before) + 1n).toString();
    }
    if (f.problem === 'records-missing') return (BigInt(head) + 1n).toString();
    return null;
  };
  const firstFinding = checkpoints.findings.reduce<string | null>((m, f) => minSeq(m, untrustedFrom(f)), null);
  const firstBrokenRecord = minSeq(minSeq(chain.brokenAt, firstFinding), retentionFinding);
  return {
    ok: chain.ok && checkpoints.findings.length === 0 && retentionFinding === null,
    firstBrokenRecord,
    chain: { fromSeq: (BigInt(afterSeq) + 1n).toString(), toSeq: toSeq ?? null, checked: chain.checked, brokenAt: chain.brokenAt, anchoredAt, tombstones: chain.tombstones },
    retention: retention ? { startsAfter: retention.seq, signedAt: retention.signedAt, keyId: retention.keyId, signature: retention.signature } : null,
    checkpoints: {
      configured: keys !== null,
      checked: checkpoints.checked,
      last: checkpoints.last ? { seq: checkpoints.last.seq, signedAt: checkpoints.last.signedAt, keyId: checkpoints.last.keyId } : null,
      findings: checkpoints.findings,
    },
  };
}

/** The newest signed start of retained history, and whether its signature holds (not checked without keys). */
async function retentionStart(
  db: Kysely<Database>,
  keys: CheckpointKeys | null,
): Promise<{ seq: string; hash: string; signedAt: string; keyId: string; signature: 'ok' | 'bad-signature' | 'unknown-key' | 'not-checked' } | null> {
  const row = (
    await sql<{ seq: string; hash: string; signed_at: Date; key_id: string; jws: string }>`
      select seq::text, hash, signed_at, key_id, jws from audit_retention_start order by seq desc limit 1`.execute(db)
  ).rows[0];
  if (!row) return null;
  const signedAt = new Date(row.signed_at).toISOString();
  const signature = keys ? await checkpointSignatureValid({ seq: row.seq, hash: row.hash, signedAt, keyId: row.key_id, jws: row.jws }, keys, { retentionStart: true }) : 'not-checked';
  return { seq: row.seq, hash: row.hash, signedAt, keyId: row.key_id, signature };
}
