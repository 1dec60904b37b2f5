/**
 * Recomputes the hash chain over what retention left: the records, and the tombstones of records
 * expired from the middle of the chain. A tombstone counts only when an expiry record in the chain
 * accounts for it (its expiry id, and the expiry's count and digest of tombstones); anything else
 * missing is a break, named by its position.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { type AuditKind, type AuditOutcome, type ChainedFields, chainHash } from './audit-event.js';
import { tombstoneDigests } from './retention-store.js';
import { sameSearchColumns, searchColumnsOf } from './audit-record.js';

export interface ChainVerification {
  readonly ok: boolean;
  readonly checked: number;
  /** Tombstones of expired records the chain was followed across. */
  readonly tombstones: number;
  /** The first position whose record does not follow from its content and predecessor, or is missing. */
  readonly brokenAt: string | null;
}

export interface ChainRange {
  readonly afterSeq: string;
  readonly afterHash: string;
  /** Stop after this record; default: the chain head, which must then match the last record. */
  readonly toSeq?: string;
  readonly pageSize?: number;
}

interface ExpiryClaim {
  readonly tombstones: number;
  readonly digest: string;
}

/** Adds digests "a.b" part by part (they are sums). */
const addDigests = (a: string, b: string): string => {
  const [a1 = '0', a2 = '0'] = a.split('.');
  const [b1 = '0', b2 = '0'] = b.split('.');
  return `${BigInt(a1) + BigInt(b1)}.${BigInt(a2) + BigInt(b2)}`;
};

/** What the expiry records in the chain say they left behind, by expiry id. */
async function expiryClaims(db: Kysely<Database>): Promise<Map<string, ExpiryClaim>> {
  const rows = await db.selectFrom('audit_event').select('details').where('kind', '=', 'audit-retention').execute();
  const claims = new Map<string, ExpiryClaim>();
  for (const { details } of rows) {
    const id = typeof details.expiryId === 'string' ? details.expiryId : null;
    const parts = Array.isArray(details.partitions) ? (details.partitions as Array<{ tombstones?: unknown; tombstoneDigest?: unknown }>) : [];
    if (!id) continue;
    claims.set(id, {
      tombstones: parts.reduce((n, p) => n + (typeof p.tombstones === 'number' ? p.tombstones : 0), 0),
      digest: parts.reduce((d, p) => addDigests(d, typeof p.tombstoneDigest === 'string' ? p.tombstoneDigest : '0.0'), '0.0'),
    });
  }
  return claims;
}

export async function verifyRetainedChain(db: Kysely<Database>, range: ChainRange): Promise<ChainVerification> {
  const { afterSeq, afterHash, toSeq, pageSize = 5000 } = range;
  // Tombstones an expiry record does not account for (count and digest) are not trusted at all.
  const claims = await expiryClaims(db);
  const actual = await tombstoneDigests(db);
  const trusted = new Set([...actual].filter(([id, a]) => claims.get(id)?.tombstones === a.count && claims.get(id)?.digest === a.digest).map(([id]) => id));

  let prev = afterHash;
  let after = afterSeq;
  let checked = 0;
  let tombstones = 0;
  const upper = toSeq !== undefined ? sql<boolean>`seq <= ${toSeq}::bigint` : sql<boolean>`true`;
  for (;;) {
    const rows = await db.selectFrom('audit_event').selectAll().where(sql<boolean>`seq > ${after}::bigint`).where(upper).orderBy(sql`seq`).limit(pageSize).execute();
    const stones = (
      await sql<{ seq: string; hash: string; expiry_id: string }>`
        select seq::text, hash, expiry_id::text from audit_tombstone where seq > ${after}::bigint and ${upper} order by seq limit ${pageSize}`.execute(db)
    ).rows;
    if (rows.length === 0 && stones.length === 0) break;
    // Only as far as both pages reach, so the merge never skips a position of the other.
    const reach = (n: number, last: string | undefined): bigint => (n === pageSize && last !== undefined ? BigInt(last) : BigInt(Number.MAX_SAFE_INTEGER) ** 2n);
    const bound = [reach(rows.length, rows.at(-1)?.seq), reach(stones.length, stones.at(-1)?.seq)].reduce((a, b) => (a < b ? a : b));
    const merged = [...rows.map((r) => ({ seq: String(r.seq), row: r, stone: null })), ...stones.map((s) => ({ seq: s.seq, row: null, stone: s }))]
      .filter((x) => BigInt(x.seq) <= bound)
      .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : BigInt(a.seq) > BigInt(b.seq) ? 1 : 0));
    for (const item of merged) {
      const expectedSeq = (BigInt(after) + 1n).toString();
      // A record stands where a tombstone says it expired: one of the two is forged.
      if (item.seq === after) return { ok: false, checked, tombstones, brokenAt: item.seq };
      if (item.seq !== expectedSeq) return { ok: false, checked, tombstones, brokenAt: expectedSeq };
      if (item.stone) {
        if (!trusted.has(item.stone.expiry_id)) return { ok: false, checked, tombstones, brokenAt: item.seq };
        prev = item.stone.hash;
        tombstones += 1;
      } else if (item.row) {
        const r = item.row;
        const fields: ChainedFields = {
          seq: String(r.seq),
          id: r.id,
          occurredAt: r.occurred_at.toISOString(),
          recordedAt: r.recorded_at.toISOString(),
          kind: r.kind as AuditKind,
          outcome: r.outcome as AuditOutcome,
          requestId: r.request_id,
          actor: {
            issuer: r.actor_issuer, subject: r.actor_subject, displayName: r.actor_name, role: r.actor_role,
            organisationSor: r.actor_organisation, assurance: r.actor_assurance, callingSystem: r.calling_system,
          },
          purpose: r.purpose,
          reason: r.reason,
          patientCpr: r.patient_cpr,
          details: r.details,
        };
        // The search columns are not hashed but follow from the hashed details: edited to hide a
        // record from an auditor, they break the record as surely as an edited field.
        const columns = { concernedOrganisations: r.concerned_organisations, sourceIds: r.source_ids, counterpartSor: r.counterpart_sor };
        if (r.prev_hash !== prev || chainHash(prev, fields, r.hash_scheme) !== r.hash || !sameSearchColumns(columns, searchColumnsOf(fields))) {
          return { ok: false, checked, tombstones, brokenAt: item.seq };
        }
        prev = r.hash;
        checked += 1;
      }
      after = item.seq;
    }
    if (merged.length === 0) break;
  }
  if (toSeq !== undefined) {
    const complete = BigInt(after) >= BigInt(toSeq);
    return { ok: complete, checked, tombstones, brokenAt: complete ? null : (BigInt(after) + 1n).toString() };
  }
  const head = await db.selectFrom('audit_chain_head').select([sql<string>`seq::text`.as('seq'), 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  if (head.seq === after && head.hash === prev) return { ok: true, checked, tombstones, brokenAt: null };
  // The head further on: the records after the last one are gone. The head further back: the
  // records after it are not vouched for. The same position, another hash: the last one is wrong.
  const h = BigInt(head.seq);
  const a = BigInt(after);
  const brokenAt = h > a ? a + 1n : h < a ? h + 1n : a;
  return { ok: false, checked, tombstones, brokenAt: brokenAt.toString() };
}
