import { createFhirClient } from '../fhir/fhir-client.js';
import { cprSystemFor, isPersonIdentifierFormat } from '../fhir/identifiers.js';
import { searchAllPages } from '../fhir/search-pages.js';
import { outcomeFromFailure, SourceRequestError, type SourceAuth } from '../source.js';
import { mapPatient } from './patient-mapper.js';

export type PersonRegisterOutcome =
  | { status: 'found'; gpPracticeSor: string | null; municipalityCode: string | null; regionCode?: string | null; addressProtected?: true }
  | { status: 'not-found' }
  | { status: 'unavailable'; reason: string; httpStatus?: number }
  | { status: 'error'; reason: string; httpStatus?: number };

export interface PersonRegister {
  find(query: { cpr: string; requestId: string }, signal: AbortSignal): Promise<PersonRegisterOutcome>;
}

export interface PersonRegisterOptions {
  baseUrl: string;
  auth: SourceAuth;
  maxResponseBytes?: number;
  headers?: Record<string, string>;
  maxConnections?: number;
}

/**
 * The child's GP practice (SOR) and municipality from a FHIR R4 person register:
 * `Patient?identifier=<system>|<cpr>&_include=Patient:general-practitioner`.
 * A Patient whose identifier is not the one asked for is refused (error), never used.
 */
export function createPersonRegister(opts: PersonRegisterOptions): PersonRegister {
  const client = createFhirClient(opts);
  return {
    async find(query, signal) {
      try {
        if (!isPersonIdentifierFormat(query.cpr)) throw new SourceRequestError('error', 'invalid person identifier');
        const result = await searchAllPages(
          client,
          'Patient',
          { identifier: `${cprSystemFor(query.cpr)}|${query.cpr}`, _include: 'Patient:general-practitioner' },
          { signal, maxPages: 1 },
        );
        const patients = result.matches.map((p) => mapPatient(p, result.resources));
        if (patients.length === 0) return { status: 'not-found' };
        const person = patients.find((p) => p.personCpr === query.cpr);
        if (!person) return { status: 'error', reason: 'patient identifier mismatch' };
        if (patients.length > 1) return { status: 'error', reason: 'ambiguous patient match' };
        return {
          status: 'found',
          gpPracticeSor: person.gpPracticeSor,
          municipalityCode: person.municipalityCode,
          regionCode: person.regionCode,
          ...(person.addressProtected ? { addressProtected: true as const } : {}),
        };
      } catch (err) {
        const outcome = outcomeFromFailure(err, signal);
        return outcome.status === 'unavailable' || outcome.status === 'error' ? outcome : { status: 'error', reason: 'adapter failure' };
      }
    },
  };
}
