import { SourceRequestError } from '../source.js';

/**
 * One HTTP exchange with a source with the body read under a byte cap: a huge answer is cut off
 * and cancelled instead of being buffered whole. Shared by the FHIR and the case index adapters.
 * Calls the global fetch at call time, so msw can stand in for the source in tests.
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
}

export async function boundedFetch(url: string, opts: BoundedFetchOptions): Promise<BoundedResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: opts.method,
      headers: opts.headers,
      body: opts.body,
      signal: opts.signal,
      redirect: 'error', // a redirect could carry our credentials elsewhere
    });
  } catch {
    throw networkFailure(opts.signal);
  }
  const contentType = response.headers.get('content-type') ?? '';
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    // Not awaited: some streams settle their cancel only when the peer closes.
    response.body?.cancel().catch(() => undefined);
    throw new SourceRequestError('error', 'response too large', response.status);
  }
  const body = await readCapped(response, opts.maxBytes, opts.signal);
  return { status: response.status, contentType, body };
}

async function readCapped(response: Response, maxBytes: number, signal: AbortSignal | undefined): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => undefined);
        throw new SourceRequestError('error', 'response too large', response.status);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof SourceRequestError) throw err;
    throw networkFailure(signal);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
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
