/** Audit records for tests that write to the log directly (not through a capability). */
import type { LookupRecord, LookupSourceEntry } from '../../src/audit/audit-record.js';

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
