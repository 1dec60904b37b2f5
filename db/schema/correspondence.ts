import type { ColumnType } from 'kysely';
import type { Json, Timestamp } from './directory.js';

export type CorrespondenceDirection = 'in' | 'out';

/**
 * Outbound: queued -> sent -> acknowledged | rejected | failed (no acknowledgement after the
 * resends, or a permanent transport refusal). Inbound: received (read_at marks it read).
 */
export type CorrespondenceStatus = 'queued' | 'sent' | 'acknowledged' | 'rejected' | 'failed' | 'received';

export interface CorrespondenceMessageTable {
  id: string;
  direction: CorrespondenceDirection;
  organisation_sor: string;
  organisation_ean: string;
  counterpart_sor: string;
  counterpart_ean: string;
  patient_cpr: string;
  kind: 'new' | 'reply' | 'forward';
  category: string;
  topic: string | null;
  bundle_id: string;
  message_header_id: string;
  previous_message_header_id: string | null;
  episode_of_care_id: string | null;
  thread_key: string;
  status: CorrespondenceStatus;
  /** 'oioxml': sent to an OIOXML-only receiver as an XDIS91 letter (the stored Bundle is what it was made from). */
  encoding: 'json' | 'xml' | 'oioxml';
  bundle: Json<Record<string, unknown>>;
  acknowledgement_sent: Json<Record<string, unknown>> | null;
  acknowledgement_received: Json<Record<string, unknown>> | null;
  acknowledgement_code: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  resends: ColumnType<number, number | undefined, number>;
  failure: string | null;
  read_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
  acknowledged_at: Timestamp | null;
  request_id: string | null;
  /** `[lokationsnummer]#[brevid]` of the OIOXML letter this message was received or sent as. */
  oioxml_letter: ColumnType<string | null, string | null | undefined, string | null>;
}
