/**
 * Security events for the SIEM feed: authentication failures, denials, integrity failures, anomaly
 * flags and audit-write failures, one JSON object a line. The audit log is the record; this feed
 * is the alarm, so it carries who, what and where, never which child: every string, keys included,
 * passes the CPR scrubber of the logs, whatever field a number was smuggled into.
 */
import { scrubCpr } from '../logging/logger.js';

export const SECURITY_EVENT_TYPES = ['authentication-failure', 'access-denied', 'integrity-failure', 'anomaly-flag', 'audit-write-failure'] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** RFC 5424 severities the types are sent with. */
export const SEVERITY: Readonly<Record<SecurityEventType, 'warning' | 'notice' | 'error' | 'critical'>> = {
  'authentication-failure': 'warning',
  'access-denied': 'notice',
  'integrity-failure': 'critical',
  'anomaly-flag': 'warning',
  'audit-write-failure': 'error',
};

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly at: Date;
  readonly requestId?: string | null;
  /** Who acted, as far as known (never the token itself). */
  readonly actor?: { readonly issuer?: string | null; readonly subject?: string | null; readonly organisation?: string | null; readonly role?: string | null };
  /** A stable reason code (a problem type slug, a rule, a decision reason). */
  readonly reason: string;
  /** Further detail: counts, ids, positions. Scrubbed like everything else. */
  readonly details?: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
}

// Stricter than the logs' rule for the all-digit form: a CPR glued to letters (`u1503124013`) goes
// too; only a longer run of digits (a SOR code, an EAN number) is left alone.
const DIGIT_CPR = /(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)/g;
const scrubText = (text: string): string => scrubCpr(text).replace(DIGIT_CPR, '[cpr]');

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map(scrub);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [scrubText(k), scrub(v)]));
  }
  return value;
}

/** The event as one JSON line (no newline), CPR numbers scrubbed from every string. */
export function securityEventLine(event: SecurityEvent, source = 'child-data-broker'): string {
  const { at, ...rest } = event;
  return JSON.stringify(scrub({ kind: 'security-event', source, at: at.toISOString(), severity: SEVERITY[event.type], ...rest }));
}
