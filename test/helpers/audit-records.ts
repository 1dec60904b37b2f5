/** Audit records for tests that write to the log directly (not through a capability). */
import type { AuditEventInput } from '../../src/audit/audit-event.js';
import type { AuditRecord, LookupRecord, LookupSourceEntry } from '../../src/audit/audit-record.js';

/** A lookup's details as the lookup service writes them, with no source unless given. */
export const lookupDetails = (overrides: Partial<LookupRecord['details']> = {}): LookupRecord['details'] => ({
  personRegister: { status: 'found' },
  namedOrganisations: [],
  unservedOrganisations: [],
  kinds: null,
  deadlineMs: 3000,
  durationMs: 120,
  sources: [],
  ...overrides,
});

/** One source of a lookup: found unless told otherwise. */
export const lookupSource = (sourceId: string, organisation: string, status = 'found', kind = 'gp'): LookupSourceEntry => ({
  sourceId,
  kind,
  organisation,
  via: 'person-register',
  status,
  reason: null,
  deniedBecause: status === 'denied' ? ['no-agreement'] : null,
  agreements: [],
  dataElementsReturned: status === 'found' ? ['case-existence'] : [],
  cases: status === 'found' ? 1 : 0,
  durationMs: status === 'denied' ? null : 40,
});

/**
 * A record in the free shape of the chain (audit-event.ts) rather than one of the typed kinds:
 * for tests that write what records written before the typed contract look like, or partial
 * records on purpose (a CPR in every field, a source with only the fields a rule reads).
 */
export const untypedRecord = (event: AuditEventInput): AuditRecord => event as AuditRecord;
