import { Client, type FhirResource, type RequestOptions } from 'fhir-kit-client';
import {
  authHeaders,
  classifyHttpStatus,
  DEFAULT_MAX_RESPONSE_BYTES,
  SourceRequestError,
  type SourceAuth,
} from '../source.js';
import { boundedFetch, createSourceConnections, looksLikeHtml } from './bounded-fetch.js';
import { isRecord } from './fhir-json.js';

/**
 * A fhir-kit-client Client whose HTTP layer reads under a byte cap.
 *
 * Why wrap: fhir-kit-client (2.x) passes an AbortSignal through (`options.signal`) and lets us set
 * headers, but it reads every body whole with `response.text()` and turns non-JSON into an Error
 * whose message holds the URL and the body. It has no size limit and no hook on the response.
 * So we keep its search/paging API (`search({ options: { postSearch } })`, `nextPage`) and replace
 * the one transport method, `httpClient.request`, on this instance with `boundedFetch`: same
 * signature, typed failures (SourceRequestError) instead of messages with data in them.
 *
 * Searches go by POST to `<Type>/_search` with a form body (FHIR R4 §3.1.1.5.7): a CPR must never
 * appear in a URL, where proxies and access logs would keep it.
 */
export interface FhirClientOptions {
  baseUrl: string;
  auth: SourceAuth;
  maxResponseBytes?: number;
  headers?: Record<string, string>;
  /** Open connections to this endpoint at most (default 256). */
  maxConnections?: number;
}

export function createFhirClient(opts: FhirClientOptions): Client {
  const client = new Client({ baseUrl: opts.baseUrl });
  const http = client.httpClient;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const connections = createSourceConnections(opts.maxConnections);
  const fixedHeaders = { accept: 'application/fhir+json', ...lowerKeys(opts.headers ?? {}), ...authHeaders(opts.auth) };

  http.request = async (method: string, requestUrl: string, options: RequestOptions = {}, body?: unknown) => {
    const url = http.expandUrl(requestUrl);
    const signal = options.signal instanceof AbortSignal ? options.signal : undefined;
    const response = await boundedFetch(url, {
      method,
      headers: { ...lowerKeys(options.headers ?? {}), ...fixedHeaders },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
      maxBytes,
      connections,
    });
    if (response.status < 200 || response.status > 299) throw classifyHttpStatus(response.status);
    return parseFhirBody(response.contentType, response.body, response.status);
  };
  return client;
}

export function parseFhirBody(contentType: string, body: string, status: number): FhirResource {
  if (looksLikeHtml(contentType, body)) throw new SourceRequestError('error', 'not a FHIR response', status);
  if (body.trimStart().startsWith('<')) throw new SourceRequestError('error', 'not a FHIR JSON response', status);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SourceRequestError('error', 'malformed JSON', status);
  }
  if (!isRecord(parsed) || typeof parsed['resourceType'] !== 'string') {
    throw new SourceRequestError('error', 'not a FHIR response', status);
  }
  return { ...parsed, resourceType: parsed['resourceType'] };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
