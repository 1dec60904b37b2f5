/**
 * Queries over correspondence_message. Every function takes the database (or a transaction) as
 * its first argument, so writes join the caller's transaction together with the job enqueue.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { CorrespondenceMessageTable, CorrespondenceStatus } from '../../db/schema/correspondence.js';

export type MessageRow = Selectable<CorrespondenceMessageTable>;
export type NewMessageRow = Omit<MessageRow, 'bundle' | 'acknowledgement_sent' | 'acknowledgement_received'> & {
  bundle: Record<string, unknown>;
  acknowledgement_sent: Record<string, unknown> | null;
  acknowledgement_received: Record<string, unknown> | null;
};

/** Columns a message's later life fills in; a new message starts with none of them. */
type LifecycleColumn =
  | 'acknowledgement_sent' | 'acknowledgement_received' | 'acknowledgement_code' | 'attempts' | 'resends'
  | 'failure' | 'read_at' | 'sent_at' | 'acknowledged_at' | 'updated_at';
/** Set only for messages received or sent as OIOXML letters. */
type OptionalColumn = 'oioxml_letter';
export type NewMessage = Omit<NewMessageRow, LifecycleColumn | OptionalColumn> & Partial<Pick<NewMessageRow, LifecycleColumn | OptionalColumn>>;

export async function insertMessage(db: Kysely<Database>, message: NewMessage): Promise<void> {
  const row: NewMessageRow = {
    acknowledgement_sent: null,
    acknowledgement_received: null,
    acknowledgement_code: null,
    attempts: 0,
    resends: 0,
    failure: null,
    read_at: null,
    sent_at: null,
    acknowledged_at: null,
    oioxml_letter: null,
    updated_at: message.created_at,
    ...message,
  };
  await db
    .insertInto('correspondence_message')
    .values({
      ...row,
      bundle: JSON.stringify(row.bundle),
      acknowledgement_sent: row.acknowledgement_sent ? JSON.stringify(row.acknowledgement_sent) : null,
      acknowledgement_received: row.acknowledgement_received ? JSON.stringify(row.acknowledgement_received) : null,
    })
    .execute();
}

export async function findMessage(db: Kysely<Database>, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('correspondence_message').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the row for the rest of the transaction: jobs re-check state under this lock. */
export async function lockMessage(db: Kysely<Database>, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('correspondence_message').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** An inbound message already stored by this receiver under this MessageHeader.id or Bundle.id. */
export async function findInbound(
  db: Kysely<Database>,
  receiverSor: string,
  ids: { messageHeaderId: string; bundleId: string },
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('correspondence_message')
    .selectAll()
    .where('direction', '=', 'in')
    .where('organisation_sor', '=', receiverSor)
    .where((eb) => eb.or([eb('message_header_id', '=', ids.messageHeaderId), eb('bundle_id', '=', ids.bundleId)]))
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function findOutboundByHeader(db: Kysely<Database>, messageHeaderId: string): Promise<MessageRow | undefined> {
  return db
    .selectFrom('correspondence_message')
    .selectAll()
    .where('direction', '=', 'out')
    .where('message_header_id', '=', messageHeaderId)
    .executeTakeFirst();
}

/** The message we sent as this OIOXML letter (`[lokationsnummer]#[brevid]`), which an XCTL03 receipt names. */
export async function findOutboundByOioxmlLetter(db: Kysely<Database>, letter: string): Promise<MessageRow | undefined> {
  return db.selectFrom('correspondence_message').selectAll().where('direction', '=', 'out').where('oioxml_letter', '=', letter).executeTakeFirst();
}

export async function updateMessage(
  db: Kysely<Database>,
  id: string,
  changes: Partial<{
    status: CorrespondenceStatus;
    bundle_id: string;
    bundle: Record<string, unknown>;
    attempts: number;
    resends: number;
    failure: string | null;
    sent_at: Date;
    acknowledged_at: Date;
    acknowledgement_code: string;
    acknowledgement_received: Record<string, unknown>;
    read_at: Date;
  }>,
): Promise<void> {
  const { bundle, acknowledgement_received, ...rest } = changes;
  await db
    .updateTable('correspondence_message')
    .set({
      ...rest,
      ...(bundle ? { bundle: JSON.stringify(bundle) } : {}),
      ...(acknowledgement_received ? { acknowledgement_received: JSON.stringify(acknowledgement_received) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * queued -> sent for this Bundle.id, only if nothing moved on meanwhile (an acknowledgement may
 * overtake the delivery, a resend changes the Bundle.id). True when this call made the change.
 */
export async function markSent(db: Kysely<Database>, id: string, bundleId: string, at: Date): Promise<boolean> {
  const updated = await db
    .updateTable('correspondence_message')
    .set({ status: 'sent', sent_at: at, attempts: sql<number>`attempts + 1`, failure: null, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('bundle_id', '=', bundleId)
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}

export interface MessageFilters {
  readonly organisationSor: string;
  readonly direction?: 'in' | 'out';
  readonly patientCpr?: string;
  readonly counterpartSor?: string;
  readonly category?: string;
  readonly status?: CorrespondenceStatus;
  readonly unread?: boolean;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  /** Keyset position: created_at and id of the last row of the previous page. */
  readonly after?: { readonly createdAt: Date; readonly id: string };
}

/** Newest first, keyset-paginated. */
export async function searchMessages(db: Kysely<Database>, f: MessageFilters): Promise<MessageRow[]> {
  let q = db.selectFrom('correspondence_message').selectAll().where('organisation_sor', '=', f.organisationSor);
  if (f.direction) q = q.where('direction', '=', f.direction);
  if (f.patientCpr) q = q.where('patient_cpr', '=', f.patientCpr);
  if (f.counterpartSor) q = q.where('counterpart_sor', '=', f.counterpartSor);
  if (f.category) q = q.where('category', '=', f.category);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.unread === true) q = q.where('direction', '=', 'in').where('read_at', 'is', null);
  if (f.unread === false) q = q.where((eb) => eb.or([eb('direction', '=', 'out'), eb('read_at', 'is not', null)]));
  if (f.from) q = q.where('created_at', '>=', f.from);
  if (f.to) q = q.where('created_at', '<', f.to);
  if (f.after) {
    const { createdAt, id } = f.after;
    q = q.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id}::uuid)`);
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** The organisation's messages in one conversation: same thread key, or same episode of care. */
export async function threadMessages(db: Kysely<Database>, organisationSor: string, threadKey: string, episodeOfCareId: string | null): Promise<MessageRow[]> {
  return db
    .selectFrom('correspondence_message')
    .selectAll()
    .where('organisation_sor', '=', organisationSor)
    .where((eb) =>
      episodeOfCareId
        ? eb.or([eb('thread_key', '=', threadKey), eb('episode_of_care_id', '=', episodeOfCareId)])
        : eb('thread_key', '=', threadKey),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
