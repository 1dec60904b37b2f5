import { BundleIndex } from './bundle-index.js';
import { formatInstant } from './datetime.js';
import { MedComFormatError } from './errors.js';
import { SYSTEM } from './identifiers.js';
import { objects, str, type JsonObject, type JsonValue } from './json.js';
import {
  ACK_ERROR_DISPLAY,
  CODE_SYSTEM,
  EVENT_ACKNOWLEDGEMENT,
  EXTENSION,
  MESSAGE_DEFINITION,
  PROFILE,
  sorEndpoint,
  type AckErrorCode,
} from './medcom-terminology.js';
import type { MedComParty } from './message-parts.js';
import { organization } from './care-communication-resources.js';
import { narrative } from './narrative.js';

export type AcknowledgementCode = 'ok' | 'transient-error' | 'fatal-error';

/** What an acknowledgement needs from the message it answers (a parsed CareCommunication fits). */
export interface AnsweredMessage {
  readonly messageHeaderId?: string;
  readonly sender: MedComParty;
  readonly receiver: MedComParty;
  /** The answered Bundle: its Provenance for the answered MessageHeader is carried, as MedCom's examples do. */
  readonly bundle?: JsonObject;
}

export interface AcknowledgementIssueInput {
  readonly code: AckErrorCode;
  readonly severity?: 'error' | 'warning' | 'fatal';
  /** Free text for the sender's support staff; must hold no personal data. */
  readonly message?: string;
}

export interface BuildAcknowledgementInput {
  readonly answered: AnsweredMessage;
  readonly code: AcknowledgementCode;
  readonly issues?: readonly AcknowledgementIssueInput[];
  readonly ids: () => string;
  readonly clock: () => Date;
  readonly fullUrlBase?: string;
}

/** Builds a MedCom Acknowledgement message answering `answered`: sender and receiver swapped. */
export function buildAcknowledgement(input: BuildAcknowledgementInput): JsonObject {
  const { answered } = input;
  const answeredId = answered.messageHeaderId;
  if (!answeredId) throw new MedComFormatError('no-message-header-id', 'the answered message has no MessageHeader id');
  if (input.code !== 'ok' && (input.issues ?? []).length === 0) {
    throw new TypeError('an error acknowledgement needs at least one issue');
  }
  const us = answered.receiver;
  const them = answered.sender;
  for (const party of [us, them]) {
    if (!party.sor || !party.gln) throw new MedComFormatError('party-identifier-missing', 'both parties need SOR and GLN to acknowledge');
  }
  const base = input.fullUrlBase ?? 'https://medcomfhir.dk/ig/acknowledgement/';
  const now = formatInstant(input.clock());
  // Organization ids are kept from the answered message so its carried Provenance still resolves.
  const ids = {
    bundle: input.ids(),
    header: input.ids(),
    us: us.organizationId ?? input.ids(),
    them: them.organizationId ?? input.ids(),
    provenance: input.ids(),
  };
  const outcomeId = input.code === 'ok' ? undefined : input.ids();
  const usRef = `Organization/${ids.us}`;
  const themRef = `Organization/${ids.them}`;
  const entries: JsonObject[] = [];
  const add = (resource: JsonObject): void => {
    entries.push({ fullUrl: `${base}${String(resource['resourceType'])}/${String(resource['id'])}`, resource });
  };
  const response: JsonObject = { identifier: answeredId, code: input.code };
  if (outcomeId) response['details'] = { reference: `OperationOutcome/${outcomeId}` };
  add({
    resourceType: 'MessageHeader',
    id: ids.header,
    meta: { profile: [PROFILE.acknowledgementHeader] },
    text: narrative([['Event', EVENT_ACKNOWLEDGEMENT], ['Response', input.code], ['Answers MessageHeader', answeredId]]),
    eventCoding: { system: CODE_SYSTEM.eventCodes, code: EVENT_ACKNOWLEDGEMENT },
    destination: [
      {
        extension: [{ url: EXTENSION.destinationUse, valueCoding: { system: CODE_SYSTEM.destinationUse, code: 'primary' } }],
        endpoint: sorEndpoint(them.sor ?? ''),
        receiver: { reference: themRef },
      },
    ],
    sender: { reference: usRef },
    source: { endpoint: sorEndpoint(us.sor ?? '') },
    response,
    definition: MESSAGE_DEFINITION.acknowledgement,
  });
  // The answered message's own Provenance travels along, so the sender can match the thread.
  if (answered.bundle) {
    const carried = new BundleIndex(answered.bundle)
      .ofType('Provenance')
      .filter((p) => objects(p['target']).some((t) => str(t['reference'])?.endsWith(`MessageHeader/${answeredId}`)));
    for (const p of carried) add(p);
  }
  add({
    resourceType: 'Provenance',
    id: ids.provenance,
    meta: { profile: [PROFILE.messagingProvenance] },
    text: narrative([['Activity', 'acknowledgement'], ['Answers MessageHeader', answeredId]]),
    target: [{ reference: `MessageHeader/${ids.header}` }],
    occurredDateTime: now,
    recorded: now,
    activity: { coding: [{ system: CODE_SYSTEM.activityCodes, code: 'acknowledgement' }] },
    agent: [{ who: { reference: usRef } }],
    entity: [{ role: 'revision', what: { reference: `MessageHeader/${answeredId}` } }],
  });
  add(organization(ids.them, them));
  add(organization(ids.us, us));
  if (outcomeId) {
    const issue: JsonValue[] = (input.issues ?? []).map((i) => {
      const entry: JsonObject = {
        severity: i.severity ?? 'error',
        code: 'structure',
        details: { coding: [{ system: CODE_SYSTEM.acknowledgementErrorCodes, code: i.code, display: ACK_ERROR_DISPLAY[i.code] }] },
      };
      if (i.message) entry['diagnostics'] = i.message;
      return entry;
    });
    add({
      resourceType: 'OperationOutcome',
      id: outcomeId,
      meta: { profile: [PROFILE.acknowledgementOperationOutcome] },
      text: narrative((input.issues ?? []).map((i) => ['Issue', `${i.code}${i.message ? `: ${i.message}` : ''}`] as const)),
      issue,
    });
  }
  return {
    resourceType: 'Bundle',
    id: ids.bundle,
    meta: { profile: [PROFILE.acknowledgementMessage] },
    type: 'message',
    timestamp: now,
    entry: entries,
  };
}

