import { BundleIndex, referenceId } from './bundle-index.js';
import { readDateTime } from './datetime.js';
import { recogniseSystem } from './identifiers.js';
import { obj, objects, str, type JsonObject } from './json.js';
import { CODE_SYSTEM, EXTENSION } from './medcom-terminology.js';

/** A party of a MedCom message: the Organization named by MessageHeader sender or destination. */
export interface MedComParty {
  readonly organizationId?: string;
  readonly sor?: string;
  readonly gln?: string;
  readonly name?: string;
  readonly endpoint?: string;
}

export interface ProvenanceView {
  readonly id?: string;
  readonly activity?: string;
  readonly targetMessageHeaderId?: string;
  readonly occurred?: string;
  readonly recorded?: string;
  readonly agentOrganizationId?: string;
  /** MessageHeader.id of the message this one answers or forwards (entity role revision). */
  readonly previousMessageHeaderId?: string;
  /** `[lokationsnummer]#[brevid]` when the previous message was EDIFACT or OIOXML. */
  readonly previousNonFhirMessage?: string;
  readonly payloadIdentifiers: string[];
}

export interface MessageHeaderView {
  readonly bundleId?: string;
  readonly bundleType?: string;
  readonly timestamp?: string;
  readonly messageHeaderId?: string;
  readonly eventCode?: string;
  readonly eventSystem?: string;
  readonly definition?: string;
  readonly sender: MedComParty;
  readonly receiver: MedComParty;
  readonly provenances: ProvenanceView[];
}

export function firstCoding(concept: unknown): { system?: string; code?: string; display?: string } {
  const coding = objects(obj(concept)?.['coding'])[0];
  return { system: str(coding?.['system']), code: str(coding?.['code']), display: str(coding?.['display']) };
}

export function extensionsByUrl(element: JsonObject | undefined, url: string): JsonObject[] {
  return objects(element?.['extension']).filter((e) => e['url'] === url);
}

export function readParty(index: BundleIndex, reference: unknown, endpoint: string | undefined, notes: string[], role: string): MedComParty {
  const org = index.resolve(reference);
  let sor: string | undefined;
  let gln: string | undefined;
  for (const identifier of objects(org?.['identifier'])) {
    const value = str(identifier['value'])?.trim();
    if (!value) continue;
    const system = recogniseSystem(str(identifier['system']), value);
    if (system.kind === 'sor' && !sor) sor = value;
    else if (system.kind === 'gln' && !gln) gln = value;
    else continue;
    if (system.irregular) notes.push(`${role} organisation identifier system written irregularly (${system.kind})`);
  }
  // The name as the message carries it: the Organization's, else the reference's display.
  const name = str(org?.['name'])?.trim() || str(obj(reference)?.['display'])?.trim() || undefined;
  return {
    organizationId: str(org?.['id']),
    sor,
    gln,
    name,
    endpoint,
  };
}

export function readProvenance(resource: JsonObject, notes: string[]): ProvenanceView {
  const entities = objects(resource['entity']);
  let previousMessageHeaderId: string | undefined;
  let previousNonFhirMessage: string | undefined;
  const payloadIdentifiers: string[] = [];
  for (const entity of entities) {
    const what = obj(entity['what']);
    const ref = str(obj(what)?.['reference']);
    const identifier = str(obj(what?.['identifier'])?.['value']);
    if (ref && /MessageHeader\//.test(ref)) previousMessageHeaderId = referenceId(ref);
    else if (identifier && entity['role'] === 'revision' && identifier.includes('#')) previousNonFhirMessage = identifier;
    else if (identifier) payloadIdentifiers.push(identifier);
  }
  const occurredRaw = str(resource['occurredDateTime']) ?? str(obj(resource['occurredPeriod'])?.['start']);
  const occurred = occurredRaw ? readDateTime(occurredRaw, 'Provenance.occurred') : undefined;
  if (occurred?.note) notes.push(occurred.note);
  const activity = firstCoding(resource['activity']);
  if (activity.system && activity.system !== CODE_SYSTEM.activityCodes) notes.push('Provenance activity from an unexpected code system');
  return {
    id: str(resource['id']),
    activity: activity.code,
    targetMessageHeaderId: objects(resource['target']).map((t) => referenceId(t, 'MessageHeader')).find((x) => x !== undefined),
    occurred: occurred?.value,
    recorded: str(resource['recorded']),
    agentOrganizationId: referenceId(obj(objects(resource['agent'])[0]?.['who']), 'Organization'),
    previousMessageHeaderId,
    previousNonFhirMessage,
    payloadIdentifiers,
  };
}

/** Reads what every MedCom message has: Bundle, MessageHeader, sender, primary receiver, Provenances. */
export function readMessageHeader(bundle: JsonObject, index: BundleIndex, notes: string[]): MessageHeaderView {
  const header = index.ofType('MessageHeader')[0];
  const destinations = objects(header?.['destination']);
  const primary =
    destinations.find((d) =>
      extensionsByUrl(d, EXTENSION.destinationUse).some(
        (e) => str(obj(e['valueCoding'])?.['code']) === 'primary',
      ),
    ) ?? destinations[0];
  if (destinations.length > 0 && primary === destinations[0] && destinations.length > 1) {
    notes.push('no destination marked primary; the first destination is taken as receiver');
  }
  const timestampRaw = str(bundle['timestamp']);
  const timestamp = timestampRaw ? readDateTime(timestampRaw, 'Bundle.timestamp') : undefined;
  if (timestamp?.note) notes.push(timestamp.note);
  const event = obj(header?.['eventCoding']);
  return {
    bundleId: str(bundle['id']),
    bundleType: str(bundle['type']),
    timestamp: timestamp?.value,
    messageHeaderId: str(header?.['id']),
    eventCode: str(event?.['code']),
    eventSystem: str(event?.['system']),
    definition: str(header?.['definition']),
    sender: readParty(index, header?.['sender'], str(obj(header?.['source'])?.['endpoint']), notes, 'sender'),
    receiver: readParty(index, primary?.['receiver'], str(primary?.['endpoint']), notes, 'receiver'),
    provenances: index.ofType('Provenance').map((p) => readProvenance(p, notes)),
  };
}
