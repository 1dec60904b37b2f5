import { organisationByKey, REGION_NORTH_JUTLAND, type DemoOrganisation } from './organisations.js';
import {
  CONFIDENTIALITY_SYSTEM,
  cprSystemFor,
  EPISODE_PHASE_SYSTEM,
  GLN_SYSTEMS,
  MUNICIPALITY_CODE_SYSTEM,
  MUNICIPALITY_EXTENSION,
  REGION_EXTENSION,
  SOR_SYSTEM,
} from '../fhir/identifiers.js';
import type { DemoChild, DemoEpisode, DemoRelatedPerson } from './demo-data.js';

/** Demo data -> FHIR R4 resources as a dk-core speaking EHR, GP system or person register would send. Pure. */

type Resource = Record<string, unknown> & { resourceType: string; id: string };
export interface BundleEntry {
  fullUrl: string;
  resource: Resource;
  search: { mode: 'match' | 'include' };
}

export function patientId(child: DemoChild): string {
  return `pat-${child.alias}`;
}

export function patientResource(child: DemoChild): Resource {
  const gp = child.gpPractice ? organisationByKey(child.gpPractice) : null;
  return {
    resourceType: 'Patient',
    id: patientId(child),
    // dk-core marks name and address protection with the v3 confidentiality label R (Restricted).
    ...(child.addressProtected ? { meta: { security: [{ system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'Restricted' }] } } : {}),
    identifier: [{ system: cprSystemFor(child.cpr), value: child.cpr }],
    name: [{ use: 'official', given: [child.given], family: child.family }],
    birthDate: child.birthDate,
    address: [
      {
        use: 'home',
        extension: [
          {
            url: MUNICIPALITY_EXTENSION,
            valueCodeableConcept: { coding: [{ system: MUNICIPALITY_CODE_SYSTEM, code: `0${child.municipalityCode}` }] },
          },
          { url: REGION_EXTENSION, valueCodeableConcept: { coding: [{ system: 'urn:iso:std:iso:3166:-2', code: REGION_NORTH_JUTLAND }] } },
        ],
        country: 'DK',
      },
    ],
    generalPractitioner: gp
      ? [{ reference: `Organization/${orgId(gp)}`, identifier: { system: SOR_SYSTEM, value: gp.sor }, display: gp.name }]
      : [],
  };
}

export function orgId(org: DemoOrganisation): string {
  return `org-${org.key}`;
}

export function organisationResource(org: DemoOrganisation): Resource {
  const identifier = [
    ...(org.sor ? [{ system: SOR_SYSTEM, value: org.sor }] : []),
    ...(org.ean ? [{ system: GLN_SYSTEMS[0], value: org.ean }] : []),
  ];
  const telecom = [
    ...(org.phone ? [{ system: 'phone', value: org.phone, use: 'work' }] : []),
    ...(org.email ? [{ system: 'email', value: org.email, use: 'work' }] : []),
  ];
  return { resourceType: 'Organization', id: orgId(org), identifier, name: org.name, telecom };
}

const PHASE_DISPLAY: Record<string, string> = {
  referral: 'Henvist',
  'waiting-list': 'Venteliste',
  assessment: 'Udredning',
  treatment: 'Behandling',
};

export function episodeResource(child: DemoChild, e: DemoEpisode): Resource {
  const unit = e.unit ? organisationByKey(e.unit) : null;
  const type = [
    ...(e.phase ? [{ coding: [{ system: EPISODE_PHASE_SYSTEM, code: e.phase, display: PHASE_DISPLAY[e.phase] }] }] : []),
    ...(e.title ? [{ text: e.title }] : []),
  ];
  return {
    resourceType: 'EpisodeOfCare',
    id: e.id,
    status: e.status,
    type,
    patient: { reference: `Patient/${patientId(child)}` },
    ...(unit ? { managingOrganization: { reference: `Organization/${orgId(unit)}`, display: unit.name } } : {}),
    period: { start: e.start, ...(e.end ? { end: e.end } : {}) },
    ...(e.careManager ? { careManager: { reference: `PractitionerRole/role-${e.careManager.id}` } } : {}),
    ...(e.team ? { team: [{ reference: `CareTeam/team-${e.id}`, display: e.team }] } : {}),
  };
}

/** One episode with what `_include` asked for, as search entries. */
export function episodeEntries(base: string, child: DemoChild, e: DemoEpisode, includes: ReadonlySet<string>): BundleEntry[] {
  const entries: BundleEntry[] = [entry(base, episodeResource(child, e), 'match')];
  if (includes.has('EpisodeOfCare:patient')) entries.push(entry(base, patientResource(child), 'include'));
  if (e.unit && includes.has('EpisodeOfCare:organization')) entries.push(entry(base, organisationResource(organisationByKey(e.unit)), 'include'));
  const m = e.careManager;
  if (m && includes.has('EpisodeOfCare:care-manager')) {
    entries.push(
      entry(base, {
        resourceType: 'PractitionerRole',
        id: `role-${m.id}`,
        practitioner: { reference: `Practitioner/${m.id}` },
        ...(e.unit ? { organization: { reference: `Organization/${orgId(organisationByKey(e.unit))}` } } : {}),
        code: m.role ? [{ text: m.role }] : [],
        telecom: [
          ...(m.phone ? [{ system: 'phone', value: m.phone, use: 'work' }] : []),
          ...(m.email ? [{ system: 'email', value: m.email, use: 'work' }] : []),
        ],
      }, 'include'),
      entry(base, { resourceType: 'Practitioner', id: m.id, name: [{ given: [m.given], family: m.family }] }, 'include'),
    );
  }
  if (e.team && includes.has('EpisodeOfCare:team')) {
    entries.push(entry(base, { resourceType: 'CareTeam', id: `team-${e.id}`, status: 'active', name: e.team }, 'include'));
  }
  return entries;
}

export function entry(base: string, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode } };
}

/** Includes are listed once per page even when several episodes share them. */
export function dedupe(entries: BundleEntry[]): BundleEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => (seen.has(e.fullUrl) ? false : (seen.add(e.fullUrl), true)));
}

export function searchBundle(entries: BundleEntry[], total: number, links: { relation: string; url: string }[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    id: crypto.randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    total,
    link: links,
    entry: entries,
  };
}

const ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** A parent as the person register serves it: kinship always, `GUARD` only with custody, the custody's period. */
export function relatedPersonResource(child: DemoChild, person: DemoRelatedPerson, index: number): Resource {
  const codings: Array<{ system: string; code: string }> = [{ system: ROLE_CODE_SYSTEM, code: person.relationship }];
  if (person.custody) codings.push({ system: ROLE_CODE_SYSTEM, code: 'GUARD' });
  return {
    resourceType: 'RelatedPerson',
    id: `rp-${child.alias}-${index}`,
    active: true,
    patient: { reference: `Patient/${patientId(child)}`, identifier: { system: cprSystemFor(child.cpr), value: child.cpr } },
    identifier: [{ system: cprSystemFor(person.cpr), value: person.cpr }],
    relationship: [{ coding: codings }],
    name: [{ use: 'official', given: [person.given], family: person.family }],
    ...(person.from || person.to ? { period: { ...(person.from ? { start: person.from } : {}), ...(person.to ? { end: person.to } : {}) } } : {}),
  };
}
