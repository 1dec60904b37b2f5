/**
 * What an audit record says: who did what about which child, why, and with what outcome.
 * Audit records are the only place a CPR number is stored next to who asked for it.
 */
import { createHash } from 'node:crypto';
import type { Caller } from '../identity/caller.js';

export const AUDIT_KINDS = [
  'lookup',
  'correspondence-sent',
  'correspondence-received',
  'acknowledgement-received',
  'correspondence-read',
  'agreement-change',
  'directory-change',
  'audit-search',
  'anomaly-review',
  /** An expiry of audit records past their retention (src/audit/retention.ts). */
  'audit-retention',
  /** A citizen read their own, or a child's, access log (or was refused). */
  'citizen-access-log',
  /** A caseworker withheld an access from the custody-holders' view. */
  'citizen-withholding',
  /** An auditor reviewed (upheld or lifted) a withheld-mark. */
  'citizen-withholding-review',
  /** An organisation's staff names were protected from, or shown again in, the citizen log. */
  'staff-name-protection',
  /** A citizen's block (spærring) created, listed, withdrawn, or refused. */
  'citizen-block',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'partial', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  readonly issuer: string | null;
  readonly subject: string | null;
  readonly displayName: string | null;
  readonly role: string | null;
  readonly organisationSor: string | null;
  readonly assurance: string | null;
  /** The integration or system that called on the user's behalf (token `azp`/client), or a system actor. */
  readonly callingSystem: string | null;
}

export interface AuditEventInput {
  readonly kind: AuditKind;
  readonly outcome: AuditOutcome;
  readonly occurredAt: Date;
  readonly requestId: string | null;
  readonly actor: AuditActor;
  readonly purpose: string | null;
  readonly reason: string | null;
  readonly patientCpr: string | null;
  /** Per-source outcomes, data elements, agreement versions, message ids, timings... */
  readonly details: Record<string, unknown>;
}

export function actorFromCaller(caller: Caller): AuditActor {
  return {
    issuer: caller.issuer,
    subject: caller.subject,
    displayName: caller.displayName,
    role: caller.role,
    organisationSor: caller.organisationSor,
    assurance: caller.assurance,
    callingSystem: null,
  };
}

export const systemActor = (system: string): AuditActor => ({
  issuer: null, subject: null, displayName: null, role: null, organisationSor: null, assurance: null, callingSystem: system,
});

/** Stable JSON: keys sorted, so the hash does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What the hash covers: every column of the row but the hashes, so no field can change unseen. */
export type ChainedFields = Omit<AuditEventInput, 'occurredAt'> & {
  readonly seq: string;
  readonly id: string;
  readonly occurredAt: string;
  /** When the broker committed the record; an insider backdating it breaks the chain too. */
  readonly recordedAt: string;
};

/** The hash scheme new records are written with: every column but the hashes is hashed. */
export const HASH_SCHEME = 2;

/**
 * hash = sha256(prev_hash || canonical record): changing or removing any row breaks the chain.
 * From scheme 2 the scheme itself is hashed with the record (so that a record cannot be moved to
 * another scheme); scheme 1 (records written before recorded_at was hashed) leaves recorded_at out.
 */
export function chainHash(prevHash: string, fields: ChainedFields, scheme: number = HASH_SCHEME): string {
  const { recordedAt: _recordedAt, ...scheme1 } = fields;
  const hashed = scheme === 1 ? scheme1 : { ...fields, hashScheme: scheme };
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(hashed)).digest('hex');
}
