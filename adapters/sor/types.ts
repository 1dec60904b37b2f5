/**
 * Records produced by the SOR XML parser: one per entity (institution owner, health
 * institution, organisational unit), with the fields the directory import needs. Codes stay
 * strings (SOR codes exceed safe integers; ydernumre and EAN numbers keep leading zeros).
 */
import type { EntityLevel } from '../../src/directory/model.js';

export const SOR_NAMESPACE = 'urn:oio:sundhedsstyrelsen:organisation:1.0.0';

/** One `EanLocationCodeEntity` exactly as SOR holds it on the entity itself. */
export interface SorEanLocation {
  readonly ean: string;
  readonly onlyInternal: boolean | null;
  readonly nonActive: boolean | null;
  readonly systemSupplier: string | null;
  readonly systemType: string | null;
  readonly communicationSupplier: string | null;
  /** 4-digit region code (`1081` Nordjylland) SOR records on the location number. */
  readonly regionCode: string | null;
  /** `EdiAdministrator` (older exports) or `EdiAdministrativeCode`, verbatim. */
  readonly ediAdministrator: string | null;
  readonly eanRegional: boolean | null;
  readonly validFrom: string | null;
  readonly validTo: string | null;
}

export type SorAddressKind = 'postal' | 'visiting' | 'activity';

export interface SorAddress {
  readonly kind: SorAddressKind;
  /** Street name and building number joined (`Vesterbrogade 21`), floor/suite appended. */
  readonly street: string | null;
  readonly postalCode: string | null;
  /** `DistrictName`: the post town (`Gilleleje`). */
  readonly district: string | null;
  /** 3-digit kommunekode when the address carries one (4-digit `0851` is normalised). */
  readonly municipalityCode: string | null;
  readonly countryCode: string | null;
}

export interface SorEntityRecord {
  readonly sor: string;
  /** SOR code of the enclosing entity in the tree; null for institution owners. */
  readonly parentSor: string | null;
  readonly level: EntityLevel;
  /** Nesting depth: 0 owner, 1 health institution, 2.. organisational units. */
  readonly depth: number;
  readonly name: string;
  /** `UnitType` (units), `InstitutionType` (health institutions) or `EntityTypeIdentifier`. */
  readonly unitType: string | null;
  /** `OwnerType` of the owning institution owner (inherited down the tree). */
  readonly ownerType: string | null;
  readonly ydernummer: string | null;
  readonly shakCode: string | null;
  readonly pharmacyId: string | null;
  readonly addresses: readonly SorAddress[];
  readonly phones: readonly string[];
  readonly faxes: readonly string[];
  readonly emails: readonly string[];
  readonly websites: readonly string[];
  /** `ClinicalSpeciality/SpecialityCode` values (SNOMED codes). */
  readonly specialities: readonly string[];
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly updatedAt: string | null;
  readonly firstValidFrom: string | null;
  /** SOR codes from `ReplacedByEntityCollection` / `ReplacedBySorIdentifier`. */
  readonly replacedBy: readonly string[];
  readonly replaces: readonly string[];
  /** Own EAN location numbers only; see `resolveInheritedEans` for the effective list. */
  readonly eans: readonly SorEanLocation[];
  /** SOR's `OptionalEanLocationCode/EntityInheritedIndicator`, verbatim (null when absent). */
  readonly eanInheritedIndicator: boolean | null;
  /** Own EAN's region code, else the nearest ancestor's (in practice the owner's). */
  readonly regionCode: string | null;
  /** From the entity's own address, else the nearest ancestor's. */
  readonly municipalityCode: string | null;
  /** `GeographicalParent/GeographicalParentSorIdentifier`, when given. */
  readonly geographicalParentSor: string | null;
  /** An explicit `ParentSorIdentifier` (newer exports), when given. */
  readonly declaredParentSor: string | null;
  /** Line of the entity's data element, for messages pointing back into the file. */
  readonly line: number;
}

export interface SorParseOptions {
  /** Shown in error messages; never read. */
  readonly fileName?: string;
  /** Called once with `SnapshotDate` / `CreatedAtTime` when the header has been read. */
  readonly onHeader?: (header: SorHeader) => void;
}

export interface SorHeader {
  readonly createdAt: string | null;
  readonly snapshotDate: string | null;
}
