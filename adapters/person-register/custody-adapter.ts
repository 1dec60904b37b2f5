import { createFhirClient } from '../fhir/fhir-client.js';
import { cprSystemFor, isPersonIdentifierFormat } from '../fhir/identifiers.js';
import { searchAllPages } from '../fhir/search-pages.js';
import { outcomeFromFailure, SourceRequestError } from '../source.js';
import { type CustodyHolder, mapCustody } from './custody-mapper.js';
import type { PersonRegisterOptions } from './person-register-adapter.js';

export type CustodyOutcome =
  | { readonly status: 'found'; readonly holders: readonly CustodyHolder[] }
  | { readonly status: 'unavailable'; readonly reason: string; readonly httpStatus?: number }
  | { readonly status: 'error'; readonly reason: string; readonly httpStatus?: number };

export interface CustodyRegister {
  /** The custody-holders of a child, as the register knows them now (with their periods). */
  custodyOf(query: { childCpr: string; requestId: string }, signal: AbortSignal): Promise<CustodyOutcome>;
}

/**
 * Custody from a FHIR R4 person register: `POST RelatedPerson/_search` with
 * `patient.identifier=<system>|<cpr>` in the form body (never the URL). Every RelatedPerson of
 * the child comes back; the mapper keeps the custody-holders. A page of another child's
 * RelatedPersons makes the whole answer an error: nothing is shown on a doubtful answer.
 */
export function createCustodyRegister(opts: PersonRegisterOptions): CustodyRegister {
  const client = createFhirClient(opts);
  return {
    async custodyOf(query, signal) {
      try {
        if (!isPersonIdentifierFormat(query.childCpr)) throw new SourceRequestError('error', 'invalid person identifier');
        const result = await searchAllPages(client, 'RelatedPerson', { 'patient.identifier': `${cprSystemFor(query.childCpr)}|${query.childCpr}` }, { signal, maxPages: 1 });
        // A cut-off answer may lack a custody-holder, or a period's end: not an answer to decide on.
        if (result.notes.some((n) => n.includes('cut off') || n.includes('ignored'))) return { status: 'error', reason: 'incomplete custody answer' };
        const mapped = mapCustody(result.matches, query.childCpr);
        return mapped.ok ? { status: 'found', holders: mapped.holders } : { status: 'error', reason: mapped.reason };
      } catch (err) {
        const outcome = outcomeFromFailure(err, signal);
        return outcome.status === 'unavailable' || outcome.status === 'error' ? outcome : { status: 'error', reason: 'adapter failure' };
      }
    },
  };
}
