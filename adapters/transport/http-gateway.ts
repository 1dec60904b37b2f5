import http from 'node:http';
import https from 'node:https';
import type { DeliveryResult, MedComTransport, OutboundEnvelope } from './transport.js';

export interface HttpGatewayOptions {
  readonly url: string;
  readonly timeoutMs?: number;
}

/**
 * Posts each VANSEnvelope to a MedCom (VANS) gateway over HTTP. Built on node:http with a
 * keep-alive agent rather than fetch: the gateway is one busy peer, and fetch's per-request
 * streams cost more CPU than the delivery itself under load.
 */
export function httpGatewayTransport(options: HttpGatewayOptions): MedComTransport {
  const target = new URL(options.url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError('the MedCom gateway URL must be http(s)');
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });
  const timeoutMs = options.timeoutMs ?? 30_000;

  const post = (envelope: OutboundEnvelope): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const body = Buffer.from(envelope.xml, 'utf8');
      const request = client.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': String(body.byteLength), 'X-Envelope-Id': envelope.envelopeId },
        },
        (response) => {
          // The body is not needed; drain it so the connection is reused.
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('gateway timeout'), { name: 'TimeoutError' })));
      request.on('error', reject);
      request.end(body);
    });

  return {
    kind: 'http-gateway',
    async deliver(envelope: OutboundEnvelope): Promise<DeliveryResult> {
      let status: number;
      try {
        status = await post(envelope);
      } catch (error) {
        const name = error instanceof Error ? error.name : 'error';
        return { outcome: 'transient', reason: name === 'TimeoutError' ? 'gateway timeout' : 'gateway unreachable' };
      }
      if (status >= 200 && status < 300) return { outcome: 'delivered' };
      if (status >= 500 || status === 429 || status === 408) return { outcome: 'transient', reason: `gateway answered ${status}` };
      return { outcome: 'permanent', reason: `gateway refused the envelope (${status})` };
    },
  };
}
