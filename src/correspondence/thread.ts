/**
 * Conversation keys, pure. A reply and a forward carry every earlier Provenance, so the
 * MessageHeader the `new-message` Provenance targets names the whole conversation.
 */
import type { ParsedCareCommunication } from '../../adapters/medcom/index.js';

export function threadKeyOf(message: Pick<ParsedCareCommunication, 'provenances' | 'messageHeaderId'>): string {
  const origin = message.provenances.find((p) => p.activity === 'new-message' && p.targetMessageHeaderId);
  if (origin?.targetMessageHeaderId) return origin.targetMessageHeaderId;
  // No new-message Provenance (a conversation begun in EDIFACT/OIOXML): the earliest one known.
  const earliest = [...message.provenances]
    .filter((p) => p.targetMessageHeaderId)
    .sort((a, b) => (a.occurred ?? '').localeCompare(b.occurred ?? ''))[0];
  return earliest?.targetMessageHeaderId ?? message.messageHeaderId ?? 'unknown';
}

/** new / reply / forward, from the Provenance that describes this very message. */
export function messageKindOf(message: Pick<ParsedCareCommunication, 'provenances' | 'messageHeaderId'>): 'new' | 'reply' | 'forward' {
  const own = message.provenances.find((p) => p.targetMessageHeaderId === message.messageHeaderId);
  if (own?.activity === 'reply-message') return 'reply';
  if (own?.activity === 'forward-message') return 'forward';
  return 'new';
}

/** MessageHeader.id of the message this one answers or forwards. */
export function previousHeaderOf(message: Pick<ParsedCareCommunication, 'provenances' | 'messageHeaderId'>): string | null {
  const own = message.provenances.find((p) => p.targetMessageHeaderId === message.messageHeaderId);
  return own?.previousMessageHeaderId ?? null;
}
