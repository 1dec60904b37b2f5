/**
 * Whether an XCTL03 positive receipt settles the OIOXML letter it names: it must name the letter
 * (original sender's EAN and letter id), come from that letter's receiver and be addressed to its
 * sender. Anything else is refused and changes nothing, as for a FHIR Acknowledgement from the
 * wrong party. Pure.
 */
import type { Xctl03Receipt } from '../../adapters/medcom/index.js';

export type ReceiptCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly because: 'letter-unnamed' | 'sender-unidentified' | 'sender-not-receiver' | 'not-addressed-to-sender' | 'original-receiver-differs' };

/** The letter we sent: our EAN (its sender) and the receiver's. */
export interface SentLetter {
  readonly organisationEan: string;
  readonly counterpartEan: string;
}

/** The `[lokationsnummer]#[brevid]` a receipt names, or undefined when it names no letter. */
export function receiptLetterReference(receipt: Xctl03Receipt): string | undefined {
  return receipt.originalSenderEan && receipt.originalLetterId ? `${receipt.originalSenderEan}#${receipt.originalLetterId}` : undefined;
}

export function checkXctl03Receipt(receipt: Xctl03Receipt, sent: SentLetter): ReceiptCheck {
  if (!receiptLetterReference(receipt)) return { ok: false, because: 'letter-unnamed' };
  if (!receipt.senderEan) return { ok: false, because: 'sender-unidentified' };
  if (receipt.senderEan !== sent.counterpartEan) return { ok: false, because: 'sender-not-receiver' };
  if (receipt.receiverEan && receipt.receiverEan !== sent.organisationEan) return { ok: false, because: 'not-addressed-to-sender' };
  if (receipt.originalReceiverEan && receipt.originalReceiverEan !== sent.counterpartEan) return { ok: false, because: 'original-receiver-differs' };
  return { ok: true };
}
