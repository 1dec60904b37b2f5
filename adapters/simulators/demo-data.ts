import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parsePersonIdentifier } from '../../domain/identifiers.js';

/** The demo children (fixtures/sources/children.json), validated when loaded. */

const careManager = z.object({
  id: z.string(),
  given: z.string(),
  family: z.string(),
  role: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
});

const episode = z.object({
  source: z.enum(['gp', 'child-psychiatry']),
  id: z.string(),
  status: z.string(),
  phase: z.enum(['referral', 'waiting-list', 'assessment', 'treatment']).nullable(),
  title: z.string().nullable(),
  start: z.string(),
  end: z.string().nullable(),
  /** The responsible unit; null for a course the source keeps without one. */
  unit: z.string().nullable(),
  team: z.string().nullable(),
  careManager: careManager.nullable(),
});

const municipalCase = z.object({
  source: z.enum(['ppr', 'family']),
  caseNumber: z.string(),
  uuid: z.string(),
  title: z.string(),
  kle: z.string(),
  progress: z.array(z.object({ code: z.string(), from: z.string(), to: z.string().nullable() })),
  sensitivity: z.string(),
  unit: z.string(),
  caseworker: z.string().nullable(),
});

/**
 * An adult related to the child in the person register: a parent with or without custody
 * (forældremyndighed), with the custody's period. Served as FHIR RelatedPerson.
 */
const relatedPerson = z.object({
  cpr: z.string().refine((v) => parsePersonIdentifier(v)?.kind === 'cpr', 'must be a CPR number'),
  given: z.string(),
  family: z.string(),
  /** HL7 v3 RoleCode kinship: mother, father, parent. */
  relationship: z.enum(['MTH', 'FTH', 'PRN']),
  custody: z.boolean(),
  from: z.string().nullable().default(null),
  to: z.string().nullable().default(null),
});

const child = z.object({
  alias: z.string(),
  cpr: z.string().refine((v) => parsePersonIdentifier(v)?.value === v, 'must be a CPR or replacement CPR number'),
  given: z.string(),
  family: z.string(),
  birthDate: z.string(),
  gpPractice: z.string().nullable(),
  municipalityCode: z.string().regex(/^\d{3}$/),
  /** Navne- og adressebeskyttelse: the register marks the Patient with the security label R. */
  addressProtected: z.boolean().default(false),
  episodes: z.array(episode),
  municipalCases: z.array(municipalCase),
  relatedPersons: z.array(relatedPerson).default([]),
});

const childrenFile = z.object({ children: z.array(child) });

export type DemoChild = z.infer<typeof child>;
export type DemoEpisode = z.infer<typeof episode>;
export type DemoRelatedPerson = z.infer<typeof relatedPerson>;
export type DemoMunicipalCase = z.infer<typeof municipalCase>;
export type DemoCareManager = z.infer<typeof careManager>;

export const DEFAULT_CHILDREN_FILE = new URL('../../fixtures/sources/children.json', import.meta.url);

export function loadDemoChildren(file: URL | string = DEFAULT_CHILDREN_FILE): DemoChild[] {
  return childrenFile.parse(JSON.parse(readFileSync(file, 'utf8'))).children;
}

export function findChild(children: readonly DemoChild[], cpr: string | undefined): DemoChild | undefined {
  return cpr === undefined ? undefined : children.find((c) => c.cpr === cpr);
}

/** For the `wrong-child` failure: the first other child that has something in this source. */
export function anotherChild(
  children: readonly DemoChild[],
  cpr: string | undefined,
  has: (c: DemoChild) => boolean,
): DemoChild | undefined {
  return children.find((c) => c.cpr !== cpr && has(c));
}
