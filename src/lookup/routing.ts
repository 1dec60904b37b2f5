/**
 * Which sources a lookup consults: routing, not broadcast. From the person register the broker
 * knows the child's GP practice and municipality; it asks the GP system serving that practice,
 * the PPR and family sources of that municipality, and child psychiatry covering it. The caller
 * may name organisations too. Pure: no I/O.
 */
import type { SourceKind } from '../../adapters/source.js';
import type { DirectoryView } from '../directory/model.js';
import type { SourceConfig } from './sources.js';

export interface PersonFacts {
  readonly gpPracticeSor: string | null;
  readonly municipalityCode: string | null;
  readonly regionCode: string | null;
  /** Navne- og adressebeskyttelse: where the child lives must not be told (see disclosure.ts). */
  readonly addressProtected?: boolean;
}

export interface PlannedConsultation {
  readonly sourceId: string;
  readonly kind: SourceKind;
  /** The organisation whose data this is, checked against the caller's agreements. */
  readonly targetSor: string;
  /** Why this source is consulted: from the person register, or named by the caller. */
  readonly via: 'person-register' | 'named';
  /** For `named`: the organisation the caller named that led here. */
  readonly namedSor?: string;
}

export interface RoutingInput {
  readonly person: PersonFacts | null;
  readonly namedOrganisations: readonly string[];
  readonly kinds: readonly SourceKind[] | null;
  readonly sources: readonly SourceConfig[];
  readonly directory: Pick<DirectoryView, 'isWithin'>;
}

export interface RoutingPlan {
  readonly consultations: PlannedConsultation[];
  /** Organisations the caller named that no source (of the kinds asked) serves. */
  readonly unservedOrganisations: string[];
}

export function planConsultations(input: RoutingInput): RoutingPlan {
  const plan = new Map<string, PlannedConsultation>();
  const namedHits = new Set<string>();
  const add = (p: PlannedConsultation) => {
    if (input.kinds && !input.kinds.includes(p.kind)) return;
    if (p.namedSor) namedHits.add(p.namedSor);
    const key = `${p.sourceId}|${p.targetSor}`;
    const existing = plan.get(key);
    // Named as well as found through the register: the caller knows this organisation.
    if (!existing) plan.set(key, p);
    else if (p.via === 'named' && existing.via !== 'named') plan.set(key, { ...existing, via: 'named', ...(p.namedSor ? { namedSor: p.namedSor } : {}) });
  };
  const { isWithin } = input.directory;
  const servesPractice = (s: SourceConfig, sor: string) => s.serves.practices.some((root) => isWithin(sor, root));

  const person = input.person;
  if (person) {
    for (const s of input.sources) {
      if (s.kind === 'gp') {
        if (person.gpPracticeSor && servesPractice(s, person.gpPracticeSor)) {
          add({ sourceId: s.id, kind: s.kind, targetSor: person.gpPracticeSor, via: 'person-register' });
        }
      } else if (
        (person.municipalityCode && s.serves.municipalities.includes(person.municipalityCode)) ||
        (s.kind === 'child-psychiatry' && person.regionCode && s.serves.regions.includes(person.regionCode))
      ) {
        add({ sourceId: s.id, kind: s.kind, targetSor: s.ownerSor, via: 'person-register' });
      }
    }
  }

  for (const named of input.namedOrganisations) {
    for (const s of input.sources) {
      if (s.kind === 'gp' && servesPractice(s, named)) {
        add({ sourceId: s.id, kind: s.kind, targetSor: named, via: 'named', namedSor: named });
      } else if (named === s.ownerSor || isWithin(s.ownerSor, named) || isWithin(named, s.ownerSor)) {
        // Naming a municipality reaches its PPR and family sources; naming a team, its department's source.
        add({ sourceId: s.id, kind: s.kind, targetSor: s.ownerSor, via: 'named', namedSor: named });
      }
    }
  }
  return {
    consultations: [...plan.values()],
    unservedOrganisations: input.namedOrganisations.filter((sor) => !namedHits.has(sor)),
  };
}
