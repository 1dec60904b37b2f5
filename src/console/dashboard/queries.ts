/**
 * The dashboard's records: the audit search itself (src/audit/search.ts), so a dashboard counts
 * exactly what the signed-in organisation's auditors may see of its SOR subtree (own staff's
 * records in full, others' lookups and messages that concerned it, projected), and no more.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import type { ProjectedRecord } from '../../audit/projection.js';
import { searchAudit } from '../../audit/search.js';

const PAGE = 500;
/** At most this many records are counted; a period with more says so on the page. */
export const MAX_RECORDS = 20_000;

export async function dashboardRecords(db: Kysely<Database>, scopeSor: string, from: Date, to: Date): Promise<{ records: ProjectedRecord[]; truncated: boolean }> {
  const records: ProjectedRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: ProjectedRecord[]; nextCursor: string | null } = await searchAudit(db, {
      scopeSor,
      kinds: ['lookup', 'correspondence-sent', 'correspondence-received'],
      from,
      to,
      limit: PAGE,
      ...(cursor ? { beforeSeq: cursor } : {}),
    });
    records.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && records.length < MAX_RECORDS);
  return { records, truncated: cursor !== null };
}
