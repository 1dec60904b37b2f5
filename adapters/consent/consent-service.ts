import { createFhirClient } from '../fhir/fhir-client.js';
import { cprSystemFor, isPersonIdentifierFormat } from '../fhir/identifiers.js';
import { searchAllPages } from '../fhir/search-pages.js';
import { outcomeFromFailure, SourceRequestError, type SourceAuth } from '../source.js';
import type { ConsentOutcome, ConsentRecord } from './consent-record.js';
import { mapConsent } from './consent-mapper.js';

export interface ConsentService {
  /** The consents recorded for the person (in force and withdrawn). Never throws. */
  find(query: { cpr: string; requestId: string }, signal: AbortSignal): Promise<ConsentOutcome>;
}

export interface ConsentServiceOptions {
  baseUrl: string;
  auth: SourceAuth;
  maxResponseBytes?: number;
  maxConnections?: number;
}

/**
 * The national consent service as a FHIR R4 `Consent` search, by POST `Consent/_search` (the CPR
 * in the form body, never the URL): `patient:identifier=<system>|<cpr>&status=active,inactive`.
 * A Consent about another person than the one asked for makes the whole answer an error: the
 * broker never decides on someone else's consent.
 */
export function createConsentService(opts: ConsentServiceOptions): ConsentService {
  const client = createFhirClient(opts);
  return {
    async find(query, signal) {
      try {
        if (!isPersonIdentifierFormat(query.cpr)) throw new SourceRequestError('error', 'invalid person identifier');
        const result = await searchAllPages(
          client,
          'Consent',
          { 'patient:identifier': `${cprSystemFor(query.cpr)}|${query.cpr}`, status: 'active,inactive' },
          { signal, maxPages: 5 },
        );
        const consents: ConsentRecord[] = [];
        const notes = [...result.notes];
        for (const resource of result.matches) {
          const mapped = mapConsent(resource);
          if (!mapped.ok) {
            notes.push(mapped.note);
            continue;
          }
          if (mapped.patientCpr !== query.cpr) return { status: 'error', reason: 'consent about another person' };
          consents.push(mapped.consent);
        }
        return { status: 'ok', consents, notes };
      } catch (err) {
        const outcome = outcomeFromFailure(err, signal);
        return outcome.status === 'unavailable' || outcome.status === 'error' ? { status: outcome.status, reason: outcome.reason } : { status: 'error', reason: 'adapter failure' };
      }
    },
  };
}
