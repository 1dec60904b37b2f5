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

/**
 * When a message was written, for ordering a conversation: the latest date of its own payload
 * segments (those its own Provenance names), else of any segment. MedCom's test protocol orders a
 * thread by these timestamps, not by arrival: a reply may arrive before the message it answers.
 */
export function writtenAtOf(message: Pick<ParsedCareCommunication, 'provenances' | 'messageHeaderId' | 'payloads'>): string | undefined {
  const own = message.provenances.find((p) => p.targetMessageHeaderId === message.messageHeaderId);
  const ownIds = new Set(own?.payloadIdentifiers ?? []);
  const dated = message.payloads.filter((p) => p.date !== undefined);
  const mine = dated.filter((p) => p.identifier !== undefined && ownIds.has(p.identifier));
  const times = (mine.length > 0 ? mine : dated).map((p) => Date.parse(p.date as string)).filter((t) => Number.isFinite(t));
  return times.length > 0 ? new Date(Math.max(...times)).toISOString() : undefined;
}

export interface ThreadEntry {
  /** When it was written (writtenAtOf), else when it was stored. */
  readonly writtenAt: string;
  readonly kind: 'new' | 'reply' | 'forward' | string;
  readonly storedAt: string;
  readonly id: string;
}

/**
 * Conversation order: by when each message was written; on equal times the initiator (the new
 * message) first, then replies and forwards (the protocol's rule for parallel messages); then
 * by arrival.
 */
export function compareThreadEntries(a: ThreadEntry, b: ThreadEntry): number {
  const byTime = Date.parse(a.writtenAt) - Date.parse(b.writtenAt);
  if (byTime !== 0) return byTime;
  const rank = (k: string): number => (k === 'new' ? 0 : 1);
  return rank(a.kind) - rank(b.kind) || a.storedAt.localeCompare(b.storedAt) || a.id.localeCompare(b.id);
}
