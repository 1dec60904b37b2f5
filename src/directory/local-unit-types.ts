/**
 * Which unit types a municipality may give a local unit, and the one rule that decides which unit
 * types count for an organisation under unit-type party selectors.
 *
 * A municipality's administrator registers local units, and its own identity provider speaks for
 * their staff. If a local unit could carry any type, a municipality could make itself a "GP
 * practice" and fall under the region's "all GP practices in Region Nordjylland" agreements. So a
 * local unit may only be of a municipal type, and a local unit (or anything inherited through one)
 * never counts for any other type, whatever is stored.
 *
 * SOR's unit-type classification is SNOMED CT (Danish extension, namespace 1000005). Sources for
 * the codes below:
 *  - MedCom, dk-medcom-xds-metadata, input/fsh/ValueSet.HealthcareFacilityType.fsh (2024-01-19):
 *    the SOR unit types as SNOMED CT codes with their Danish SOR names, among them
 *    556841000005105 "pædagogisk psykologisk rådgivning (PPR)" and 554021000005101 "sundhedsplejen".
 *  - HL7 Denmark, DK Core, ValueSet "DK SOR Organization Type"
 *    (http://hl7.dk/fhir/core/ValueSet/sor-organization-type): 554021000005101 "Health visitors".
 * The same two codes are what fixtures/sor/north-jutland.xml uses for its PPR and sundhedspleje units.
 */
import type { Organisation } from './model.js';

export interface MunicipalUnitType {
  readonly code: string;
  readonly name: string;
  /** Where the code comes from: the SOR classification (SNOMED CT), or the broker's own code where SOR has none. */
  readonly source: 'sor-snomed' | 'broker-local';
}

export const MUNICIPAL_LOCAL_UNIT_TYPES: readonly MunicipalUnitType[] = [
  { code: '556841000005105', name: 'pædagogisk psykologisk rådgivning (PPR)', source: 'sor-snomed' },
  // Sundhedsplejen also runs the school health service (skolesundhedspleje); no separate SOR
  // type for school health could be confirmed, hence the broker's own code below.
  { code: '554021000005101', name: 'sundhedsplejen (health visitors)', source: 'sor-snomed' },
  // SOR classifies health-sector units; the municipal children and family department
  // (Barnets lov casework) has no SOR type of its own (SOR files them as "administrativ enhed",
  // 550811000005108, a type hospitals use too, so that one is not allowed here).
  { code: 'ppr', name: 'PPR (broker code)', source: 'broker-local' },
  { code: 'children-family', name: 'children and family department (broker code)', source: 'broker-local' },
  { code: 'school-health', name: 'school health service (broker code; unconfirmed in SOR)', source: 'broker-local' },
];

const ALLOWED = new Set(MUNICIPAL_LOCAL_UNIT_TYPES.map((t) => t.code));

export const isMunicipalLocalUnitType = (code: string): boolean => ALLOWED.has(code);

/**
 * The unit type `typed` contributes to unit-type selectors when deciding for `subject`
 * (`typed` is `subject` itself or one of its ancestors), or null when it contributes none.
 * When either is a local unit, only municipal types count: a local unit never matches a
 * health-sector unit-type selector, neither by its own type nor through a local ancestor.
 */
export function selectorUnitType(subject: Pick<Organisation, 'local'>, typed: Pick<Organisation, 'local' | 'unitType'>): string | null {
  if (typed.unitType === null) return null;
  if (subject.local || typed.local) return ALLOWED.has(typed.unitType) ? typed.unitType : null;
  return typed.unitType;
}
