/** Danish identifier systems used by the FHIR sources (see DOMAIN.md, Identifiers). */
import { isCpr, parsePersonIdentifier, SYSTEM } from '../../domain/identifiers.js';

export const CPR_SYSTEM = SYSTEM.cpr;
export const REPLACEMENT_CPR_SYSTEM = SYSTEM.replacementCpr;
export const SOR_SYSTEM = SYSTEM.sor;
export const GLN_SYSTEMS = [SYSTEM.gln, 'urn:oid:1.3.88'] as const;
export const MUNICIPALITY_CODE_SYSTEM = SYSTEM.municipalityCode;
export const MUNICIPALITY_EXTENSION = 'http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes';
/** HL7 v3 Confidentiality; dk-core labels a Patient with name and address protection `R`. */
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const REGION_EXTENSION = 'http://hl7.dk/fhir/core/StructureDefinition/dk-core-RegionalSubDivisionCodes';

/**
 * Our own code system for the phase of a psychiatric or GP episode, carried in EpisodeOfCare.type,
 * because FHIR's status alone cannot tell referral from waiting list or assessment from treatment.
 * Codes: referral | waiting-list | assessment | treatment.
 */
export const EPISODE_PHASE_SYSTEM = 'https://broker.example.dk/fhir/CodeSystem/episode-phase';

/** The identifier system to search with: replacement CPRs carry letters in positions 7-10. */
export function cprSystemFor(cpr: string): string {
  return isCpr(cpr) ? CPR_SYSTEM : REPLACEMENT_CPR_SYSTEM;
}

export function isPersonIdentifierFormat(cpr: string): boolean {
  return parsePersonIdentifier(cpr) !== null;
}

/** Tolerant comparison of identifier systems: vendors write `urn:oid:` with odd case or spaces. */
export function sameSystem(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.toLowerCase();
}

export function isPersonSystem(system: string | undefined): boolean {
  return sameSystem(system, CPR_SYSTEM) || sameSystem(system, REPLACEMENT_CPR_SYSTEM);
}
