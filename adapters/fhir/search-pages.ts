import type { Client, FhirResource, SearchParams } from 'fhir-kit-client';
import { SourceRequestError } from '../source.js';
import { isRecord, list, rec, str, type Json } from './fhir-json.js';
import { isPersonIdentifierFormat } from './identifiers.js';

/** All entries of a FHIR search, page by page, with OperationOutcomes checked on every page. */
export interface SearchResult {
  /** Entries whose resource matched the search (search.mode `match`, or no mode given). */
  matches: Json[];
  /** Every resource seen (matches, includes), for resolving references. */
  resources: Json[];
  notes: string[];
}

export interface SearchOptions {
  signal: AbortSignal;
  maxPages: number;
}

export async function searchAllPages(
  client: Client,
  resourceType: string,
  searchParams: SearchParams,
  opts: SearchOptions,
): Promise<SearchResult> {
  const result: SearchResult = { matches: [], resources: [], notes: [] };
  const origin = new URL(client.baseUrl).origin;
  let page: FhirResource | undefined = await client.search({
    resourceType,
    searchParams,
    options: { postSearch: true, signal: opts.signal },
  });
  for (let n = 1; page; n++) {
    readPage(page, resourceType, result);
    const next = nextLink(page);
    if (!next) break;
    if (n >= opts.maxPages) {
      result.notes.push(`result cut off after ${opts.maxPages} pages`);
      break;
    }
    const nextUrl = resolveSameOrigin(next, client.baseUrl, origin);
    if (!nextUrl) {
      // Following it would send our credentials to another server.
      result.notes.push('next page on another server ignored');
      break;
    }
    // Pages are fetched by GET, as FHIR paging works (the link is the server's own, often an
    // opaque page id, and a server need not accept it by POST). A server that echoes the search
    // into the link would put the CPR into a URL, where proxies and access logs keep it: such a
    // link is not followed, and the answer says the result was cut off.
    if (carriesIdentifiers(nextUrl, searchParams)) {
      result.notes.push('next page link carries a person identifier; result cut off');
      break;
    }
    page = await client.nextPage({
      bundle: { ...page, link: [{ relation: 'next', url: nextUrl }] },
      options: { signal: opts.signal },
    });
  }
  return result;
}

function readPage(page: FhirResource, resourceType: string, result: SearchResult): void {
  if (page.resourceType === 'OperationOutcome') {
    checkOutcome(page, result.notes);
    throw new SourceRequestError('error', 'not a search result');
  }
  if (page.resourceType !== 'Bundle') throw new SourceRequestError('error', 'not a search result');
  for (const entry of list(page, 'entry')) {
    const resource = rec(entry, 'resource');
    if (!resource) continue;
    const mode = str(rec(entry, 'search'), 'mode');
    if (resource['resourceType'] === 'OperationOutcome') {
      checkOutcome(resource, result.notes);
      continue;
    }
    result.resources.push(resource);
    if ((mode === undefined || mode === 'match') && resource['resourceType'] === resourceType) {
      result.matches.push(resource);
    }
  }
}

/** severity error/fatal -> error outcome; warnings become a fixed note (issue texts may hold data). */
function checkOutcome(outcome: Json, notes: string[]): void {
  const severities = list(outcome, 'issue').map((i) => str(i, 'severity'));
  if (severities.some((s) => s === 'error' || s === 'fatal')) {
    throw new SourceRequestError('error', 'source reported an error');
  }
  if (severities.some((s) => s === 'warning') && !notes.includes('source returned warnings')) {
    notes.push('source returned warnings');
  }
}

function nextLink(page: FhirResource): string | undefined {
  const links = Array.isArray(page['link']) ? page['link'].filter(isRecord) : [];
  return str(links.find((l) => str(l, 'relation') === 'next'), 'url');
}

function resolveSameOrigin(url: string, base: string, origin: string): string | undefined {
  try {
    const resolved = new URL(url, base.endsWith('/') ? base : `${base}/`);
    return resolved.origin === origin ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}

/** True when the URL holds a value the search was made with (e.g. `system|cpr`), or anything CPR-shaped. */
function carriesIdentifiers(url: string, searchParams: SearchParams): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    return true; // not decodable: cannot tell, so do not send it
  }
  const searched = Object.entries(searchParams)
    .filter(([name]) => !name.startsWith('_'))
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]))
    .flatMap((value) => {
      const text = String(value);
      return [text, text.split('|').pop() ?? text];
    })
    .filter((value) => value.length >= 6);
  if (searched.some((value) => decoded.includes(value))) return true;
  return (decoded.match(/[0-9A-Za-z]+/g) ?? []).some((token) => isPersonIdentifierFormat(token.toUpperCase()));
}
