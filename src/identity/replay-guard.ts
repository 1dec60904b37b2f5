import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';

/**
 * Remembers token ids until they expire, in the database so that a token replayed against a
 * second broker instance is refused too.
 */
export interface ReplayGuard {
  /** True when this (issuer, jti) is seen for the first time; false for a replay. */
  firstUse(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
  /** Forgets ids whose tokens have expired. */
  purgeExpired(now?: Date): Promise<number>;
}

export function createReplayGuard(db: Kysely<Database>): ReplayGuard {
  return {
    async firstUse(issuer, jti, expiresAt) {
      const inserted = await db
        .insertInto('token_use')
        .values({ issuer, jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
        .returning(sql<number>`1`.as('inserted'))
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async purgeExpired(now = new Date()) {
      const result = await db.deleteFrom('token_use').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
