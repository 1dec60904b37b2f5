/**
 * The organisation directory's domain types, shared by the SOR import, the directory API,
 * the access decision and the lookup/correspondence routing.
 *
 * An organisation is one SOR entity (institution owner, health institution or organisational
 * unit) or a locally registered municipal unit. Codes are kept as strings: SOR codes have up to
 * 18 digits (beyond JavaScript's safe integers), EAN numbers and ydernumre keep leading zeros.
 */

export type EntityLevel = 'institution-owner' | 'health-institution' | 'organisational-unit';

export interface EanNumber {
  /** 13-digit GLN/EAN location number, the MedCom address. */
  readonly ean: string;
  /** True when the entity's own record holds it; false when inherited from an ancestor. */
  readonly own: boolean;
  /** SOR code of the entity that holds it (the entity itself when own). */
  readonly heldBy: string;
  /** SOR's EdiAdministrativeCode / system flags, kept verbatim where present. */
  readonly systemSupplier?: string | undefined;
  readonly ediAdministrativeCode?: string | undefined;
  readonly primary?: boolean | undefined;
}

export interface Address {
  readonly street?: string | undefined;
  readonly postalCode?: string | undefined;
  readonly city?: string | undefined;
  readonly countryCode?: string | undefined;
  /** 3-digit kommunekode (`851` Aalborg). */
  readonly municipalityCode?: string | undefined;
}

export interface Organisation {
  readonly sor: string;
  readonly parentSor: string | null;
  readonly level: EntityLevel;
  readonly name: string;
  /** SOR unit type (SNOMED code) as text code, e.g. general practice, psychiatric department. */
  readonly unitType: string | null;
  /** Institution owner type: region, municipality, state, private. */
  readonly ownerType: string | null;
  /** 4-digit region code (`1081` Region Nordjylland) of the owning region, if any. */
  readonly regionCode: string | null;
  /** 3-digit kommunekode of the owning municipality, or of the address. */
  readonly municipalityCode: string | null;
  readonly ydernummer: string | null;
  readonly shakCode: string | null;
  /** Validity per SOR (`SorStatus` from/to); `validTo` null means open-ended. */
  readonly validFrom: string; // ISO date
  readonly validTo: string | null;
  /** True for units registered locally by an administrator (not from SOR). */
  readonly local: boolean;
}

/**
 * Read-only view of the directory at one point in time, used by pure decisions.
 * Implementations are in-memory snapshots kept in step with the database.
 */
export interface DirectoryView {
  get(sor: string): Organisation | undefined;
  /** Ancestors from the parent up to the root (nearest first). */
  ancestors(sor: string): readonly Organisation[];
  /** True when `sor` is `rootSor` or lies below it. */
  isWithin(sor: string, rootSor: string): boolean;
}
