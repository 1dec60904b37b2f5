/**
 * Console sessions in the database. The cookie carries a random 256-bit id; the table holds only
 * its SHA-256, the Caller the ID token became, a CSRF token, and the session's clocks.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { AssuranceLevel, Caller, Role } from '../identity/caller.js';

export interface ConsoleSession {
  readonly idHash: string;
  readonly csrfToken: string;
  readonly caller: Caller;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

export const randomToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function createSession(db: Kysely<Database>, caller: Caller, now: Date, absoluteTimeoutSeconds: number): Promise<{ id: string; session: ConsoleSession }> {
  const id = randomToken();
  const session: ConsoleSession = {
    idHash: hashToken(id),
    csrfToken: randomToken(),
    caller,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + absoluteTimeoutSeconds * 1000),
  };
  await db
    .insertInto('console_session')
    .values({
      id_hash: session.idHash,
      csrf_token: session.csrfToken,
      issuer: caller.issuer,
      subject: caller.subject,
      token_id: caller.tokenId,
      organisation_sor: caller.organisationSor,
      role: caller.role,
      assurance: caller.assurance,
      purpose_of_use: caller.purposeOfUse,
      display_name: caller.displayName,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
    })
    .execute();
  return { id, session };
}

export async function loadSession(db: Kysely<Database>, id: string): Promise<ConsoleSession | null> {
  const row = await db.selectFrom('console_session').selectAll().where('id_hash', '=', hashToken(id)).executeTakeFirst();
  if (!row) return null;
  return {
    idHash: row.id_hash,
    csrfToken: row.csrf_token,
    caller: {
      issuer: row.issuer,
      subject: row.subject,
      tokenId: row.token_id,
      organisationSor: row.organisation_sor,
      role: row.role as Role,
      assurance: row.assurance as AssuranceLevel,
      purposeOfUse: row.purpose_of_use,
      displayName: row.display_name,
      expiresAt: row.expires_at,
    },
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}

export async function touchSession(db: Kysely<Database>, idHash: string, now: Date): Promise<void> {
  await db.updateTable('console_session').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('console_session').where('id_hash', '=', idHash).execute();
}

/** Sessions past their end and sign-ins never completed; run on each sign-in, so nothing piles up. */
export async function purgeExpired(db: Kysely<Database>, now: Date, idleTimeoutSeconds: number): Promise<void> {
  await db
    .deleteFrom('console_session')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', new Date(now.getTime() - idleTimeoutSeconds * 1000))]))
    .execute();
  await db.deleteFrom('console_login').where('created_at', '<=', new Date(now.getTime() - 15 * 60_000)).execute();
}
