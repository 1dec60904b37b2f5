import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileDropTransport, httpGatewayTransport } from './index.js';

const envelope = { envelopeId: 'env-1', receiverEan: '5790001348120', xml: '<VANSEnvelope/>' };

async function gateway(status: number): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/inbox`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('HTTP gateway transport', () => {
  it('posts the envelope and reports delivery', async () => {
    const gw = await gateway(202);
    expect(await httpGatewayTransport({ url: gw.url }).deliver(envelope)).toEqual({ outcome: 'delivered' });
    expect(gw.bodies).toEqual(['<VANSEnvelope/>']);
    await gw.close();
  });
  it('treats 5xx and an unreachable gateway as transient, 4xx as permanent', async () => {
    const down = await gateway(503);
    expect((await httpGatewayTransport({ url: down.url }).deliver(envelope)).outcome).toBe('transient');
    await down.close();
    const refusing = await gateway(400);
    expect((await httpGatewayTransport({ url: refusing.url }).deliver(envelope)).outcome).toBe('permanent');
    await refusing.close();
    expect((await httpGatewayTransport({ url: down.url }).deliver(envelope)).outcome).toBe('transient');
  });
});

describe('file-drop transport', () => {
  it('writes one file per envelope, named by its identifier', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medcom-drop-'));
    expect((await fileDropTransport({ dir }).deliver(envelope)).outcome).toBe('delivered');
    expect(readdirSync(dir)).toEqual(['env-1.xml']);
    expect(readFileSync(path.join(dir, 'env-1.xml'), 'utf8')).toBe('<VANSEnvelope/>');
  });
  it('refuses an envelope id that is not a safe file name', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medcom-drop-'));
    expect((await fileDropTransport({ dir }).deliver({ ...envelope, envelopeId: '../x' })).outcome).toBe('permanent');
  });
});

describe('HTTP gateway transport timeouts', () => {
  it('gives up on a gateway that never answers, as a transient failure', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const result = await httpGatewayTransport({ url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }).deliver(envelope);
    expect(result).toEqual({ outcome: 'transient', reason: 'gateway timeout' });
    server.closeAllConnections();
    server.close();
  });
});
