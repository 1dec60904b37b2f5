/** The port every MedCom transport implements: hand one VANSEnvelope to the network. */
export interface OutboundEnvelope {
  /** EnvelopeIdentifier; also the file name of a file drop. */
  readonly envelopeId: string;
  readonly receiverEan: string;
  /** The VANSEnvelope XML. */
  readonly xml: string;
}

export type DeliveryResult =
  | { readonly outcome: 'delivered' }
  /** Worth retrying: network error, timeout, 5xx, 429. */
  | { readonly outcome: 'transient'; readonly reason: string }
  /** Retrying will not help: the gateway refused the envelope (4xx). */
  | { readonly outcome: 'permanent'; readonly reason: string };

export interface MedComTransport {
  readonly kind: 'http-gateway' | 'file-drop' | 'none';
  deliver(envelope: OutboundEnvelope): Promise<DeliveryResult>;
}

/** No transport configured: every delivery is refused, so messages surface as failed. */
export const noTransport: MedComTransport = {
  kind: 'none',
  deliver: async () => ({ outcome: 'permanent', reason: 'no MedCom transport is configured' }),
};
