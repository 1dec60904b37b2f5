/** What the API shows of a stored message, pure: the row plus what the Bundle says. */
import { CATEGORY_DISPLAY, parseAcknowledgement, parseCareCommunication, recogniseCategory, type PersonView } from '../../adapters/medcom/index.js';
import type { MessageRow } from './store.js';
import { compareThreadEntries, writtenAtOf } from './thread.js';

export interface MessageSummary {
  id: string;
  direction: 'in' | 'out';
  kind: string;
  status: string;
  unread: boolean;
  organisationSor: string;
  counterpartSor: string;
  counterpartEan: string;
  category: string;
  topic: string | null;
  bundleId: string;
  messageHeaderId: string;
  threadKey: string;
  /** MessageHeader.id of the message this one replies to or forwards. */
  inReplyTo: string | null;
  episodeOfCareId: string | null;
  createdAt: string;
  sentAt: string | null;
  acknowledgedAt: string | null;
  readAt: string | null;
  acknowledgementCode: string | null;
  resends: number;
  failure: string | null;
}

export interface MessageDetail extends MessageSummary {
  /** The category's Danish name as MedCom's CodeSystem gives it. */
  categoryDisplay: string | null;
  sender: Party;
  receiver: Party;
  patient: {
    cpr: string | null;
    replacementCpr: string | null;
    identifiers: Array<{ kind: string; value: string; system: string }>;
    given: string[];
    family: string | null;
  };
  priority: string | null;
  recipient: PersonView | null;
  segments: Array<{
    identifier: string | null;
    date: string | null;
    author: PersonView | null;
    authorContact: string | null;
    /** The organisation the segment is signed for. */
    organization: { name: string | null; sor: string | null } | null;
    text: string | null;
  }>;
  attachments: Array<{
    index: number;
    identifier: string | null;
    title: string | null;
    contentType: string | null;
    size: number | null;
    hasContent: boolean;
    url: string | null;
    creation: string | null;
    date: string | null;
    author: PersonView | null;
    authorContact: string | null;
  }>;
  acknowledgementErrors: Array<{ code: string | null; text: string | null }>;
  notes: string[];
}

interface Party {
  sor: string | null;
  ean: string | null;
  name: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSummary(row: MessageRow): MessageSummary {
  return {
    id: row.id,
    direction: row.direction,
    kind: row.kind,
    status: row.status,
    unread: row.direction === 'in' && row.read_at === null,
    organisationSor: row.organisation_sor,
    counterpartSor: row.counterpart_sor,
    counterpartEan: row.counterpart_ean,
    category: row.category,
    topic: row.topic,
    bundleId: row.bundle_id,
    messageHeaderId: row.message_header_id,
    threadKey: row.thread_key,
    inReplyTo: row.previous_message_header_id,
    episodeOfCareId: row.episode_of_care_id,
    createdAt: row.created_at.toISOString(),
    sentAt: iso(row.sent_at),
    acknowledgedAt: iso(row.acknowledged_at),
    readAt: iso(row.read_at),
    acknowledgementCode: row.acknowledgement_code,
    resends: row.resends,
    failure: row.failure,
  };
}

/** Names from the SOR directory, for parties the message names without one (Organization.name is optional). */
export interface DirectoryNames {
  readonly sender?: string | null | undefined;
  readonly receiver?: string | null | undefined;
  /** Names of other organisations the message refers to by SOR code (who signed each segment). */
  readonly bySor?: ReadonlyMap<string, string>;
}

/** SOR codes of the organisations segments are signed for that the message leaves unnamed. */
export function unnamedSegmentOrganisations(row: MessageRow): string[] {
  const parsed = parseCareCommunication(row.bundle);
  return [...new Set(parsed.payloads.flatMap((p) => (p.organization?.sor && !p.organization.name ? [p.organization.sor] : [])))];
}

export function toDetail(row: MessageRow, directoryNames: DirectoryNames = {}): MessageDetail {
  const parsed = parseCareCommunication(row.bundle);
  const party = (p: { sor?: string | undefined; gln?: string | undefined; name?: string | undefined }, fromDirectory: string | null | undefined): Party => ({
    sor: p.sor ?? null,
    ean: p.gln ?? null,
    name: p.name ?? fromDirectory ?? null,
  });
  const category = recogniseCategory(row.category);
  let acknowledgementErrors: MessageDetail['acknowledgementErrors'] = [];
  if (row.acknowledgement_received) {
    try {
      acknowledgementErrors = parseAcknowledgement(row.acknowledgement_received).errors.map((e) => ({ code: e.code ?? null, text: e.text ?? null }));
    } catch {
      acknowledgementErrors = [];
    }
  }
  return {
    ...toSummary(row),
    categoryDisplay: category ? CATEGORY_DISPLAY[category].da : null,
    sender: party(parsed.sender, directoryNames.sender),
    receiver: party(parsed.receiver, directoryNames.receiver),
    patient: {
      cpr: parsed.patient.cpr ?? null,
      replacementCpr: parsed.patient.replacementCpr ?? null,
      identifiers: parsed.patient.identifiers.map((i) => ({ ...i })),
      given: parsed.patient.given,
      family: parsed.patient.family ?? null,
    },
    priority: parsed.priority ?? null,
    recipient: parsed.recipient ?? null,
    segments: parsed.payloads
      .filter((p) => p.text !== undefined)
      .map((p) => ({
        identifier: p.identifier ?? null,
        date: p.date ?? null,
        author: p.author ?? null,
        authorContact: p.authorContact ?? null,
        organization: p.organization
          ? { name: p.organization.name ?? (p.organization.sor ? directoryNames.bySor?.get(p.organization.sor) : undefined) ?? null, sor: p.organization.sor ?? null }
          : null,
        text: p.plainText ?? p.text ?? null,
      })),
    attachments: parsed.payloads
      .filter((p) => p.attachment !== undefined)
      .map((p, index) => {
        const a = p.attachment ?? {};
        return {
          index,
          identifier: p.identifier ?? null,
          title: a.title ?? null,
          contentType: a.actualContentType ?? a.contentType ?? null,
          size: a.size ?? null,
          hasContent: a.data !== undefined,
          url: a.url ?? null,
          creation: a.creation ?? null,
          date: p.date ?? null,
          author: p.author ?? null,
          authorContact: p.authorContact ?? null,
        };
      }),
    acknowledgementErrors,
    notes: parsed.notes,
  };
}

export interface ThreadItem extends MessageSummary {
  /** When it was written (its own payload segments' timestamp), else when it was stored: the thread's order. */
  writtenAt: string;
  /** MessageHeader.ids of the messages in this thread that reply to or forward this one. */
  repliedBy: string[];
}

/** A conversation as the user sees it: in the order it was written, each message with its replies. */
export function toThread(rows: readonly MessageRow[]): ThreadItem[] {
  const items = rows.map((row) => {
    let writtenAt: string | undefined;
    try {
      writtenAt = writtenAtOf(parseCareCommunication(row.bundle));
    } catch {
      writtenAt = undefined;
    }
    return { ...toSummary(row), writtenAt: writtenAt ?? row.created_at.toISOString(), repliedBy: [] as string[] };
  });
  for (const item of items) {
    item.repliedBy = items.filter((other) => other.inReplyTo === item.messageHeaderId).map((other) => other.messageHeaderId);
  }
  return items.sort((a, b) => compareThreadEntries({ ...a, storedAt: a.createdAt }, { ...b, storedAt: b.createdAt }));
}
