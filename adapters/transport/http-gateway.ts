import type { DeliveryResult, MedComTransport, OutboundEnvelope } from './transport.js';

export interface HttpGatewayOptions {
  readonly url: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Posts each VANSEnvelope to a MedCom (VANS) gateway over HTTP. */
export function httpGatewayTransport(options: HttpGatewayOptions): MedComTransport {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    kind: 'http-gateway',
    async deliver(envelope: OutboundEnvelope): Promise<DeliveryResult> {
      let response: Response;
      try {
        response = await doFetch(options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/xml; charset=utf-8', 'X-Envelope-Id': envelope.envelopeId },
          body: envelope.xml,
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The body is not needed; drain it so the connection is reused.
        await response.arrayBuffer().catch(() => undefined);
      } catch (error) {
        const name = error instanceof Error ? error.name : 'error';
        return { outcome: 'transient', reason: name === 'TimeoutError' ? 'gateway timeout' : 'gateway unreachable' };
      }
      if (response.ok) return { outcome: 'delivered' };
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        return { outcome: 'transient', reason: `gateway answered ${response.status}` };
      }
      return { outcome: 'permanent', reason: `gateway refused the envelope (${response.status})` };
    },
  };
}
