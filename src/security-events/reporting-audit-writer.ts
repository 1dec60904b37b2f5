/**
 * The audit writer, reporting to the SIEM feed what passes through it: denied lookups and
 * messages (outcome `denied`, or a lookup whose sources were partly denied), and every record the
 * database would not take. One wrapper in the composition root instead of a call in each capability.
 */
import type { AuditWriter } from '../audit/audit-writer.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import { asChainEvent } from '../audit/audit-record.js';
import type { SecurityEvents } from './security-events.js';

const deniedSources = (event: AuditEventInput): string[] => {
  const sources = event.details.sources;
  if (!Array.isArray(sources)) return [];
  return sources.flatMap((s: unknown) => {
    if (s === null || typeof s !== 'object') return [];
    const { status, organisation } = s as { status?: unknown; organisation?: unknown };
    return status === 'denied' && typeof organisation === 'string' ? [organisation] : [];
  });
};

export function reportingAuditWriter(writer: AuditWriter, events: SecurityEvents): AuditWriter {
  const actorOf = (e: AuditEventInput) => ({ issuer: e.actor.issuer, subject: e.actor.subject, organisation: e.actor.organisationSor, role: e.actor.role });
  /**
   * Writes through `append` (the group commit, within a caller's transaction, or with a change)
   * and reports. `changeFailed` says the error was the change's own, not the audit's.
   */
  const reported = async <T>(event: AuditEventInput, append: () => Promise<T>, idOf: (value: T) => string | null, changeFailed = () => false): Promise<T> => {
    let value: T;
    try {
      value = await append();
    } catch (error) {
      if (changeFailed()) throw error;
      events.emit({
        type: 'audit-write-failure',
        at: new Date(),
        requestId: event.requestId,
        actor: actorOf(event),
        reason: error instanceof Error ? error.name : 'unknown',
        details: { kind: event.kind, outcome: event.outcome },
      });
      throw error;
    }
    const id = idOf(value);
    const denied = deniedSources(event);
    if (event.outcome === 'denied' || denied.length > 0) {
      events.emit({
        type: 'access-denied',
        at: event.occurredAt,
        requestId: event.requestId,
        actor: actorOf(event),
        reason: `${event.kind}-denied`,
        details: { kind: event.kind, outcome: event.outcome, ...(id ? { auditRecordId: id } : {}), ...(denied.length > 0 ? { deniedOrganisations: denied } : {}) },
      });
    }
    return value;
  };
  const recordId = (id: string) => id;
  return {
    write: (record) => reported(asChainEvent(record), () => writer.write(record), recordId),
    // A record written within a transaction is reported once it is appended; should the
    // transaction later roll back, the SIEM has an alarm for an attempt, which it was.
    writeIn: (trx, record) => reported(asChainEvent(record), () => writer.writeIn(trx, record), recordId),
    writeWith: (what, change, record) => {
      let failed = false;
      const watched: typeof change = async (trx) => {
        try {
          return await change(trx);
        } catch (error) {
          failed = true;
          throw error;
        }
      };
      return reported(asChainEvent(record), () => writer.writeWith(what, watched, record), () => null, () => failed);
    },
    drain: () => writer.drain(),
  };
}
