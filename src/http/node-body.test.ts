import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { cacheBody } from './node-body.js';

describe('cacheBody', () => {
  it('holds a large body once: the ArrayBuffer is the Buffer\'s own memory and the text is decoded only when asked, once', async () => {
    const body = Buffer.concat([Buffer.from('{"x":"'), Buffer.alloc(2 * 1024 * 1024, 0x61), Buffer.from('"}')]);
    const decode = vi.spyOn(body, 'toString');
    const app = new Hono();
    const seen: Record<string, unknown> = {};
    app.post('/', async (c) => {
      cacheBody(c, body);
      seen['sameMemory'] = (await c.req.arrayBuffer()) === body.buffer;
      seen['decodedBeforeText'] = decode.mock.calls.length;
      const a = await c.req.text();
      const b = await c.req.text();
      seen['decodedAfterText'] = decode.mock.calls.length;
      seen['text'] = a === b && a.length === body.length;
      return c.body(null, 204);
    });
    const response = await app.request('/', { method: 'POST', body: 'ignored' });
    expect(response.status).toBe(204);
    expect(seen).toEqual({ sameMemory: true, decodedBeforeText: 0, decodedAfterText: 1, text: true });
  });

  it('copies only a small body that is a slice of a shared buffer, and gives exactly its bytes', async () => {
    const shared = Buffer.from('xxxx{"a":1}yyyy');
    const body = shared.subarray(4, 11);
    const app = new Hono();
    let bytes = '';
    app.post('/', async (c) => {
      cacheBody(c, body);
      bytes = Buffer.from(await c.req.arrayBuffer()).toString('utf8');
      return c.json(await c.req.json());
    });
    const response = await app.request('/', { method: 'POST', body: 'ignored' });
    expect(await response.json()).toEqual({ a: 1 });
    expect(bytes).toBe('{"a":1}');
  });
});
