import {
  outcomeFromFailure,
  SourceRequestError,
  type SourceAdapter,
  type SourceAuth,
  type SourceOutcome,
  type SourceQuery,
} from '../source.js';
import { mapEpisodes } from './episode-mapper.js';
import { createFhirClient } from './fhir-client.js';
import { cprSystemFor, isPersonIdentifierFormat } from './identifiers.js';
import { searchAllPages } from './search-pages.js';

export interface FhirSourceAdapterOptions {
  /** FHIR R4 base URL of the EHR / GP system endpoint. */
  baseUrl: string;
  auth: SourceAuth;
  /** Body size limit per page; default 5 MB. */
  maxResponseBytes?: number;
  /** Pages of a search to follow at most; default 10. */
  maxPages?: number;
  /** Model the team as CareTeam and ask for it; default true. */
  includeTeam?: boolean;
  headers?: Record<string, string>;
  /** Open connections to this source at most (default 256). */
  maxConnections?: number;
}

/**
 * Child psychiatry and GP systems: `EpisodeOfCare?patient.identifier=<system>|<cpr>` with the care
 * manager, managing organization, patient and team included, all pages followed up to maxPages.
 */
export function createFhirSourceAdapter(opts: FhirSourceAdapterOptions): SourceAdapter {
  const client = createFhirClient({
    baseUrl: opts.baseUrl,
    auth: opts.auth,
    maxResponseBytes: opts.maxResponseBytes,
    headers: opts.headers,
    maxConnections: opts.maxConnections,
  });
  const maxPages = opts.maxPages ?? 10;
  const includes = [
    'EpisodeOfCare:care-manager',
    'EpisodeOfCare:organization',
    'EpisodeOfCare:patient',
    ...(opts.includeTeam === false ? [] : ['EpisodeOfCare:team']),
  ];

  return {
    protocol: 'fhir',
    async lookup(query: SourceQuery, signal: AbortSignal): Promise<SourceOutcome> {
      try {
        if (!isPersonIdentifierFormat(query.cpr)) throw new SourceRequestError('error', 'invalid person identifier');
        const result = await searchAllPages(
          client,
          'EpisodeOfCare',
          { 'patient.identifier': `${cprSystemFor(query.cpr)}|${query.cpr}`, _include: includes },
          { signal, maxPages },
        );
        const { cases, notes } = mapEpisodes(result.matches, result.resources);
        const allNotes = [...result.notes, ...notes];
        return cases.length > 0 ? { status: 'found', cases, notes: allNotes } : { status: 'not-found', notes: allNotes };
      } catch (err) {
        return outcomeFromFailure(err, signal);
      }
    },
  };
}
