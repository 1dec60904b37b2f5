/**
 * Whether an acknowledgement comes from the party that received the message it answers. Only the
 * receiver may settle a message: the acknowledgement must name its sender by SOR code or GLN (or
 * both), and every identifier it names must be the receiver's. Pure.
 */
export interface PartyIdentifiers {
  readonly sor?: string | null | undefined;
  readonly gln?: string | null | undefined;
}

export type SenderCheck = { readonly ok: true } | { readonly ok: false; readonly because: 'sender-unidentified' | 'sor-differs' | 'gln-differs' };

export function checkAcknowledgementSender(named: PartyIdentifiers, receiver: { readonly sor: string; readonly gln: string }): SenderCheck {
  if (!named.sor && !named.gln) return { ok: false, because: 'sender-unidentified' };
  if (named.sor && named.sor !== receiver.sor) return { ok: false, because: 'sor-differs' };
  if (named.gln && named.gln !== receiver.gln) return { ok: false, because: 'gln-differs' };
  return { ok: true };
}
