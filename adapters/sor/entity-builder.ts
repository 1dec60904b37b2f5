/**
 * Collects the fields of one SOR entity while its data element (`InstitutionOwner`,
 * `HealthInstitution`, `OrganizationalUnit`) is being read. Paths are local element names
 * below the data element; namespace prefixes (`dkcc2005:`, `xkom:`) do not matter.
 */
import type { EntityLevel } from '../../src/directory/model.js';
import type { SorAddress, SorAddressKind, SorEanLocation } from './types.js';

interface MutableEan {
  ean: string | null;
  onlyInternal: boolean | null;
  nonActive: boolean | null;
  systemSupplier: string | null;
  systemType: string | null;
  communicationSupplier: string | null;
  regionCode: string | null;
  ediAdministrator: string | null;
  eanRegional: boolean | null;
  validFrom: string | null;
  validTo: string | null;
}

interface MutableAddress {
  kind: SorAddressKind;
  streetName: string | null;
  building: string | null;
  floor: string | null;
  suite: string | null;
  postalCode: string | null;
  district: string | null;
  municipalityCode: string | null;
  countryCode: string | null;
}

const ADDRESS_KINDS: Readonly<Record<string, SorAddressKind>> = {
  PostalAddressInformation: 'postal',
  VisitingAddressInformation: 'visiting',
  ActivityAddressInformation: 'activity',
};

function bool(text: string): boolean | null {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return null;
}

/** `0851` (dkcc, dk-core) and `851` both become `851`. */
export function normaliseMunicipalityCode(text: string): string | null {
  if (!/^\d{3,4}$/.test(text)) return null;
  return text.length === 4 ? (text.startsWith('0') ? text.slice(1) : null) : text;
}

export class EntityBuilder {
  sor: string | null = null;
  name: string | null = null;
  unitType: string | null = null;
  ownerType: string | null = null;
  ydernummer: string | null = null;
  shakCode: string | null = null;
  pharmacyId: string | null = null;
  readonly addresses: SorAddress[] = [];
  readonly phones: string[] = [];
  readonly faxes: string[] = [];
  readonly emails: string[] = [];
  readonly websites: string[] = [];
  readonly specialities: string[] = [];
  validFrom: string | null = null;
  validTo: string | null = null;
  updatedAt: string | null = null;
  firstValidFrom: string | null = null;
  readonly replacedBy: string[] = [];
  readonly replaces: string[] = [];
  readonly eans: SorEanLocation[] = [];
  eanInheritedIndicator: boolean | null = null;
  directRegionCode: string | null = null;
  directMunicipalityCode: string | null = null;
  geographicalParentSor: string | null = null;
  declaredParentSor: string | null = null;

  private ean: MutableEan | null = null;
  private address: MutableAddress | null = null;

  constructor(
    readonly level: EntityLevel,
    readonly line: number,
  ) {}

  /** An element below the data element opened; `path[0]` is a direct child. */
  open(path: readonly string[]): void {
    const local = path[path.length - 1];
    if (local === 'EanLocationCodeEntity') {
      this.ean = {
        ean: null, onlyInternal: null, nonActive: null, systemSupplier: null, systemType: null,
        communicationSupplier: null, regionCode: null, ediAdministrator: null, eanRegional: null,
        validFrom: null, validTo: null,
      };
    } else if (local !== undefined && path.length === 1 && ADDRESS_KINDS[local] !== undefined) {
      this.address = {
        kind: ADDRESS_KINDS[local], streetName: null, building: null, floor: null, suite: null,
        postalCode: null, district: null, municipalityCode: null, countryCode: null,
      };
    }
  }

  /**
   * An element below the data element closed with `text` (trimmed; only leaf text matters).
   * Returns true when the element was the entity's own `SorIdentifier`.
   */
  close(path: readonly string[], text: string): boolean {
    const local = path[path.length - 1] ?? '';
    const first = path[0] ?? '';
    if (this.ean !== null && path.includes('EanLocationCodeEntity')) {
      this.closeInEan(local, path, text);
      return false;
    }
    if (this.address !== null && ADDRESS_KINDS[first] !== undefined) {
      this.closeInAddress(local, path.length, text);
      return false;
    }
    if (path.length === 1) return this.closeDirect(local, text);
    if (first === 'SorStatus' && path.length === 2) this.status(local, text);
    else if (first === 'VirtualAddressInformation') this.virtual(local, text);
    else if (first.startsWith('ClinicalSpeciality') && local === 'SpecialityCode' && text !== '') this.specialities.push(text);
    else if (first === 'ReplacedByEntityCollection' && local.endsWith('SorIdentifier') && text !== '') this.replacedBy.push(text);
    else if (first === 'ReplacesEntityCollection' && local.endsWith('SorIdentifier') && text !== '') this.replaces.push(text);
    else if (first === 'OptionalEanLocationCode' && local === 'EntityInheritedIndicator') this.eanInheritedIndicator = bool(text);
    else if (first === 'GeographicalParent' && local === 'GeographicalParentSorIdentifier' && text !== '') this.geographicalParentSor = text;
    return false;
  }

  private closeDirect(local: string, text: string): boolean {
    const value = text === '' ? null : text;
    switch (local) {
      case 'SorIdentifier': this.sor = text; return true;
      case 'EntityName': this.name = value; break;
      case 'UnitType': case 'InstitutionType': case 'EntityTypeIdentifier': this.unitType = value; break;
      case 'OwnerType': case 'InstitutionOwnerType': this.ownerType = value; break;
      case 'ProviderIdentifier': this.ydernummer = value; break;
      case 'ShakIdentifier': this.shakCode = value; break;
      case 'PharmacyIdentifier': this.pharmacyId = value; break;
      case 'ReplacedBySorIdentifier': if (value !== null) this.replacedBy.push(value); break;
      case 'ParentSorIdentifier': this.declaredParentSor = value; break;
      case 'RegionCode': this.directRegionCode = value; break;
      case 'MunicipalityCode': this.directMunicipalityCode = normaliseMunicipalityCode(text); break;
      default: break; // Unknown optional elements are ignored.
    }
    return false;
  }

  private status(local: string, text: string): void {
    const value = text === '' ? null : text;
    if (local === 'FromDate') this.validFrom = value;
    else if (local === 'ToDate') this.validTo = value;
    else if (local === 'UpdatedAt' || local === 'UpdatedAtDate') this.updatedAt = value;
    else if (local === 'FirstFromDate') this.firstValidFrom = value;
  }

  private virtual(local: string, text: string): void {
    if (text === '') return;
    if (local === 'TelephoneNumberIdentifier') this.phones.push(text);
    else if (local === 'FaxNumberIdentifier') this.faxes.push(text);
    else if (local === 'EmailAddressIdentifier') this.emails.push(text);
    else if (local === 'Website') this.websites.push(text);
  }

  private closeInEan(local: string, path: readonly string[], text: string): void {
    const ean = this.ean;
    if (ean === null) return;
    if (local === 'EanLocationCodeEntity') {
      if (ean.ean !== null) {
        this.eans.push({ ...ean, ean: ean.ean });
      }
      this.ean = null;
      return;
    }
    const value = text === '' ? null : text;
    const inStatus = path[path.length - 2] === 'SorStatus';
    if (inStatus) {
      if (local === 'FromDate') ean.validFrom = value;
      else if (local === 'ToDate') ean.validTo = value;
      return;
    }
    switch (local) {
      case 'EanLocationCode': ean.ean = value; break;
      case 'OnlyInternalIndicator': ean.onlyInternal = bool(text); break;
      case 'NonActiveIndicator': ean.nonActive = bool(text); break;
      case 'SystemSupplier': ean.systemSupplier = value; break;
      case 'SystemType': ean.systemType = value; break;
      case 'CommunicationSupplier': ean.communicationSupplier = value; break;
      case 'RegionCode': ean.regionCode = value; break;
      case 'EdiAdministrator': case 'EdiAdministrativeCode': ean.ediAdministrator = value; break;
      case 'EanRegional': case 'EanRegionalIndicator': ean.eanRegional = bool(text); break;
      default: break;
    }
  }

  private closeInAddress(local: string, depth: number, text: string): void {
    const a = this.address;
    if (a === null) return;
    if (depth === 1) {
      this.addresses.push(toAddress(a));
      this.address = null;
      return;
    }
    const value = text === '' ? null : text;
    switch (local) {
      case 'StreetName': a.streetName = value; break;
      case 'StreetBuildingIdentifier': a.building = value; break;
      case 'FloorIdentifier': a.floor = value; break;
      case 'SuiteIdentifier': a.suite = value; break;
      case 'PostCodeIdentifier': a.postalCode = value; break;
      case 'DistrictName': a.district = value; break;
      case 'MunicipalityCode': a.municipalityCode = normaliseMunicipalityCode(text); break;
      case 'CountryIdentificationCode': a.countryCode = value; break;
      default: break;
    }
  }

  /** Region code SOR gives on the entity itself (its EAN's, or a direct element). */
  ownRegionCode(): string | null {
    for (const e of this.eans) if (e.regionCode !== null) return e.regionCode;
    return this.directRegionCode;
  }

  ownMunicipalityCode(): string | null {
    for (const a of this.addresses) if (a.municipalityCode !== null) return a.municipalityCode;
    return this.directMunicipalityCode;
  }
}

function toAddress(a: MutableAddress): SorAddress {
  const parts = [a.streetName, a.building].filter((p): p is string => p !== null);
  let street = parts.length > 0 ? parts.join(' ') : null;
  const extra = [a.floor, a.suite].filter((p): p is string => p !== null);
  if (street !== null && extra.length > 0) street += `, ${extra.join(' ')}`;
  return {
    kind: a.kind,
    street,
    postalCode: a.postalCode,
    district: a.district,
    municipalityCode: a.municipalityCode,
    countryCode: a.countryCode,
  };
}
