import { codeableText, identifierValue, list, rec, str, type Json } from '../fhir/fhir-json.js';
import {
  CONFIDENTIALITY_SYSTEM,
  isPersonSystem,
  MUNICIPALITY_CODE_SYSTEM,
  MUNICIPALITY_EXTENSION,
  REGION_EXTENSION,
  sameSystem,
  SOR_SYSTEM,
} from '../fhir/identifiers.js';

/**
 * Patient (dk-core) -> the child's GP practice and municipality. Pure.
 * Municipality: dk-core puts the `dk-core-municipalityCodes` extension (CodeableConcept, 4 digits
 * such as `0851`) on Patient.address; older data carries it on Patient or writes the code in
 * address.district. All are accepted; the result is the 3-digit kommunekode (`851`).
 */
export interface RegisteredPerson {
  personCpr: string | null;
  gpPracticeSor: string | null;
  municipalityCode: string | null;
  regionCode: string | null;
  /** Navne- og adressebeskyttelse: where the child lives must not be disclosed. */
  addressProtected: boolean;
}

export function mapPatient(patient: Json, resources: Json[]): RegisteredPerson {
  return {
    personCpr: identifierValue(patient, isPersonSystem),
    gpPracticeSor: gpSor(patient, resources),
    municipalityCode: municipality(patient),
    regionCode: region(patient),
    addressProtected: addressProtected(patient),
  };
}

/**
 * FHIR has no protection element; dk-core marks it with the security label `R` (Restricted) of
 * v3-Confidentiality (its example omits the system), and the eHealth infrastructure adds an
 * extension with the protection's period. Any of them counts: when in doubt, protect.
 */
const PROTECTION_EXTENSION = 'http://ehealth.sundhed.dk/fhir/StructureDefinition/ehealth-nameandaddressprotection';
const OLD_CONFIDENTIALITY_SYSTEM = 'http://hl7.org/fhir/v3/Confidentiality';

function addressProtected(patient: Json): boolean {
  const labels = list(rec(patient, 'meta'), 'security');
  const restricted = labels.some((l) => {
    const system = str(l, 'system');
    const code = str(l, 'code')?.trim().toUpperCase();
    return (code === 'R' || code === 'V') && (!system || sameSystem(system, CONFIDENTIALITY_SYSTEM) || sameSystem(system, OLD_CONFIDENTIALITY_SYSTEM));
  });
  return restricted || list(patient, 'extension').some((e) => sameSystem(str(e, 'url'), PROTECTION_EXTENSION));
}

function gpSor(patient: Json, resources: Json[]): string | null {
  for (const ref of list(patient, 'generalPractitioner')) {
    const id = rec(ref, 'identifier');
    if (id && sameSystem(str(id, 'system'), SOR_SYSTEM) && str(id, 'value')) return (str(id, 'value') ?? '').trim();
    const target = resolve(str(ref, 'reference'), patient, resources);
    const sor = target ? identifierValue(target, (s) => sameSystem(s, SOR_SYSTEM)) : null;
    if (sor) return sor;
  }
  return null;
}

function municipality(patient: Json): string | null {
  const addresses = list(patient, 'address');
  const current = addresses.filter((a) => str(a, 'use') !== 'old');
  for (const holder of [...current, patient]) {
    for (const ext of list(holder, 'extension')) {
      if (!sameSystem(str(ext, 'url'), MUNICIPALITY_EXTENSION)) continue;
      const cc = rec(ext, 'valueCodeableConcept');
      const coding = list(cc, 'coding').find((c) => !str(c, 'system') || sameSystem(str(c, 'system'), MUNICIPALITY_CODE_SYSTEM));
      const code = normaliseMunicipality(str(coding, 'code') ?? str(ext, 'valueCode') ?? codeableText(cc) ?? undefined);
      if (code) return code;
    }
  }
  for (const address of current) {
    const code = normaliseMunicipality(str(address, 'district'));
    if (code) return code;
  }
  return null;
}

/** `0851` or `851` -> `851`; anything else (a district name) -> null. */
export function normaliseMunicipality(v: string | undefined): string | null {
  const m = /^\s*0?(\d{3})\s*$/.exec(v ?? '');
  return m?.[1] ?? null;
}

function region(patient: Json): string | null {
  for (const holder of [...list(patient, 'address'), patient]) {
    for (const ext of list(holder, 'extension')) {
      if (!sameSystem(str(ext, 'url'), REGION_EXTENSION)) continue;
      const coding = list(rec(ext, 'valueCodeableConcept'), 'coding')[0];
      const code = str(coding, 'code') ?? str(ext, 'valueCode');
      if (code) return code;
    }
  }
  return null;
}

function resolve(ref: string | undefined, patient: Json, resources: Json[]): Json | undefined {
  if (!ref) return undefined;
  if (ref.startsWith('#')) return list(patient, 'contained').find((c) => str(c, 'id') === ref.slice(1));
  const m = /([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  return m ? resources.find((r) => str(r, 'resourceType') === m[1] && str(r, 'id') === m[2]) : undefined;
}
