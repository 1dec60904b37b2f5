/**
 * What an auditor sees of one audit record. Pure. The auditor acts for an organisation and sees
 * the records of its SOR subtree:
 *
 * - what its own staff did (the acting organisation is in the subtree): the record in full (a
 *   system acting for it, such as the VANS gateway it runs, is not its staff);
 * - another organisation's lookup that concerned it (one of its units was a consulted source or a
 *   named organisation): who called (organisation and user), purpose, reason, time, the child, and
 *   the outcome of its OWN sources only. Other sources' outcomes, the person register's answer and
 *   the other organisations the caller named are left out: they are other organisations' data.
 *   The record's outcome is recomputed from its own sources (an overall `partial` would tell that
 *   some other source failed);
 * - a message it sent, received or was addressed in (sender, receiver, counterpart): the record in
 *   full, as both ends of a message are its parties;
 * - nothing else (deny by default: a kind not listed here is not shown to others).
 */
import type { AuditRecordView } from './search.js';

export type AuditVisibility = 'full' | 'concerned-party';
export type ProjectedRecord = AuditRecordView & { readonly visibility: AuditVisibility };

/** The outcome for an organisation that was only named, none of whose sources was consulted. */
export const NOT_CONSULTED = 'not-consulted';

/** Roles of systems acting for an organisation, not its staff (search.ts mirrors this rule in SQL). */
export const SYSTEM_ROLES: ReadonlySet<string> = new Set(['medcom-gateway']);
/** Kinds another organisation sees when concerned, besides lookups (search.ts mirrors this too). */
export const MESSAGE_KINDS: ReadonlySet<string> = new Set(['correspondence-sent', 'correspondence-received', 'acknowledgement-received']);
const MESSAGE_PARTIES = ['counterpartSor', 'receiverSor'] as const;

export function projectAuditRecord(record: AuditRecordView, inScope: (sor: string) => boolean): ProjectedRecord | null {
  const within = (v: unknown): v is string => typeof v === 'string' && inScope(v);
  if (within(record.actor.organisation)) {
    // A system acting for the organisation (the VANS gateway it runs) is not its staff: the
    // messages it carries belong to their sender and receiver. Its records about no child are
    // the operator's own.
    if (!SYSTEM_ROLES.has(record.actor.role ?? '') || record.patientCpr === null) return { ...record, visibility: 'full' };
  }

  if (record.kind === 'lookup') {
    const sources = objects(record.details['sources']).filter((s) => within(s['organisation']));
    const named = strings(record.details['namedOrganisations']).filter(within);
    if (sources.length === 0 && named.length === 0) return null;
    const unserved = strings(record.details['unservedOrganisations']).filter(within);
    return {
      ...record,
      outcome: outcomeOf(sources.map((s) => String(s['status']))),
      details: { sources, namedOrganisations: named, ...(unserved.length > 0 ? { unservedOrganisations: unserved } : {}) },
      visibility: 'concerned-party',
    };
  }
  if (MESSAGE_KINDS.has(record.kind) && MESSAGE_PARTIES.some((k) => within(record.details[k]))) {
    return { ...record, visibility: 'concerned-party' };
  }
  return null;
}

/** Its own sources' statuses as an audit outcome: all alike, or `partial`. */
export function outcomeOf(statuses: readonly string[]): string {
  if (statuses.length === 0) return NOT_CONSULTED;
  const outcomes = new Set(statuses.map((s) => (s === 'denied' || s === 'blocked' ? 'denied' : s === 'found' || s === 'not-found' ? 'success' : 'failed')));
  return outcomes.size === 1 ? ([...outcomes][0] as string) : 'partial';
}

function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
