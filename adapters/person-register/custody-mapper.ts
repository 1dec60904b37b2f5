import { isoDate, list, rec, str, identifierValue, type Json } from '../fhir/fhir-json.js';
import { isPersonSystem, sameSystem } from '../fhir/identifiers.js';

/**
 * Custody (forældremyndighed) as the person register publishes it: one FHIR R4 `RelatedPerson`
 * per adult related to the child, `RelatedPerson.patient` the child (by CPR identifier),
 * `RelatedPerson.identifier` the adult's CPR, `relationship` coded, `period` the custody's
 * validity. Only the code `GUARD` (legal guardian) of HL7 v3 RoleCode means custody: a parent
 * without custody is `MTH`/`FTH`/`PRN` only and is no custody-holder. An inactive RelatedPerson
 * (`active: false`) holds nothing. Pure.
 */
export const ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
export const CUSTODY_CODE = 'GUARD';

export interface CustodyHolder {
  readonly holderCpr: string;
  /** ISO dates; null: open (from birth, or until the register says otherwise). */
  readonly from: string | null;
  readonly to: string | null;
}

export type CustodyMapping = { readonly ok: true; readonly holders: CustodyHolder[] } | { readonly ok: false; readonly reason: string };

export function mapCustody(relatedPersons: readonly Json[], childCpr: string): CustodyMapping {
  const holders: CustodyHolder[] = [];
  for (const person of relatedPersons) {
    // A RelatedPerson about another child must never count for this one: the whole answer is refused.
    const child = identifierValue({ identifier: [rec(rec(person, 'patient'), 'identifier')].filter(Boolean) }, isPersonSystem);
    if (child !== childCpr) return { ok: false, reason: 'related person of another patient' };
    if (person['active'] === false) continue;
    const custody = list(person, 'relationship').some((cc) =>
      list(cc, 'coding').some((c) => str(c, 'code')?.trim().toUpperCase() === CUSTODY_CODE && (!str(c, 'system') || sameSystem(str(c, 'system'), ROLE_CODE_SYSTEM))),
    );
    if (!custody) continue;
    const holderCpr = identifierValue(person, isPersonSystem);
    if (!holderCpr) continue;
    const period = rec(person, 'period');
    const from = isoDate(str(period, 'start'));
    const to = isoDate(str(period, 'end'));
    // A period that cannot be read is no custody: when in doubt, show nothing.
    if ((str(period, 'start') && !from) || (str(period, 'end') && !to)) continue;
    holders.push({ holderCpr, from, to });
  }
  return { ok: true, holders };
}
