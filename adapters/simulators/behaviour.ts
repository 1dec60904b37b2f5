import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a simulated source misbehaves, so tests, the demo and benchmarks can reproduce every
 * outcome: `down` 503, `flaky` 503 with probability p, `hang` never answers, `html` an HTML error
 * page with 200, `malformed` a cut-off body, `wrong-child` another child's case, `huge` a body of
 * `hugeBytes` (default 8 MB, above the adapters' 5 MB cap).
 */
export type FailureMode = 'none' | 'down' | 'flaky' | 'hang' | 'html' | 'malformed' | 'wrong-child' | 'huge';

export interface SimulatorBehaviour {
  latencyMs?: number;
  failure?: FailureMode;
  flakyProbability?: number;
  /** Injected for reproducible `flaky` runs; default Math.random. */
  random?: () => number;
  hugeBytes?: number;
  /** Search results per page (FHIR); default 50. */
  pageSize?: number;
}

export const DEFAULT_HUGE_BYTES = 8 * 1024 * 1024;

/**
 * The failures every protocol shares. Returns true when the request has been dealt with (or is
 * left hanging on purpose); the protocol handler deals with the rest (wrong-child, huge, malformed).
 */
export async function applyCommonFailure(
  b: SimulatorBehaviour,
  res: ServerResponse,
  hanging: Set<ServerResponse>,
): Promise<boolean> {
  if (b.latencyMs && b.latencyMs > 0) await sleep(b.latencyMs);
  const failure = b.failure ?? 'none';
  if (failure === 'hang') {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return true;
  }
  const flakyHit = failure === 'flaky' && (b.random ?? Math.random)() < (b.flakyProbability ?? 0.5);
  if (failure === 'down' || flakyHit) {
    send(res, 503, 'text/plain', 'Service Unavailable');
    return true;
  }
  if (failure === 'html') {
    send(res, 200, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Log ind</title></head><body><h1>Log ind</h1></body></html>');
    return true;
  }
  return false;
}

export function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Streams `head`, then `unit` repeated until about `bytes`, then `tail`; stops if the client leaves. */
export async function sendHuge(res: ServerResponse, contentType: string, head: string, unit: string, tail: string, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': contentType }); // no content-length: the reader must count
  res.write(head);
  let written = head.length;
  const chunk = unit.repeat(Math.max(1, Math.floor(64 * 1024 / unit.length)));
  while (written < bytes && !res.destroyed) {
    if (!res.write(chunk)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    written += chunk.length;
  }
  if (!res.destroyed) res.end(tail);
}

export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
