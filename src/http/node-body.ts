/**
 * Request bodies read straight from Node's IncomingMessage, under a byte cap.
 *
 * Why: served by @hono/node-server, the first `c.req.json()` turns the IncomingMessage into a
 * WHATWG Request with a web stream, and the body is read through that stream: in the lookup
 * benchmark this was a visible share of the broker's CPU per request. Reading the bytes here and
 * handing them to Hono's body cache skips that, and every reader (`json`, `text`, `arrayBuffer`,
 * the validators) gets the same bytes. Outside Node (tests calling `app.request`) there is no
 * IncomingMessage and Hono's own body limit applies instead.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { inspectJson } from '../platform/storable-text.js';
import { ProblemError } from './problem.js';

export const bodyTooLarge = (): ProblemError =>
  new ProblemError(413, 'body-too-large', 'Request body too large', { detail: 'the request body exceeds the size limit' });

/** The Node request behind a Hono context, when served by @hono/node-server. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: unknown } | undefined;
  const incoming = env?.incoming;
  return typeof incoming === 'object' && incoming !== null && typeof (incoming as IncomingMessage).on === 'function' ? (incoming as IncomingMessage) : undefined;
}

/** The declared Content-Length, or null when the body is chunked or absent. */
export function declaredLength(incoming: IncomingMessage): number | null {
  const header = incoming.headers['content-length'];
  if (header === undefined || incoming.headers['transfer-encoding'] !== undefined) return null;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads the whole body, refusing (413) once it passes `maxBytes`. */
export function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        cleanup();
        // The rest is discarded by Node's server once the 413 has been sent.
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    // The client went away before the body was complete.
    const onClose = () => onError(new Error('request body incomplete'));
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/**
 * Puts the bytes in Hono's body cache so that every body reader uses them. The ArrayBuffer is the
 * Buffer's own memory (no copy) unless the Buffer is a slice of Node's shared pool (small bodies),
 * and the text is decoded only when a reader asks for it: a 29 MB message is held once, not three
 * times (Buffer, ArrayBuffer copy, string).
 */
export function cacheBody(c: Context, body: Buffer): void {
  // Hono stores promises in the cache, although its type names the resolved values.
  const cache = c.req.bodyCache as Record<string, Promise<unknown> | undefined>;
  const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  cache['arrayBuffer'] = Promise.resolve(own ? (body.buffer as ArrayBuffer) : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  let text: Promise<unknown> | undefined;
  Object.defineProperty(cache, 'text', {
    enumerable: true,
    configurable: true,
    // As Request.text() decodes: UTF-8, malformed sequences replaced.
    get: () => (text ??= Promise.resolve(body.toString('utf8'))),
    set: (value: Promise<unknown>) => {
      text = value;
    },
  });
}

/** The media types Hono's JSON validator reads as JSON (application/json, application/*+json). */
const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(\s*;.*)?$/i;

const JSON_LIMITS = { maxDepth: 64, maxNodes: 1_000_000 } as const;

/**
 * The one check of every JSON request body, before any route sees it: parsed once (the parse is
 * cached for the route's validator), refused when it holds text PostgreSQL cannot store (NUL, an
 * unpaired surrogate: a single such value would fail a shared, group-committed statement) or nests
 * deeper than any request of ours. Malformed JSON is left to the validator (400 malformed-json).
 */
export async function checkJsonBody(c: Context): Promise<void> {
  const type = c.req.header('Content-Type');
  if (!type || !JSON_MEDIA_TYPE.test(type.trim())) return;
  const text = await c.req.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return;
  }
  // JSON text can only carry NUL or a lone surrogate as a \u escape: without one, skip the string scan.
  const found = inspectJson(json, { ...JSON_LIMITS, text: text.includes('\\u') });
  if (found.unstorable > 0) throw unstorableText('the request body');
  if (found.exceeded) {
    throw new ProblemError(400, 'body-too-complex', 'Request body too complex', { detail: `the request body exceeds the ${found.exceeded === 'depth' ? 'nesting' : 'size'} limit for JSON` });
  }
  (c.req.bodyCache as Record<string, Promise<unknown>>)['json'] = Promise.resolve(json);
}

/** A URL whose path or query decodes to NUL (`%00`). */
export function refuseUnstorableUrl(url: string): void {
  if (/%00/i.test(url)) throw unstorableText('the URL');
}

const unstorableText = (where: string): ProblemError =>
  new ProblemError(400, 'unstorable-text', 'Unstorable text', {
    detail: `${where} holds characters that cannot be stored (NUL or an unpaired UTF-16 surrogate)`,
  });
