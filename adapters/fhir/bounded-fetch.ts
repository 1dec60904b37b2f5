import http from 'node:http';
import https from 'node:https';
import { SourceRequestError } from '../source.js';

/**
 * One HTTP exchange with a source with the body read under a byte cap: a huge answer is cut off
 * and the connection dropped instead of being buffered whole. Shared by the FHIR and the case
 * index adapters.
 *
 * Built on node:http with keep-alive agents rather than fetch: under load, fetch's web streams
 * and per-request objects were the largest share of the broker's CPU and garbage. msw still
 * stands in for the source in tests (it intercepts node:http as well as fetch).
 */

export interface BoundedResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface BoundedFetchOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal | undefined;
  maxBytes: number;
  /** The source's own connection pool. */
  connections: SourceConnections;
}

/**
 * A source's keep-alive connection pool, capped. One per source rather than per host: two sources
 * behind one endpoint (a municipality's case index serving PPR and the family department) must
 * not queue behind each other's requests, and the cap is what the source's operator agreed to.
 */
export interface SourceConnections {
  readonly 'http:': http.Agent;
  readonly 'https:': https.Agent;
}

export const DEFAULT_MAX_CONNECTIONS = 256;

export function createSourceConnections(maxConnections = DEFAULT_MAX_CONNECTIONS): SourceConnections {
  return {
    'http:': new http.Agent({ keepAlive: true, maxSockets: maxConnections }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: maxConnections }),
  };
}

export function boundedFetch(url: string, opts: BoundedFetchOptions): Promise<BoundedResponse> {
  return new Promise<BoundedResponse>((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new SourceRequestError('error', 'invalid source URL'));
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new SourceRequestError('error', 'invalid source URL'));
      return;
    }
    if (opts.signal?.aborted) {
      reject(networkFailure(opts.signal));
      return;
    }
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: opts.method,
        agent: opts.connections[target.protocol],
        headers: { ...opts.headers, ...(body ? { 'content-length': String(body.byteLength) } : {}) },
        signal: opts.signal,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        // Redirects are not followed: one could carry our credentials elsewhere.
        if (status >= 300 && status < 400) {
          reject(new SourceRequestError('error', 'unexpected redirect', status));
          response.destroy();
          return;
        }
        const declared = Number(response.headers['content-length'] ?? Number.NaN);
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          reject(new SourceRequestError('error', 'response too large', status));
          response.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > opts.maxBytes) {
            // Settle first: destroying the response emits its own errors.
            reject(new SourceRequestError('error', 'response too large', status));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve({ status, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', () => reject(networkFailure(opts.signal)));
        response.on('aborted', () => reject(networkFailure(opts.signal)));
      },
    );
    request.on('error', () => reject(networkFailure(opts.signal)));
    request.end(body);
  });
}

function networkFailure(signal: AbortSignal | undefined): SourceRequestError {
  if (signal?.aborted) return new SourceRequestError('unavailable', 'request aborted');
  return new SourceRequestError('unavailable', 'connection failed');
}

/** True when a body looks like an HTML page (an error page from a proxy or a login portal). */
export function looksLikeHtml(contentType: string, body: string): boolean {
  if (/text\/html/i.test(contentType)) return true;
  const head = body.trimStart().slice(0, 64).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}
