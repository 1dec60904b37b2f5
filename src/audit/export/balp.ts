/**
 * FHIR R4 AuditEvent of an audit record, following IHE ITI Basic Audit Log Patterns (BALP):
 * - a lookup is a PatientQuery (rest/search, action E) plus one authorisation decision per
 *   consulted source (DICOM 110113 Security Alert, AuthZ subtype) naming the agreements it rests on;
 * - a correspondence read is a PatientRead (rest/read, action R); a correspondence search by CPR
 *   is a PatientQuery;
 * - other records (messages sent and received, agreement and directory changes, audit searches)
 *   are plain AuditEvents that claim no BALP profile.
 * The CPR number is only ever the patient entity's identifier; never in a query or description.
 * Pure: the same record always maps to the same resources.
 */
import type { ExportRecord } from './record.js';

export const BALP = 'https://profiles.ihe.net/ITI/BALP';
export const PROFILES = {
  patientQuery: `${BALP}/StructureDefinition/IHE.BasicAudit.PatientQuery`,
  patientRead: `${BALP}/StructureDefinition/IHE.BasicAudit.PatientRead`,
  authZ: `${BALP}/StructureDefinition/IHE.BasicAudit.AuthZconsent`,
} as const;

export const SYSTEMS = {
  eventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  restful: 'http://hl7.org/fhir/restful-interaction',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  outcome: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome',
  participation: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  roleClass: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass',
  securityRole: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
  entityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  networkType: 'http://hl7.org/fhir/network-type',
  sourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
  resourceTypes: 'http://hl7.org/fhir/resource-types',
  balpEntityType: `${BALP}/CodeSystem/BasicAuditEntityType`,
  authZSubtype: `${BALP}/CodeSystem/AuthZsubType`,
  cpr: 'urn:oid:1.2.208.176.1.2',
  sor: 'urn:oid:1.2.208.176.1.1',
} as const;

export interface Coding { readonly system: string; readonly code: string; readonly display?: string }
export interface CodeableConcept { readonly coding: readonly Coding[]; readonly text?: string }
export interface Identifier { readonly system?: string; readonly value: string }
export interface Reference { readonly reference?: string; readonly type?: string; readonly identifier?: Identifier; readonly display?: string }
export interface AuditEventAgent {
  readonly type: CodeableConcept;
  readonly role?: readonly CodeableConcept[];
  readonly who: Reference;
  readonly altId?: string;
  readonly name?: string;
  readonly requestor: boolean;
  readonly network?: { readonly address: string; readonly type: string };
  readonly purposeOfUse?: readonly CodeableConcept[];
}
export interface AuditEventEntity {
  readonly what?: Reference;
  readonly type: Coding;
  readonly role?: Coding;
  readonly name?: string;
  readonly description?: string;
  readonly query?: string;
  readonly detail?: readonly { readonly type: string; readonly valueString: string }[];
}
export interface AuditEvent {
  readonly resourceType: 'AuditEvent';
  readonly id: string;
  readonly meta?: { readonly profile: readonly string[] };
  readonly type: Coding;
  readonly subtype: readonly Coding[];
  readonly action: 'C' | 'R' | 'U' | 'D' | 'E';
  readonly period?: { readonly start: string; readonly end: string };
  readonly recorded: string;
  readonly outcome: '0' | '4' | '8' | '12';
  readonly outcomeDesc?: string;
  readonly purposeOfEvent?: readonly CodeableConcept[];
  readonly agent: readonly AuditEventAgent[];
  readonly source: { readonly site?: string; readonly observer: Reference; readonly type?: readonly Coding[] };
  readonly entity: readonly AuditEventEntity[];
}

export interface BalpContext {
  /** The broker as a FHIR server agent: its public base URL (agent.network, source.site). */
  readonly serverUrl: string;
  /** Code system of the broker's own codes (purposes of use, roles, kinds). */
  readonly codeSystemBase: string;
}

export const DEFAULT_BALP_CONTEXT: BalpContext = { serverUrl: 'urn:dk:child-data-broker', codeSystemBase: 'urn:dk:child-data-broker:codes' };

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function outcomeOf(r: ExportRecord): Pick<AuditEvent, 'outcome' | 'outcomeDesc'> {
  switch (r.outcome) {
    case 'success':
      return { outcome: '0' };
    case 'partial':
      return { outcome: '4', outcomeDesc: 'partial: some sources did not answer or the person register was not conclusive' };
    case 'denied':
      return { outcome: '4', outcomeDesc: 'denied: no sharing agreement permits the access' };
    default:
      return { outcome: '8', outcomeDesc: `${r.outcome}: the operation failed` };
  }
}

const local = (ctx: BalpContext, kind: string, code: string): CodeableConcept => ({ coding: [{ system: `${ctx.codeSystemBase}:${kind}`, code }] });

/** client (the calling organisation/system, DICOM Source Role ID), server (the broker), user. */
function agents(r: ExportRecord, ctx: BalpContext, clientRole: 'source' | 'destination'): AuditEventAgent[] {
  const a = r.actor;
  const clientWho: Reference = a.organisation
    ? { type: 'Organization', identifier: { system: SYSTEMS.sor, value: a.organisation }, ...(a.callingSystem ? { display: a.callingSystem } : {}) }
    : { type: 'Device', identifier: { value: a.callingSystem ?? 'unknown' } };
  // BALP wants the client's network address; the broker does not record IP addresses, so the
  // client is addressed by the identity provider (or system) it was authenticated through.
  const clientAddress = a.issuer ?? a.callingSystem ?? 'unknown';
  const source = { coding: [{ system: SYSTEMS.dicom, code: '110153', display: 'Source Role ID' }] };
  const destination = { coding: [{ system: SYSTEMS.dicom, code: '110152', display: 'Destination Role ID' }] };
  const list: AuditEventAgent[] = [
    { type: clientRole === 'source' ? source : destination, who: clientWho, requestor: false, network: { address: clientAddress, type: '5' } },
    { type: clientRole === 'source' ? destination : source, who: { type: 'Device', identifier: { value: ctx.serverUrl }, display: 'child data broker' }, requestor: false, network: { address: ctx.serverUrl, type: '5' } },
  ];
  if (a.subject) list.push(userAgent(r, ctx));
  return list;
}

function userAgent(r: ExportRecord, ctx: BalpContext): AuditEventAgent {
  const a = r.actor;
  return {
    type: { coding: [{ system: SYSTEMS.participation, code: 'IRCP', display: 'information recipient' }] },
    who: { identifier: { ...(a.issuer ? { system: a.issuer } : {}), value: a.subject ?? 'unknown' } },
    ...(a.name ? { name: a.name } : {}),
    ...(a.role ? { role: [local(ctx, 'role', a.role)] } : {}),
    requestor: true,
    ...(r.purpose ? { purposeOfUse: [local(ctx, 'purpose-of-use', r.purpose)] } : {}),
  };
}

const patientEntity = (cpr: string): AuditEventEntity => ({
  what: { type: 'Patient', identifier: { system: SYSTEMS.cpr, value: cpr } },
  type: { system: SYSTEMS.entityType, code: '1', display: 'Person' },
  role: { system: SYSTEMS.objectRole, code: '1', display: 'Patient' },
});

const transactionEntity = (requestId: string): AuditEventEntity => ({
  what: { identifier: { value: requestId } },
  type: { system: SYSTEMS.balpEntityType, code: 'XrequestId', display: 'X-Request-Id' },
});

const queryEntity = (parameters: Record<string, unknown>): AuditEventEntity => {
  const json = JSON.stringify(parameters);
  return {
    type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
    role: { system: SYSTEMS.objectRole, code: '24', display: 'Query' },
    query: Buffer.from(json, 'utf8').toString('base64'),
    description: json,
  };
};

const sourceOf = (ctx: BalpContext): AuditEvent['source'] => ({
  site: ctx.serverUrl,
  observer: { type: 'Device', identifier: { value: ctx.serverUrl }, display: 'child data broker' },
  type: [{ system: SYSTEMS.sourceType, code: '4', display: 'Application Server' }],
});

function common(r: ExportRecord, ctx: BalpContext) {
  return {
    resourceType: 'AuditEvent' as const,
    recorded: r.recordedAt,
    period: { start: r.occurredAt, end: r.occurredAt },
    ...(r.purpose ? { purposeOfEvent: [local(ctx, 'purpose-of-use', r.purpose)] } : {}),
    source: sourceOf(ctx),
  };
}

function patientQuery(r: ExportRecord, ctx: BalpContext, parameters: Record<string, unknown>, id: string): AuditEvent {
  return {
    ...common(r, ctx),
    id,
    meta: { profile: [PROFILES.patientQuery] },
    type: { system: SYSTEMS.eventType, code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: SYSTEMS.restful, code: 'search', display: 'search' }],
    action: 'E',
    ...outcomeOf(r),
    agent: agents(r, ctx, 'source'),
    entity: [
      queryEntity(parameters),
      ...(r.requestId ? [transactionEntity(r.requestId)] : []),
      ...(r.patientCpr ? [patientEntity(r.patientCpr)] : []),
    ],
  };
}

interface SourceDetail {
  readonly sourceId: string;
  readonly organisation: string | null;
  readonly status: string;
  readonly reason: string | null;
  readonly deniedBecause: readonly string[];
  readonly agreements: readonly { readonly id: string; readonly version: number }[];
}

function sourcesOf(details: Record<string, unknown>): SourceDetail[] {
  const raw = Array.isArray(details.sources) ? (details.sources as unknown[]) : [];
  return raw.flatMap((s): SourceDetail[] => {
    if (s === null || typeof s !== 'object') return [];
    const o = s as Record<string, unknown>;
    const agreements = Array.isArray(o.agreements)
      ? o.agreements.flatMap((g: unknown) => {
          const a = g as Record<string, unknown> | null;
          return a && typeof a.id === 'string' && typeof a.version === 'number' ? [{ id: a.id, version: a.version }] : [];
        })
      : [];
    return [{ sourceId: str(o.sourceId) ?? 'unknown', organisation: str(o.organisation), status: str(o.status) ?? 'unknown', reason: str(o.reason), deniedBecause: strings(o.deniedBecause), agreements }];
  });
}

/** One authorisation decision per consulted source: permit (outcome 0) or deny (4, why). */
function authZ(r: ExportRecord, ctx: BalpContext, s: SourceDetail, index: number): AuditEvent {
  const a = r.actor;
  const denied = s.status === 'denied' || s.status === 'blocked';
  return {
    ...common(r, ctx),
    id: `${r.id}-authz-${index + 1}`,
    meta: { profile: [PROFILES.authZ] },
    type: { system: SYSTEMS.dicom, code: '110113', display: 'Security Alert' },
    // The decision rests on the caller's role and organisation and on a sharing agreement, which
    // stands where BALP puts a consent (the broker has no patient consents).
    subtype: [{ system: SYSTEMS.authZSubtype, code: 'AuthZ-Consent', display: 'Authorization Decision using Roles and Consent' }],
    action: 'E',
    ...(denied
      ? { outcome: '4' as const, outcomeDesc: `denied for source ${s.sourceId}: ${s.deniedBecause.join(', ') || 'no agreement'}${s.reason ? ` (${s.reason})` : ''}` }
      : { outcome: '0' as const }),
    agent: [
      { type: { coding: [{ system: SYSTEMS.dicom, code: '110150', display: 'Application' }] }, who: { identifier: { value: a.callingSystem ?? a.issuer ?? 'unknown' } }, requestor: false, network: { address: a.issuer ?? a.callingSystem ?? 'unknown', type: '5' } },
      ...(a.subject ? [userAgent(r, ctx)] : []),
      ...(a.organisation
        ? [{ type: { coding: [{ system: SYSTEMS.roleClass, code: 'PROV', display: 'healthcare provider' }] }, who: { type: 'Organization', identifier: { system: SYSTEMS.sor, value: a.organisation } }, requestor: false }]
        : []),
      { type: { coding: [{ system: SYSTEMS.securityRole, code: 'authserver', display: 'authorization server' }] }, who: { type: 'Device', identifier: { value: ctx.serverUrl }, display: 'child data broker' }, requestor: false },
      // The source the decision is about, as its custodian (the profile's entities are closed).
      {
        type: { coding: [{ system: SYSTEMS.participation, code: 'CST', display: 'custodian' }] },
        who: { type: 'Organization', identifier: { system: SYSTEMS.sor, value: s.organisation ?? 'unknown' } },
        name: s.sourceId,
        requestor: false,
      },
    ],
    entity: [
      ...(r.patientCpr ? [patientEntity(r.patientCpr)] : []),
      ...s.agreements.map((g): AuditEventEntity => ({
        what: { identifier: { system: `${ctx.codeSystemBase}:agreement`, value: `${g.id}|${g.version}` }, display: `sharing agreement ${g.id} version ${g.version}` },
        type: { system: SYSTEMS.resourceTypes, code: 'Consent', display: 'Consent' },
        description: 'sharing agreement the decision rests on',
      })),
    ],
  };
}

const PATIENT_READS = new Set(['thread', 'message', 'attachment']);

function patientRead(r: ExportRecord, ctx: BalpContext): AuditEvent {
  const d = r.details;
  const messageId = str(d.messageId) ?? 'unknown';
  return {
    ...common(r, ctx),
    id: r.id,
    meta: { profile: [PROFILES.patientRead] },
    type: { system: SYSTEMS.eventType, code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: SYSTEMS.restful, code: 'read', display: 'read' }],
    action: 'R',
    ...outcomeOf(r),
    // In a read the data flows from the server (source) to the client (destination).
    agent: agents(r, ctx, 'destination'),
    entity: [
      {
        what: { type: 'Communication', identifier: { system: `${ctx.codeSystemBase}:message`, value: messageId } },
        type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
        role: { system: SYSTEMS.objectRole, code: '4', display: 'Domain Resource' },
        description: `correspondence ${str(d.read) ?? 'read'}`,
      },
      ...(r.requestId ? [transactionEntity(r.requestId)] : []),
      ...(r.patientCpr ? [patientEntity(r.patientCpr)] : []),
    ],
  };
}

const OTHER_SUBTYPE: Record<string, { code: string; action: AuditEvent['action'] }> = {
  'correspondence-sent': { code: 'create', action: 'C' },
  'correspondence-received': { code: 'create', action: 'C' },
  'acknowledgement-received': { code: 'update', action: 'U' },
  'agreement-change': { code: 'update', action: 'U' },
  'directory-change': { code: 'update', action: 'U' },
  'audit-search': { code: 'search', action: 'E' },
};

/** Records with no BALP pattern: an R4 AuditEvent of the same shape, no profile claimed. */
function plain(r: ExportRecord, ctx: BalpContext): AuditEvent {
  const s = OTHER_SUBTYPE[r.kind] ?? { code: 'operation', action: 'E' as const };
  return {
    ...common(r, ctx),
    id: r.id,
    type: { system: SYSTEMS.eventType, code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: SYSTEMS.restful, code: s.code }, { system: `${ctx.codeSystemBase}:audit-kind`, code: r.kind }],
    action: s.action,
    ...outcomeOf(r),
    agent: agents(r, ctx, 'source'),
    entity: [...(r.requestId ? [transactionEntity(r.requestId)] : []), ...(r.patientCpr ? [patientEntity(r.patientCpr)] : [])].concat(
      r.kind === 'agreement-change' && str(r.details.agreementId)
        ? [{ what: { identifier: { system: `${ctx.codeSystemBase}:agreement`, value: `${str(r.details.agreementId)}|${String(r.details.version ?? '')}` } }, type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' }, description: `agreement ${str(r.details.action) ?? 'change'}` }]
        : [],
    ),
  };
}

/** The AuditEvents of one audit record: a lookup gives its query and one decision per source. */
export function toAuditEvents(r: ExportRecord, ctx: BalpContext = DEFAULT_BALP_CONTEXT): AuditEvent[] {
  if (r.kind === 'lookup') {
    // The lookup's non-personal parameters; the CPR number is only in the patient entity.
    const parameters = { purposeOfUse: r.purpose, reason: r.reason, kinds: r.details.kinds ?? null, organisations: strings(r.details.namedOrganisations) };
    return [patientQuery(r, ctx, parameters, r.id), ...sourcesOf(r.details).map((s, i) => authZ(r, ctx, s, i))];
  }
  if (r.kind === 'correspondence-read') {
    if (PATIENT_READS.has(str(r.details.read) ?? '')) return [patientRead(r, ctx)];
    const filters = r.details.filters && typeof r.details.filters === 'object' ? r.details.filters : {};
    return [patientQuery(r, ctx, { resource: 'correspondence', purposeOfUse: r.purpose, filters }, r.id)];
  }
  return [plain(r, ctx)];
}
