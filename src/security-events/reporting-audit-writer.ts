/**
 * The audit writer, reporting to the SIEM feed what passes through it: denied lookups and
 * messages (outcome `denied`, or a lookup whose sources were partly denied), and every record the
 * database would not take. One wrapper in the composition root instead of a call in each capability.
 */
import type { AuditWriter } from '../audit/audit-writer.js';
import type { AuditEventInput } from '../audit/audit-event.js';
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
  return {
    async write(event) {
      let id: string;
      try {
        id = await writer.write(event);
      } catch (error) {
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
      const denied = deniedSources(event);
      if (event.outcome === 'denied' || denied.length > 0) {
        events.emit({
          type: 'access-denied',
          at: event.occurredAt,
          requestId: event.requestId,
          actor: actorOf(event),
          reason: `${event.kind}-denied`,
          details: { kind: event.kind, outcome: event.outcome, auditRecordId: id, ...(denied.length > 0 ? { deniedOrganisations: denied } : {}) },
        });
      }
      return id;
    },
    drain: () => writer.drain(),
  };
}
