import type { CaseStatus, SourceCase } from '../source.js';
import {
  codeableText,
  humanName,
  identifierValue,
  isoDate,
  list,
  rec,
  str,
  telecom,
  type Json,
} from './fhir-json.js';
import { EPISODE_PHASE_SYSTEM, GLN_SYSTEMS, isPersonSystem, sameSystem, SOR_SYSTEM } from './identifiers.js';

/**
 * EpisodeOfCare (+ included Patient, Organization, Practitioner/PractitionerRole, CareTeam) ->
 * SourceCase. Pure. Status mapping:
 *   planned   -> waiting when the phase (type, EPISODE_PHASE_SYSTEM) is `waiting-list`, else referred
 *   waitlist  -> waiting
 *   active    -> assessment when phase `assessment`, treatment otherwise (also phase `treatment`)
 *   onhold    -> treatment (a paused course is still an open course; sourceStatus says onhold)
 *   finished, cancelled -> closed (closedAt = period.end)
 *   entered-in-error -> left out, with a note
 */

export interface MappedEpisodes {
  cases: SourceCase[];
  notes: string[];
}

export function mapEpisodes(episodes: Json[], resources: Json[]): MappedEpisodes {
  const resolve = resolver(resources);
  const cases: SourceCase[] = [];
  const notes: string[] = [];
  for (const episode of episodes) {
    const status = str(episode, 'status') ?? 'unknown';
    if (status === 'entered-in-error') {
      addNote(notes, 'episode entered in error left out');
      continue;
    }
    const subjectCpr = patientCpr(episode, resolve);
    if (!subjectCpr) {
      addNote(notes, 'episode without patient identifier left out');
      continue;
    }
    const phase = episodePhase(episode);
    const mapped = mapStatus(status, phase);
    if (!mapped) addNote(notes, 'unknown episode status');
    const caseStatus = mapped ?? 'treatment';
    const period = rec(episode, 'period');
    const org = resolve(rec(episode, 'managingOrganization'), episode);
    const manager = resolve(rec(episode, 'careManager'), episode);
    const teams = list(episode, 'team').map((t) => resolve(t, episode));
    const team = teams.map((t) => (t ? str(t, 'name') : undefined)).find((n) => !!n) ?? null;
    cases.push({
      caseId: str(episode, 'id') ?? identifierValue(episode, () => true) ?? 'unknown',
      subjectCpr,
      status: caseStatus,
      sourceStatus: status,
      since: currentStatusStart(episode, status) ?? isoDate(str(period, 'start')),
      closedAt: caseStatus === 'closed' ? isoDate(str(period, 'end')) : null,
      title: episodeTitle(episode),
      sensitivity: null,
      kle: null,
      responsibleUnit: org ? organisationUnit(org) : (displayOnlyUnit(rec(episode, 'managingOrganization')) ?? roleUnit(manager, resolve)),
      contact: contactFor(manager, org, resolve),
      team,
    });
  }
  return { cases, notes };
}

function mapStatus(status: string, phase: string | undefined): CaseStatus | undefined {
  switch (status) {
    case 'planned':
      return phase === 'waiting-list' ? 'waiting' : 'referred';
    case 'waitlist':
      return 'waiting';
    case 'active':
      return phase === 'assessment' ? 'assessment' : 'treatment';
    case 'onhold':
      return 'treatment';
    case 'finished':
    case 'cancelled':
      return 'closed';
    default:
      return undefined;
  }
}

function episodePhase(episode: Json): string | undefined {
  for (const type of list(episode, 'type')) {
    for (const coding of list(type, 'coding')) {
      if (sameSystem(str(coding, 'system'), EPISODE_PHASE_SYSTEM)) return str(coding, 'code');
    }
  }
  return undefined;
}

/** The type text that is not our phase code: e.g. "Udredning for ADHD". */
function episodeTitle(episode: Json): string | null {
  for (const type of list(episode, 'type')) {
    const text = str(type, 'text');
    if (text) return text;
    for (const coding of list(type, 'coding')) {
      if (!sameSystem(str(coding, 'system'), EPISODE_PHASE_SYSTEM) && str(coding, 'display')) {
        return str(coding, 'display') ?? null;
      }
    }
  }
  for (const type of list(episode, 'type')) {
    const text = codeableText(type);
    if (text) return text;
  }
  return null;
}

/** statusHistory's entry for the current status, if the source keeps one. */
function currentStatusStart(episode: Json, status: string): string | null {
  const entries = list(episode, 'statusHistory').filter((h) => str(h, 'status') === status);
  const starts = entries.map((h) => isoDate(str(rec(h, 'period'), 'start'))).filter((d): d is string => !!d);
  return starts.sort().at(-1) ?? null;
}

function patientCpr(episode: Json, resolve: Resolve): string | null {
  const ref = rec(episode, 'patient');
  const direct = rec(ref, 'identifier');
  if (direct && isPersonSystem(str(direct, 'system')) && str(direct, 'value')) {
    return (str(direct, 'value') ?? '').trim();
  }
  const patient = resolve(ref, episode);
  return patient ? identifierValue(patient, isPersonSystem) : null;
}

function organisationUnit(org: Json): NonNullable<SourceCase['responsibleUnit']> {
  return {
    sor: identifierValue(org, (s) => sameSystem(s, SOR_SYSTEM)),
    name: str(org, 'name') ?? null,
    ean: identifierValue(org, (s) => GLN_SYSTEMS.some((g) => sameSystem(s, g))),
  };
}

/**
 * Some GP systems leave managingOrganization out and name the practice only on the care manager's
 * PractitionerRole. The broker keeps a GP course only for the practice it belongs to, so that is
 * where the practice is read from next; without either the course has no responsible unit.
 */
function roleUnit(manager: Json | undefined, resolve: Resolve): SourceCase['responsibleUnit'] {
  if (manager?.['resourceType'] !== 'PractitionerRole') return null;
  const ref = rec(manager, 'organization');
  const org = resolve(ref, manager);
  return org ? organisationUnit(org) : displayOnlyUnit(ref);
}

/** A logical reference without a resource: `{ identifier: SOR, display }`. */
function displayOnlyUnit(ref: Json | undefined): SourceCase['responsibleUnit'] {
  if (!ref) return null;
  const id = rec(ref, 'identifier');
  const sor = id && sameSystem(str(id, 'system'), SOR_SYSTEM) ? (str(id, 'value') ?? null) : null;
  const name = str(ref, 'display') ?? null;
  return sor || name ? { sor, name, ean: null } : null;
}

function contactFor(manager: Json | undefined, org: Json | undefined, resolve: Resolve): SourceCase['contact'] {
  if (!manager && !org) return null;
  let practitioner: Json | undefined;
  let role: string | null = null;
  if (manager?.['resourceType'] === 'PractitionerRole') {
    practitioner = resolve(rec(manager, 'practitioner'), manager);
    role = list(manager, 'code').map(codeableText).find((t) => !!t) ?? null;
  } else if (manager?.['resourceType'] === 'Practitioner') {
    practitioner = manager;
  }
  const contact = {
    name: practitioner ? humanName(practitioner) : null,
    role,
    // Role's own telecom first (the clinic line), then the person's, then the unit's.
    phone: firstOf([manager, practitioner, org], (r) => telecom(r, 'phone')),
    email: firstOf([manager, practitioner, org], (r) => telecom(r, 'email')),
  };
  return contact.name || contact.phone || contact.email ? contact : null;
}

function firstOf(resources: (Json | undefined)[], pick: (r: Json) => string | null): string | null {
  for (const r of resources) {
    const v = r ? pick(r) : null;
    if (v) return v;
  }
  return null;
}

type Resolve = (reference: Json | undefined, container: Json) => Json | undefined;

/** Resolves `#contained`, `Type/id` and absolute `fullUrl`-style references among the resources seen. */
function resolver(resources: Json[]): Resolve {
  const byKey = new Map<string, Json>();
  for (const r of resources) {
    const type = str(r, 'resourceType');
    const id = str(r, 'id');
    if (type && id) byKey.set(`${type}/${id}`, r);
  }
  return (reference, container) => {
    const ref = str(reference, 'reference');
    if (!ref) return undefined;
    if (ref.startsWith('#')) return list(container, 'contained').find((c) => str(c, 'id') === ref.slice(1));
    const m = /([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
    return m ? byKey.get(`${m[1]}/${m[2]}`) : undefined;
  };
}

function addNote(notes: string[], note: string): void {
  if (!notes.includes(note)) notes.push(note);
}
