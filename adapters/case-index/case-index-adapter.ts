import { boundedFetch, createSourceConnections, looksLikeHtml } from '../fhir/bounded-fetch.js';
import { isPersonIdentifierFormat } from '../fhir/identifiers.js';
import {
  authHeaders,
  classifyHttpStatus,
  DEFAULT_MAX_RESPONSE_BYTES,
  outcomeFromFailure,
  SourceRequestError,
  type SourceAdapter,
  type SourceAuth,
  type SourceOutcome,
} from '../source.js';
import { mapIndexCases } from './case-index-mapper.js';
import { buildFremsoegRequest } from './fremsoeg-request.js';
import { parseFremsoegResponse } from './fremsoeg-response.js';
import { FREMSOEG_SOAP_ACTION } from './namespaces.js';

export interface CaseIndexAdapterOptions {
  /** Fremsøg endpoint of the case index (SOAP 1.1 over HTTP POST). */
  url: string;
  auth: SourceAuth;
  /**
   * KLE numbers of this source's cases, e.g. children/family `['27.24']` (særlig støtte til børn
   * og unge), PPR `['17.*']` (main group 17, schooling; narrow it to the municipality's PPR subjects).
   */
  kle: readonly string[];
  /** Closed cases older than this are left out; default 12 months. */
  closedCaseMonths?: number;
  municipalityCvr?: string;
  /** Cases asked for at most (MaksimalAntalKvantitet); a full answer gets a note. Default 100. */
  maxResults?: number;
  maxResponseBytes?: number;
  /** Open connections to this source at most (default 256). */
  maxConnections?: number;
  now?: () => Date;
}

export function createCaseIndexAdapter(opts: CaseIndexAdapterOptions): SourceAdapter {
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = opts.now ?? (() => new Date());
  const maxResults = opts.maxResults ?? 100;
  const connections = createSourceConnections(opts.maxConnections);
  // The envelope is the same for every child but for the CPR: build it once with xmlbuilder2 and
  // put the (format-checked, so markup-free) identifier in per request. Building it anew for each
  // lookup was a fifth of the broker's CPU under load.
  const template = buildFremsoegRequest({ cpr: CPR_PLACEHOLDER, kle: opts.kle, municipalityCvr: opts.municipalityCvr, maxResults });
  return {
    protocol: 'case-index',
    async lookup(query, signal): Promise<SourceOutcome> {
      try {
        const response = await boundedFetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            accept: 'text/xml',
            soapaction: `"${FREMSOEG_SOAP_ACTION}"`,
            'x-request-id': query.requestId,
            ...authHeaders(opts.auth),
          },
          body: requestFor(template, query.cpr),
          signal,
          maxBytes,
          connections,
        });
        // A SOAP service answers Faults with 500; other statuses say what they say.
        if (response.status !== 200 && response.status !== 500) throw classifyHttpStatus(response.status);
        if (looksLikeHtml(response.contentType, response.body)) {
          throw new SourceRequestError('error', 'not a SOAP response', response.status);
        }
        let parsed;
        try {
          parsed = parseFremsoegResponse(response.body);
        } catch (err) {
          if (response.status === 500) throw classifyHttpStatus(500);
          throw err;
        }
        if (parsed.kind === 'fault') return { status: 'error', reason: 'SOAP fault', httpStatus: response.status };
        if (response.status === 500) throw classifyHttpStatus(500);
        if (parsed.kind === 'status') return statusOutcome(parsed.code);
        const { cases, notes } = mapIndexCases(parsed.cases, {
          kle: opts.kle,
          closedCaseMonths: opts.closedCaseMonths ?? 12,
          now: now(),
        });
        if (parsed.cases.length >= maxResults) notes.unshift('result may be cut off at the maximum number of cases');
        return cases.length > 0 ? { status: 'found', cases, notes } : { status: 'not-found', notes };
      } catch (err) {
        return outcomeFromFailure(err, signal);
      }
    },
  };
}

const CPR_PLACEHOLDER = 'PERSONPLACEHOLDER';

function requestFor(template: string, cpr: string): string {
  if (!isPersonIdentifierFormat(cpr)) throw new SourceRequestError('error', 'invalid person identifier');
  return template.replace(CPR_PLACEHOLDER, cpr);
}

/** SagDok StandardRetur codes: 44 nothing found, 5x the service's own trouble, others refusals. */
function statusOutcome(code: string): SourceOutcome {
  if (code === '44') return { status: 'not-found', notes: [] };
  if (code.startsWith('5')) return { status: 'unavailable', reason: 'case index service error' };
  return { status: 'error', reason: 'case index refused the search' };
}
