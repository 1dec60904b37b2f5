/**
 * Writes SOR XML in the shape of the real exports (ONE_PRAKSIS.xml / ONE_SYGEHUS.xml): BOM,
 * `SorTree` with the OIO address namespaces, `...Entity` wrappers holding a data element and
 * the child entities, tab indentation. Used by fixture generators and test builders; each
 * entity is written as it is visited so callers can stream large trees.
 */
import type { EntityLevel } from '../../src/directory/model.js';
import { SOR_NAMESPACE } from './types.js';

export interface SorEanSpec {
  readonly ean: string;
  readonly regionCode: string;
  readonly systemSupplier?: string;
  readonly systemType?: string;
  readonly communicationSupplier?: string;
  readonly ediAdministrator?: string;
  readonly nonActive?: boolean;
  readonly fromDate: string;
}

export interface SorAddressSpec {
  readonly streetName: string;
  readonly building: string;
  readonly postalCode: string;
  readonly district: string;
  /** Written as dkcc:MunicipalityCode (4 digits) when given; not in the 2010 samples. */
  readonly municipalityCode?: string;
}

export interface SorEntitySpec {
  readonly level: EntityLevel;
  readonly sor: string;
  readonly name: string;
  /** OwnerType (owners), InstitutionType (health institutions) or UnitType (units). */
  readonly typeCode?: string;
  readonly shak?: string;
  readonly ydernummer?: string;
  readonly eans?: readonly SorEanSpec[];
  readonly address?: SorAddressSpec;
  readonly phone?: string;
  readonly email?: string;
  readonly website?: string;
  readonly specialities?: readonly string[];
  readonly fromDate: string;
  readonly toDate?: string;
  readonly replacedBy?: readonly string[];
  readonly children?: Iterable<SorEntitySpec>;
}

export const SOR_XML_BOM = '\uFEFF';

export function sorTreeOpen(createdAt: string, snapshotDate: string): string {
  return (
    `${SOR_XML_BOM}<?xml version="1.0" encoding="UTF-8"?>\n` +
    '<SorTree xmlns:xkom-1="http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/"\n' +
    '         xmlns:dkcc="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/"\n' +
    '         xmlns:dkcc2005="http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/"\n' +
    '         xmlns:xkom="http://rep.oio.dk/xkom.dk/xml/schemas/2005/03/15/"\n' +
    `         xmlns="${SOR_NAMESPACE}">\n` +
    `\t<CreatedAtTime>${createdAt}</CreatedAtTime>\n` +
    `\t<SnapshotDate>${snapshotDate}</SnapshotDate>\n`
  );
}

export const SOR_TREE_CLOSE = '</SorTree>\n';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const WRAPPER: Readonly<Record<EntityLevel, [string, string, string]>> = {
  'institution-owner': ['InstitutionOwnerEntity', 'InstitutionOwner', 'OwnerType'],
  'health-institution': ['HealthInstitutionEntity', 'HealthInstitution', 'InstitutionType'],
  'organisational-unit': ['OrganizationalUnitEntity', 'OrganizationalUnit', 'UnitType'],
};

/** Writes one entity and, recursively, its children through `out`, one line at a time. */
export function writeSorEntity(spec: SorEntitySpec, out: (chunk: string) => void, indent = 1): void {
  const [wrapper, data, typeElement] = WRAPPER[spec.level];
  const t = '\t'.repeat(indent);
  const l = (n: number, s: string): void => out(`${t}${'\t'.repeat(n)}${s}\n`);
  const status = (n: number, from: string, to?: string): void => {
    l(n, '<SorStatus>');
    l(n + 1, `<FromDate>${from}</FromDate>`);
    if (to !== undefined) l(n + 1, `<ToDate>${to}</ToDate>`);
    l(n + 1, `<UpdatedAt>${from}</UpdatedAt>`);
    l(n + 1, `<FirstFromDate>${from}</FirstFromDate>`);
    l(n, '</SorStatus>');
  };
  const ean = (n: number, e: SorEanSpec): void => {
    l(n, '<EanLocationCodeEntity>');
    l(n + 1, `<EanLocationCode>${e.ean}</EanLocationCode>`);
    l(n + 1, '<OnlyInternalIndicator>false</OnlyInternalIndicator>');
    l(n + 1, `<NonActiveIndicator>${e.nonActive === true}</NonActiveIndicator>`);
    l(n + 1, `<SystemSupplier>${e.systemSupplier ?? '641000055002'}</SystemSupplier>`);
    l(n + 1, `<SystemType>${e.systemType ?? '1611000045003'}</SystemType>`);
    l(n + 1, `<CommunicationSupplier>${e.communicationSupplier ?? '41000035001'}</CommunicationSupplier>`);
    l(n + 1, `<RegionCode>${e.regionCode}</RegionCode>`);
    l(n + 1, `<EdiAdministrator>${e.ediAdministrator ?? '116'}</EdiAdministrator>`);
    status(n + 1, e.fromDate);
    l(n, '</EanLocationCodeEntity>');
  };

  l(0, `<${wrapper}>`);
  l(1, `<${data}>`);
  l(2, `<SorIdentifier>${spec.sor}</SorIdentifier>`);
  l(2, `<EntityName>${escapeXml(spec.name)}</EntityName>`);
  if (spec.typeCode !== undefined) l(2, `<${typeElement}>${spec.typeCode}</${typeElement}>`);
  if (spec.shak !== undefined) l(2, `<ShakIdentifier>${spec.shak}</ShakIdentifier>`);
  if (spec.ydernummer !== undefined) l(2, `<ProviderIdentifier>${spec.ydernummer}</ProviderIdentifier>`);
  const eans = spec.eans ?? [];
  if (spec.level === 'institution-owner') {
    for (const e of eans) ean(2, e);
  } else {
    l(2, '<OptionalEanLocationCode>');
    l(3, `<EntityInheritedIndicator>${eans.length === 0}</EntityInheritedIndicator>`);
    for (const e of eans) ean(3, e);
    l(2, '</OptionalEanLocationCode>');
    l(2, '<GeographicalParent>');
    l(3, `<GeographicalParentRelation>${spec.level === 'health-institution' ? 1 : 2}</GeographicalParentRelation>`);
    l(2, '</GeographicalParent>');
  }
  const a = spec.address;
  if (a !== undefined) {
    l(2, '<PostalAddressInformation>');
    l(3, '<xkom-1:AddressPostal>');
    l(4, `<dkcc2005:StreetName>${escapeXml(a.streetName)}</dkcc2005:StreetName>`);
    l(4, `<dkcc:StreetBuildingIdentifier>${a.building}</dkcc:StreetBuildingIdentifier>`);
    l(4, `<dkcc2005:PostCodeIdentifier>${a.postalCode}</dkcc2005:PostCodeIdentifier>`);
    l(4, `<dkcc2005:DistrictName>${escapeXml(a.district)}</dkcc2005:DistrictName>`);
    if (a.municipalityCode !== undefined) {
      l(4, `<dkcc:MunicipalityCode>${a.municipalityCode.padStart(4, '0')}</dkcc:MunicipalityCode>`);
    }
    l(4, '<dkcc:CountryIdentificationCode scheme="iso3166-alpha2">DK</dkcc:CountryIdentificationCode>');
    l(3, '</xkom-1:AddressPostal>');
    l(2, '</PostalAddressInformation>');
  }
  if (spec.phone !== undefined || spec.email !== undefined || spec.website !== undefined) {
    l(2, '<VirtualAddressInformation>');
    if (spec.email !== undefined) l(3, `<xkom:EmailAddressIdentifier>${escapeXml(spec.email)}</xkom:EmailAddressIdentifier>`);
    if (spec.website !== undefined) l(3, `<Website>${escapeXml(spec.website)}</Website>`);
    if (spec.phone !== undefined) l(3, `<TelephoneNumberIdentifier>${spec.phone}</TelephoneNumberIdentifier>`);
    l(2, '</VirtualAddressInformation>');
  }
  const specialities = spec.specialities ?? [];
  if (specialities.length > 0) {
    l(2, '<ClinicalSpecialityCollection>');
    for (const code of specialities) {
      l(3, '<ClinicalSpeciality>');
      l(4, `<SpecialityCode>${code}</SpecialityCode>`);
      l(4, '<SpecialityType>51000095001</SpecialityType>');
      l(3, '</ClinicalSpeciality>');
    }
    l(2, '</ClinicalSpecialityCollection>');
  }
  status(2, spec.fromDate, spec.toDate);
  const replacedBy = spec.replacedBy ?? [];
  if (replacedBy.length > 0) {
    l(2, '<ReplacedByEntityCollection>');
    for (const s of replacedBy) l(3, `<SorIdentifier>${s}</SorIdentifier>`);
    l(2, '</ReplacedByEntityCollection>');
  }
  l(1, `</${data}>`);
  for (const child of spec.children ?? []) writeSorEntity(child, out, indent + 1);
  l(0, `</${wrapper}>`);
}
