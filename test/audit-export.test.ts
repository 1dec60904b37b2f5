/**
 * The audit export over a real lookup world: a GP's lookup (permitted for some sources), a lookup
 * by a caller with no agreement (denied everywhere), exported as FHIR R4 AuditEvents and checked
 * against the elements the IHE BALP profiles require (IHE/ITI.BasicAudit input/fsh/PatientQuery.fsh,
 * PatientRead.fsh, AuthZ.fsh), written out below as explicit lists of paths. NDJSON and CSV
 * exports, and resuming from the cursor, over the same records.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent, PROFILES, SYSTEMS, toAuditEvents } from '../src/audit/export/balp.js';
import { AUDIT_CSV_HEADER } from '../src/audit/export/csv.js';
import { type ExportFormat, exportAudit } from '../src/audit/export/export.js';
import type { ExportRecord } from '../src/audit/export/record.js';
import { databaseKinds } from './helpers/database.js';
import { CHILDREN, NJ, lookUp, startLookupWorld, type LookupWorld } from './helpers/lookup-world.js';

type Json = unknown;
const code = (v: Json): string | undefined => {
  const o = v as { code?: string; coding?: { code?: string }[] } | undefined;
  return o?.code ?? o?.coding?.[0]?.code;
};
type Slices = Record<string, (element: Json) => boolean>;
const byTypeCode = (c: string) => (e: Json) => code((e as { type?: Json }).type) === c;

/** A path such as `agent[client].network.address`; `[slice]` picks the elements of a slice. */
function resolve(root: Json, path: string, slices: Slices): Json[] {
  let values: Json[] = [root];
  for (const segment of path.split('.')) {
    const m = /^(\w+)(?:\[(\w+)\])?$/.exec(segment);
    if (!m) throw new Error(`bad path ${path}`);
    const [, name, slice] = m as unknown as [string, string, string | undefined];
    values = values.flatMap((v) => {
      const next = v !== null && typeof v === 'object' ? (v as Record<string, Json>)[name] : undefined;
      const list = next === undefined || next === null ? [] : Array.isArray(next) ? next : [next];
      if (!slice) return list;
      const match = slices[slice];
      if (!match) throw new Error(`no slice ${slice}`);
      return list.filter(match);
    });
  }
  return values;
}

interface ProfileRules {
  readonly slices: Slices;
  /** Present (1..), with a fixed value where one is given. */
  readonly required: readonly (string | readonly [string, string | boolean])[];
  /** Required when the slice is present (0..1 slices with 1..1 children). */
  readonly requiredIfPresent: readonly (readonly [slice: string, child: string | readonly [string, string | boolean]])[];
  /** Required of a permit (outcome 0): a denial has no agreement to name. */
  readonly requiredOnSuccess?: readonly string[];
  /** 0..0 in the profile. */
  readonly absent: readonly string[];
  /** A closed slicing: every element must fall in one of these slices. */
  readonly closed?: { readonly element: string; readonly slices: readonly string[] };
}

const R4_BASE: readonly string[] = ['type', 'recorded', 'source.observer'];

const agentSlices = (client: string, server: string): Slices => ({
  client: byTypeCode(client),
  server: byTypeCode(server),
  user: byTypeCode('IRCP'),
});
const entitySlices: Slices = {
  query: (e) => byTypeCode('2')(e) && code((e as { role?: Json }).role) === '24',
  data: (e) => byTypeCode('2')(e) && ['3', '4', '20'].includes(code((e as { role?: Json }).role) ?? ''),
  patient: byTypeCode('1'),
  transaction: byTypeCode('XrequestId'),
  consent: byTypeCode('Consent'),
  token: byTypeCode('UserOauthAgent'),
  userorg: byTypeCode('PROV'),
  authorizer: byTypeCode('authserver'),
  authzClient: byTypeCode('110150'),
};

/** IHE.BasicAudit.Query + IHE.BasicAudit.PatientQuery (PatientQuery.fsh). */
const PATIENT_QUERY: ProfileRules = {
  slices: { ...agentSlices('110153', '110152'), ...entitySlices },
  required: [
    ['type.system', SYSTEMS.eventType], ['type.code', 'rest'],
    ['subtype.code', 'search'], ['action', 'E'], 'recorded', 'outcome',
    'agent[client].who', 'agent[client].network.address', ['agent[client].requestor', false],
    'agent[server].who', 'agent[server].network.address', ['agent[server].requestor', false],
    'entity[query].query', ['entity[query].type.system', SYSTEMS.entityType],
    'entity[patient].what.identifier.value', ['entity[patient].what.type', 'Patient'], ['entity[patient].what.identifier.system', SYSTEMS.cpr],
    ['entity[patient].role.code', '1'],
  ],
  requiredIfPresent: [
    ['agent[user]', 'who'], ['agent[user]', ['requestor', true]],
    ['entity[transaction]', 'what.identifier.value'],
  ],
  absent: ['agent[client].media', 'agent[server].media', 'agent[user].media', 'agent[user].network', 'entity[query].what', 'entity[query].lifecycle', 'entity[query].detail'],
};

/** IHE.BasicAudit.Read + IHE.BasicAudit.PatientRead (PatientRead.fsh): the data flows server to client. */
const PATIENT_READ: ProfileRules = {
  slices: { ...agentSlices('110152', '110153'), ...entitySlices },
  required: [
    ['type.code', 'rest'], ['subtype.code', 'read'], ['action', 'R'], 'recorded', 'outcome',
    'agent[client].who', 'agent[client].network.address', 'agent[server].who', 'agent[server].network.address',
    'entity[data].what', 'entity[patient].what.identifier.value', ['entity[patient].what.type', 'Patient'], ['entity[patient].role.code', '1'],
  ],
  requiredIfPresent: [['agent[user]', 'who'], ['agent[user]', ['requestor', true]], ['entity[transaction]', 'what.identifier.value']],
  absent: ['agent[client].media', 'agent[server].media', 'agent[user].media', 'agent[user].network'],
};

/** IHE.BasicAudit.AuthZconsent (AuthZ.fsh); the agreement stands where BALP puts the consent. */
const AUTHZ: ProfileRules = {
  slices: { client: byTypeCode('110150'), user: byTypeCode('IRCP'), userorg: byTypeCode('PROV'), authorizer: byTypeCode('authserver'), ...entitySlices },
  required: [
    ['type.system', SYSTEMS.dicom], ['type.code', '110113'], ['subtype.system', SYSTEMS.authZSubtype], ['action', 'E'], 'recorded', 'outcome',
    'agent[client].who', 'agent[client].network.address', 'agent[user].who', ['agent[user].requestor', true],
    'agent[userorg].who', ['agent[userorg].requestor', false], 'agent[authorizer].who', ['agent[authorizer].requestor', false],
    'entity[patient].what', ['entity[patient].role.code', '1'],
  ],
  requiredIfPresent: [['entity[consent]', 'what']],
  requiredOnSuccess: ['entity[consent].what.identifier.value'],
  absent: ['agent[client].role', 'agent[client].name', 'agent[client].purposeOfUse', 'agent[user].network', 'agent[userorg].role', 'agent[authorizer].network', 'agent[authorizer].purposeOfUse'],
  closed: { element: 'entity', slices: ['patient', 'consent', 'token'] },
};

const RULES: Record<string, ProfileRules> = { [PROFILES.patientQuery]: PATIENT_QUERY, [PROFILES.patientRead]: PATIENT_READ, [PROFILES.authZ]: AUTHZ };

/** The paths an event misses or wrongly carries, per the profile it claims. */
function violations(event: AuditEvent): string[] {
  const found: string[] = [];
  for (const p of R4_BASE) if (resolve(event, p, {}).length === 0) found.push(`${p} missing (R4)`);
  for (const a of resolve(event, 'agent', {})) if (typeof (a as { requestor?: unknown }).requestor !== 'boolean') found.push('agent.requestor missing (R4)');
  const profile = event.meta?.profile[0];
  const rules = profile ? RULES[profile] : undefined;
  if (!rules) return [...found, `no rules for ${profile ?? 'no profile'}`];
  const check = (r: string | readonly [string, string | boolean], prefix = '') => {
    const [path, value] = typeof r === 'string' ? [r, undefined] : r;
    const values = resolve(event, `${prefix}${path}`, rules.slices);
    if (values.length === 0) found.push(`${prefix}${path} missing`);
    else if (value !== undefined && !values.some((v) => v === value)) found.push(`${prefix}${path} is not ${String(value)}`);
  };
  for (const r of rules.required) check(r);
  for (const [slice, child] of rules.requiredIfPresent) if (resolve(event, slice, rules.slices).length > 0) check(child, `${slice}.`);
  if (event.outcome === '0') for (const r of rules.requiredOnSuccess ?? []) check(r);
  for (const p of rules.absent) if (resolve(event, p, rules.slices).length > 0) found.push(`${p} must be absent`);
  if (rules.closed) {
    const { element, slices } = rules.closed;
    for (const e of resolve(event, element, {})) if (!slices.some((s) => rules.slices[s]?.(e))) found.push(`${element} outside the closed slices ${slices.join(', ')}`);
  }
  if (event.outcome !== '0' && !event.outcomeDesc) found.push('outcomeDesc missing on a failure');
  return found;
}

async function exported(world: LookupWorld, format: ExportFormat, options: { afterSeq?: string; pageSize?: number } = {}) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  let total = -1;
  const result = await exportAudit(world.database.db, { format, out, from: new Date(Date.now() - 3_600_000), ...options, onStart: (n) => (total = n) });
  out.end();
  return { result, total, text: Buffer.concat(chunks).toString('utf8') };
}

describe.each(databaseKinds())('audit export (%s)', (kind) => {
  let world: LookupWorld;
  let events: AuditEvent[];

  beforeAll(async () => {
    world = await startLookupWorld(kind);
    const permitted = await lookUp(world, { issuer: world.gpSts, org: NJ.gpKjaersgaard, subject: 'gp-user-17', name: 'Anders Holm' }, { cpr: CHILDREN.noah });
    expect(permitted.sources.some((s) => s.status === 'found')).toBe(true);
    // Hjørring's health visitors have no agreement with Aalborg's or the GP's sources.
    const denied = await lookUp(world, { issuer: world.hjoerringIdp, org: NJ.hjoerringHealthVisitors, role: 'caseworker' }, { cpr: CHILDREN.noah });
    expect(denied.sources.every((s) => s.status === 'denied')).toBe(true);
    events = (await exported(world, 'fhir')).text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEvent);
  });
  afterAll(async () => world?.close());

  it('exports both lookups as PatientQuery events, with one authorisation decision per source', () => {
    const queries = events.filter((e) => e.meta?.profile.includes(PROFILES.patientQuery));
    // The GP's lookup succeeded (outcome 0); the one with no agreement was denied (4, and why).
    expect(queries.map((e) => [e.outcome, e.outcomeDesc ?? null])).toEqual([['0', null], ['4', 'denied: no sharing agreement permits the access']]);
    const decisions = events.filter((e) => e.meta?.profile.includes(PROFILES.authZ));
    expect(decisions.some((e) => e.outcome === '0' && e.entity.some((x) => x.type.code === 'Consent'))).toBe(true);
    expect(decisions.some((e) => e.outcome === '4' && e.outcomeDesc?.includes('denied'))).toBe(true);
  });

  it('every exported event has the elements its BALP profile requires', () => {
    const claimed = events.filter((e) => e.meta?.profile.length);
    expect(claimed.length).toBeGreaterThan(2);
    expect(claimed.map((e) => ({ id: e.id, violations: violations(e) }))).toEqual(claimed.map((e) => ({ id: e.id, violations: [] })));
  });

  it('a correspondence read maps to a PatientRead with the required elements', () => {
    const read: ExportRecord = {
      seq: '1', id: 'r1', occurredAt: new Date().toISOString(), recordedAt: new Date().toISOString(), kind: 'correspondence-read', outcome: 'success', requestId: 'req-9',
      actor: { issuer: world.gpSts.issuer, subject: 'gp-user-17', name: 'Anders Holm', role: 'clinician', organisation: NJ.gpKjaersgaard, assurance: 'substantial', callingSystem: null },
      purpose: 'child-welfare-concern', reason: null, patientCpr: CHILDREN.noah, details: { read: 'message', messageId: 'm-1' },
    };
    const [event] = toAuditEvents(read);
    expect(event?.meta?.profile).toEqual([PROFILES.patientRead]);
    expect(violations(event as AuditEvent)).toEqual([]);
  });

  it('the checks catch an event that lacks a required element', () => {
    const query = events.find((e) => e.meta?.profile.includes(PROFILES.patientQuery)) as AuditEvent;
    const broken = { ...query, entity: query.entity.filter((x) => x.type.code !== '1') };
    expect(violations(broken)).toContain('entity[patient].what.identifier.value missing');
    const decision = events.find((e) => e.meta?.profile.includes(PROFILES.authZ) && e.outcome === '0') as AuditEvent;
    const extra = { ...decision, entity: [...decision.entity, { type: { system: SYSTEMS.entityType, code: '2' } }] };
    expect(violations(extra)).toContain('entity outside the closed slices patient, consent, token');
    expect(violations({ ...decision, entity: decision.entity.filter((x) => x.type.code !== 'Consent') })).toContain('entity[consent].what.identifier.value missing');
  });

  it('never writes the CPR number outside the patient entity', () => {
    for (const e of events) {
      const rest = { ...e, entity: e.entity.filter((x) => x.what?.identifier?.system !== SYSTEMS.cpr) };
      expect(JSON.stringify(rest)).not.toContain(CHILDREN.noah);
    }
  });

  it('exports NDJSON and CSV, counts first, and resumes after the cursor in pages', async () => {
    const all = await exported(world, 'ndjson');
    const lines = all.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: string; kind: string });
    expect(all.total).toBe(lines.length);
    expect(lines.filter((l) => l.kind === 'lookup')).toHaveLength(2);
    const csv = await exported(world, 'csv');
    expect(csv.text.split('\r\n')[0]).toBe(AUDIT_CSV_HEADER.join(','));
    expect(csv.result.records).toBe(lines.length);
    const first = lines[0]?.seq as string;
    const rest = await exported(world, 'ndjson', { afterSeq: first, pageSize: 1 });
    expect(rest.total).toBe(lines.length - 1);
    expect(rest.text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: string }).seq)).toEqual(lines.slice(1).map((l) => l.seq));
    expect(rest.result.cursor).toBe(lines.at(-1)?.seq);
  });
});
