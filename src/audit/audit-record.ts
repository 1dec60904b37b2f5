/**
 * The audit contract: one record shape per kind, with the fields that kind has. Every capability
 * writes audit through `AuditWriter.write` / `writeIn` (audit-writer.ts) with one of these, so a
 * record's details are checked by the compiler where they are made, not parsed back and hoped for.
 *
 * The auditors' search does not read the details: the writer derives the columns it filters on
 * (`searchColumnsOf`) once, at write time, and `verifyAuditChain` re-derives them from the hashed
 * details, so an insider cannot hide a record from an auditor by editing those columns either.
 */
import type { AuditActor, AuditEventInput, AuditOutcome } from './audit-event.js';

/** What every record has, whatever its kind. */
interface RecordBase {
  readonly outcome: AuditOutcome;
  readonly occurredAt: Date;
  readonly requestId: string | null;
  readonly actor: AuditActor;
  readonly purpose: string | null;
  readonly reason: string | null;
  /** The child the record is about; null when it is about none (administration, searches without one). */
  readonly patientCpr: string | null;
}

/** An agreement version a decision relied on. */
export interface AgreementRef {
  readonly id: string;
  readonly version: number;
}

/** One source of a lookup: asked (with its answer) or denied (and why). */
export interface LookupSourceEntry {
  readonly sourceId: string;
  readonly kind: string;
  /** The SOR code of the organisation the source answers for. */
  readonly organisation: string;
  /** Chosen from the person register, or named by the caller: what the caller knew. */
  readonly via: string;
  readonly status: string;
  readonly reason: string | null;
  readonly deniedBecause: readonly string[] | null;
  readonly agreements: readonly AgreementRef[];
  readonly dataElementsReturned: readonly string[];
  readonly cases: number;
  readonly durationMs: number | null;
  /** The consents a consent-based agreement relied on (src/citizen/consent.ts). */
  readonly consents?: readonly unknown[];
  /** The citizen's blocks an emergency override set aside for this source. */
  readonly overriddenBlocks?: readonly string[];
}

export interface LookupRecord extends RecordBase {
  readonly kind: 'lookup';
  readonly details: {
    readonly personRegister: { readonly status: string; readonly addressProtected?: true };
    /** Organisations the caller named in its request (besides the register's choice). */
    readonly namedOrganisations: readonly string[];
    readonly unservedOrganisations: readonly string[];
    readonly kinds: readonly string[] | null;
    readonly deadlineMs: number;
    readonly durationMs: number;
    readonly sources: readonly LookupSourceEntry[];
    /** An emergency override (værdispring): the clinician's reason, the blocks set aside, the sources it opened. */
    readonly override?: { readonly reason: string; readonly overriddenBlocks: readonly string[]; readonly sources: readonly string[] };
  };
}

/** A message this broker sent for the actor's organisation, or refused to send. */
export interface CorrespondenceSentRecord extends RecordBase {
  readonly kind: 'correspondence-sent';
  readonly details:
    | { readonly counterpartSor: string; readonly reasons: readonly string[] }
    | {
        readonly messageId: string;
        readonly counterpartSor: string;
        readonly counterpartEan: string | null;
        readonly bundleId: string;
        readonly messageHeaderId: string;
        readonly kind: string;
        readonly category: string;
        readonly agreements: readonly AgreementRef[];
      };
}

/** A message that arrived over VANS (or a legacy OIOXML letter), stored, a duplicate, or refused. */
export interface CorrespondenceReceivedRecord extends RecordBase {
  readonly kind: 'correspondence-received';
  readonly details: {
    /** The organisation it was addressed to, when the broker serves it. */
    readonly receiverSor: string | null;
    /** The sender. */
    readonly counterpartSor: string | null;
    readonly counterpartEan: string | null;
    readonly bundleId: string | null;
    readonly messageHeaderId: string | null;
    readonly category: string | null;
    readonly messageId?: string;
    readonly duplicate?: boolean;
    readonly code?: string;
    readonly rules?: readonly string[];
    readonly errorCodes?: readonly string[];
    readonly acknowledgeable?: boolean;
    readonly notes?: readonly unknown[];
    readonly [extra: string]: unknown;
  };
}

export interface AcknowledgementReceivedRecord extends RecordBase {
  readonly kind: 'acknowledgement-received';
  readonly details: {
    readonly messageId?: string;
    /** The receiver of the acknowledged message (absent when the message is unknown). */
    readonly counterpartSor?: string;
    readonly answeredMessageHeaderId: string | null;
    readonly acknowledgementBundleId: string | null;
    readonly code: string | null;
    readonly [extra: string]: unknown;
  };
}

/** A read of correspondence about a child: a search by CPR, a message, a conversation, an attachment. */
export interface CorrespondenceReadRecord extends RecordBase {
  readonly kind: 'correspondence-read';
  readonly details: { readonly read: 'search' | 'thread' | 'message' | 'attachment'; readonly messageId?: string; readonly counterpartSor?: string; readonly [extra: string]: unknown };
}

export interface AgreementChangeRecord extends RecordBase {
  readonly kind: 'agreement-change';
  readonly details: { readonly agreementId: string; readonly version: number; readonly action: string; readonly after: unknown };
}

export interface DirectoryChangeRecord extends RecordBase {
  readonly kind: 'directory-change';
  readonly details: { readonly change: string; readonly [extra: string]: unknown };
}

/** An auditor's search of the log: the log of who looked at the log. */
export interface AuditSearchRecord extends RecordBase {
  readonly kind: 'audit-search';
  readonly details: { readonly filters: Readonly<Record<string, unknown>>; readonly scope: string; readonly returned: number; readonly view?: 'records' | 'counts' };
}

export interface AnomalyReviewRecord extends RecordBase {
  readonly kind: 'anomaly-review';
  readonly details: {
    readonly flagId: string;
    readonly rule: string;
    readonly decision: string;
    readonly previousStatus: string;
    readonly organisation: string;
    readonly auditEventIds: readonly string[];
  };
}

/** An expiry of audit records past their retention (retention-store.ts): what went, and where retained history starts. */
export interface AuditRetentionRecord extends RecordBase {
  readonly kind: 'audit-retention';
  readonly details: {
    readonly expiryId: string;
    readonly retainedFrom: string;
    readonly policy: Readonly<Record<string, number | null>>;
    readonly partitions: readonly Readonly<Record<string, unknown>>[];
  };
}

/** A citizen's read of their own, or a child's, access log, or its refusal. */
export interface CitizenAccessLogRecord extends RecordBase {
  readonly kind: 'citizen-access-log';
  readonly details: {
    readonly scope: 'self' | 'custody' | 'refused' | 'unavailable';
    readonly refusal?: string;
    readonly custody?: 'unknown';
    readonly returned?: number;
    readonly cursor?: string | null;
    readonly from?: string;
  };
}

/** A caseworker withheld an access from the custody-holders' view until a stated time. */
export interface CitizenWithholdingRecord extends RecordBase {
  readonly kind: 'citizen-withholding';
  readonly details: { readonly withholdingId: string; readonly auditRecordId: string; readonly until: string };
}

/** An auditor upheld or lifted a withheld-mark. */
export interface CitizenWithholdingReviewRecord extends RecordBase {
  readonly kind: 'citizen-withholding-review';
  readonly details: { readonly withholdingId: string; readonly auditRecordId: string; readonly decision: 'upheld' | 'lifted' };
}

/** An organisation's staff names hidden from, or shown again in, the citizen access log. */
export interface StaffNameProtectionRecord extends RecordBase {
  readonly kind: 'staff-name-protection';
  readonly details: { readonly organisationSor: string; readonly protected: boolean };
}

/** A citizen's block (spærring) made, listed or withdrawn, or a refused attempt. */
export interface CitizenBlockRecord extends RecordBase {
  readonly kind: 'citizen-block';
  readonly details: { readonly action: string; readonly refused?: string; readonly [extra: string]: unknown };
}

export type AuditRecord =
  | LookupRecord
  | CorrespondenceSentRecord
  | CorrespondenceReceivedRecord
  | AcknowledgementReceivedRecord
  | CorrespondenceReadRecord
  | AgreementChangeRecord
  | DirectoryChangeRecord
  | AuditSearchRecord
  | AnomalyReviewRecord
  | AuditRetentionRecord
  | CitizenAccessLogRecord
  | CitizenWithholdingRecord
  | CitizenWithholdingReviewRecord
  | StaffNameProtectionRecord
  | CitizenBlockRecord;

/** Every kind's record is a chain record; the chain (audit-event.ts) does not care which kind. */
export const asChainEvent = (record: AuditRecord): AuditEventInput => record as AuditEventInput;

/** The columns of the audit row an auditor filters on, besides the record's own fields. */
export interface SearchColumns {
  /** Organisations the record concerns besides the acting one: consulted sources, named organisations, a message's counterpart and receiver. */
  readonly concernedOrganisations: readonly string[];
  /** The sources a lookup asked or was denied. */
  readonly sourceIds: readonly string[];
  /** The other end of a message. */
  readonly counterpartSor: string | null;
}

/**
 * Derived from the record's details, which are hashed: the same function at write time and in
 * verification. It reads the details generically (not by kind), so that records written before
 * the columns existed, backfilled by the migration with the same rule in SQL, verify the same way.
 */
export function searchColumnsOf(event: Pick<AuditEventInput, 'details'>): SearchColumns {
  const d = event.details;
  const sources = Array.isArray(d['sources']) ? d['sources'].filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s)) : [];
  const concerned = new Set<string>();
  for (const s of sources) if (typeof s['organisation'] === 'string') concerned.add(s['organisation']);
  if (Array.isArray(d['namedOrganisations'])) for (const n of d['namedOrganisations']) if (typeof n === 'string') concerned.add(n);
  for (const key of ['counterpartSor', 'receiverSor']) {
    const v = d[key];
    if (typeof v === 'string') concerned.add(v);
  }
  const sourceIds = new Set<string>();
  for (const s of sources) if (typeof s['sourceId'] === 'string') sourceIds.add(s['sourceId']);
  const counterpart = d['counterpartSor'];
  return { concernedOrganisations: [...concerned].sort(), sourceIds: [...sourceIds].sort(), counterpartSor: typeof counterpart === 'string' ? counterpart : null };
}

/** Whether stored columns are the ones the details give (order aside). */
export function sameSearchColumns(a: SearchColumns, b: SearchColumns): boolean {
  const same = (x: readonly string[], y: readonly string[]) => {
    const xs = [...x].sort();
    const ys = [...y].sort();
    return xs.length === ys.length && xs.every((v, i) => v === ys[i]);
  };
  return a.counterpartSor === b.counterpartSor && same(a.concernedOrganisations, b.concernedOrganisations) && same(a.sourceIds, b.sourceIds);
}
