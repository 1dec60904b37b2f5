import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedFetch, createSourceConnections } from './bounded-fetch.js';

/** A real loopback server: /slow answers after 30 ms, /hang never; counts open connections. */
describe('source connection pools', () => {
  let server: Server;
  let base: string;
  let open = 0;
  let mostOpen = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return;
      setTimeout(() => res.end('ok'), 30);
    });
    server.on('connection', (socket) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      socket.on('close', () => (open -= 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (path: string, connections: ReturnType<typeof createSourceConnections>, signal?: AbortSignal) =>
    boundedFetch(`${base}${path}`, { method: 'GET', headers: {}, signal, maxBytes: 1000, connections });

  it('opens no more connections to a source than its cap; the rest wait their turn and are answered', async () => {
    mostOpen = 0;
    const pool = createSourceConnections(2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get('/slow', pool)));
    expect(answers.map((a) => a.body)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(mostOpen).toBe(2);
  });

  it('keeps two sources on one host apart: one source with its connections taken does not hold up the other', async () => {
    const ppr = createSourceConnections(1);
    const family = createSourceConnections(1);
    const stuck = new AbortController();
    const hanging = get('/hang', ppr, stuck.signal).catch((error: unknown) => error);
    const started = performance.now();
    expect((await get('/slow', family)).body).toBe('ok');
    expect(performance.now() - started).toBeLessThan(1000);
    stuck.abort();
    expect(await hanging).toMatchObject({ outcome: 'unavailable' });
  });
});
