/**
 * Which FHIR XML elements become JSON arrays, for the resources MedCom messages carry. XML does
 * not say whether an element repeats, so the cardinalities from the FHIR R4 definitions are kept here.
 */

/** Repeat wherever they appear (datatypes and backbone elements). */
const ALWAYS = new Set([
  'extension', 'modifierExtension', 'coding', 'given', 'prefix', 'suffix', 'line', 'profile', 'tag',
  'security', 'expression', 'entry', 'link', 'contained',
]);

/** Repeat as direct children of a resource, except in the resource types listed. */
const RESOURCE_LEVEL: Readonly<Record<string, readonly string[]>> = {
  identifier: ['Bundle'],
  telecom: [],
  address: ['Location'],
  contact: [],
  category: [],
  target: [],
  agent: [],
  entity: [],
  issue: [],
  payload: [],
  recipient: [],
  focus: [],
  destination: [],
  participant: [],
  episodeOfCare: [],
  partOf: ['Organization', 'Location'],
  basedOn: [],
  about: [],
  inResponseTo: [],
  medium: [],
  reasonCode: [],
  reasonReference: [],
  note: [],
  qualification: [],
  communication: [],
  generalPractitioner: [],
  specialty: [],
  healthcareService: [],
  endpoint: [],
  policy: [],
  signature: [],
  alias: [],
  statusHistory: [],
  classHistory: [],
  diagnosis: [],
  availableTime: [],
  notAvailable: [],
};

/** Repeat only as direct children of these resources. */
const ONLY_IN: Readonly<Record<string, readonly string[]>> = {
  name: ['Patient', 'Practitioner', 'RelatedPerson', 'Person'],
  code: ['PractitionerRole'],
  type: ['Organization', 'Encounter', 'EpisodeOfCare', 'Location', 'HealthcareService'],
  location: ['Encounter', 'PractitionerRole', 'HealthcareService'],
  managingOrganization: ['CareTeam'],
};

/** Repeat inside these backbone elements (by the parent element's name). */
const IN_ELEMENT: Readonly<Record<string, readonly string[]>> = {
  role: ['agent', 'participant'],
  type: ['participant'],
  location: ['issue'],
  telecom: ['contact'],
  identifier: [],
};

/**
 * @param parentName the parent element's name, or the resource type when the parent is a resource
 * @param parentIsResource whether the parent is a resource (a document root or inside `resource`)
 */
export function isRepeatingElement(name: string, parentName: string, parentIsResource: boolean): boolean {
  if (ALWAYS.has(name)) return true;
  if (parentIsResource) {
    const excluded = RESOURCE_LEVEL[name];
    if (excluded) return !excluded.includes(parentName);
    const only = ONLY_IN[name];
    if (only) return only.includes(parentName);
    return false;
  }
  return IN_ELEMENT[name]?.includes(parentName) ?? false;
}

/** FHIR primitives whose JSON form is a number or a boolean rather than a string. */
const NUMERIC = new Set([
  'size', 'valueInteger', 'valueDecimal', 'valuePositiveInt', 'valueUnsignedInt', 'multipleBirthInteger',
  'total', 'rank', 'count', 'frames', 'duration', 'height', 'width', 'pages',
]);
const BOOLEAN = new Set([
  'active', 'valueBoolean', 'deceasedBoolean', 'multipleBirthBoolean', 'preferred', 'experimental',
]);

export function primitiveFromXml(name: string, value: string): string | number | boolean {
  if (NUMERIC.has(name) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (BOOLEAN.has(name) && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}
