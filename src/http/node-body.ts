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

/** Puts the bytes in Hono's body cache so that every body reader uses them. */
export function cacheBody(c: Context, body: Buffer): void {
  // Hono stores promises in the cache, although its type names the resolved values.
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache['arrayBuffer'] = Promise.resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  // As Request.text() decodes: UTF-8, malformed sequences replaced.
  cache['text'] = Promise.resolve(body.toString('utf8'));
}
