import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { type GroupCommitOptions, createGroupCommit } from '../platform/group-commit.js';

/**
 * Remembers token ids until they expire, in the database so that a token replayed against a
 * second broker instance is refused too. Every request carries a fresh token, so the inserts are
 * group-committed: concurrent requests share one statement and one commit.
 */
export interface ReplayGuard {
  /** True when this (issuer, jti) is seen for the first time; false for a replay. */
  firstUse(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
  /** Forgets ids whose tokens have expired. */
  purgeExpired(now?: Date): Promise<number>;
}

interface TokenUse {
  readonly issuer: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

export function createReplayGuard(db: Kysely<Database>, options: GroupCommitOptions = {}): ReplayGuard {
  const inserts = createGroupCommit(async (uses: readonly TokenUse[]) => {
    // A token presented twice within one batch: only its first use is inserted, the rest are replays.
    const key = (u: { issuer: string; jti: string }) => `${u.issuer}\u0000${u.jti}`;
    const firstIndex = new Map<string, number>();
    uses.forEach((u, i) => {
      if (!firstIndex.has(key(u))) firstIndex.set(key(u), i);
    });
    const distinct = [...firstIndex.values()].map((i) => uses[i] as TokenUse);
    const inserted = await db
      .insertInto('token_use')
      .values(distinct.map((u) => ({ issuer: u.issuer, jti: u.jti, expires_at: u.expiresAt })))
      .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
      .returning(['issuer', 'jti'])
      .execute();
    const fresh = new Set(inserted.map(key));
    return uses.map((u, i) => firstIndex.get(key(u)) === i && fresh.has(key(u)));
  }, options);
  return {
    firstUse: (issuer, jti, expiresAt) => inserts.submit({ issuer, jti, expiresAt }),
    async purgeExpired(now = new Date()) {
      const result = await db.deleteFrom('token_use').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
