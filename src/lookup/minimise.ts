/**
 * What a lookup may return. Pure: the integrity check (every case must be about the child asked
 * for), a GP system's courses of the practice asked for only, and data minimisation (only the
 * data elements the caller's agreements allow).
 */
import type { SourceCase } from '../../adapters/source.js';
import type { DataElement } from '../agreements/model.js';

export interface CaseView {
  status: SourceCase['status'];
  since: string | null;
  closedAt: string | null;
  responsibleUnit?: { sor: string | null; name: string | null; ean: string | null } | null;
  contact?: { name: string | null; role: string | null; phone: string | null; email: string | null } | null;
  team?: string | null;
}

/** True when every case names the person asked for; a single stranger taints the whole answer. */
export function allAboutPerson(cases: readonly SourceCase[], cpr: string): boolean {
  return cases.every((c) => c.subjectCpr.toUpperCase() === cpr.toUpperCase());
}

/**
 * A GP system serves many practices and answers with every course it holds for the child: keep
 * only the courses whose responsible unit is the practice asked for (or a unit below it), and none
 * whose practice cannot be told.
 */
export function coursesOfPractice(
  cases: readonly SourceCase[],
  practiceSor: string,
  isWithin: (sor: string, rootSor: string) => boolean,
): SourceCase[] {
  return cases.filter((c) => {
    const unit = c.responsibleUnit?.sor;
    return !!unit && isWithin(unit, practiceSor);
  });
}

/**
 * Projects source cases onto what the caller may see: case existence gives status and dates;
 * contact details add the responsible unit (with its MedCom EAN), contact person and team.
 */
export function minimiseCases(
  cases: readonly SourceCase[],
  allowed: readonly DataElement[],
  unitEan: (unitSor: string | null) => string | null,
): CaseView[] {
  if (!allowed.includes('case-existence')) return [];
  const withContact = allowed.includes('contact-details');
  return cases.map((c) => {
    const view: CaseView = { status: c.status, since: c.since, closedAt: c.closedAt };
    if (withContact) {
      view.responsibleUnit = c.responsibleUnit
        ? { sor: c.responsibleUnit.sor, name: c.responsibleUnit.name, ean: c.responsibleUnit.ean ?? unitEan(c.responsibleUnit.sor) }
        : null;
      view.contact = c.contact ? { ...c.contact } : null;
      view.team = c.team ?? null;
    }
    return view;
  });
}
