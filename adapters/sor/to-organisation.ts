/** Maps a parsed SOR record onto the directory's `Organisation` (pure; the importer stores it). */
import type { Organisation } from '../../src/directory/model.js';
import { ownerKindOf } from './owner-types.js';
import type { SorEntityRecord } from './types.js';

/**
 * `validFrom` falls back to SOR's `FirstFromDate` and then to `snapshotDate` (the entity is at
 * least valid in the snapshot that lists it). Owner types outside region/municipality/private
 * keep their SOR code.
 */
export function toOrganisation(record: SorEntityRecord, snapshotDate: string): Organisation {
  return {
    sor: record.sor,
    parentSor: record.parentSor,
    level: record.level,
    name: record.name,
    unitType: record.unitType,
    ownerType: ownerKindOf(record.ownerType) ?? record.ownerType,
    regionCode: record.regionCode,
    municipalityCode: record.municipalityCode,
    ydernummer: record.ydernummer,
    shakCode: record.shakCode,
    validFrom: record.validFrom ?? record.firstValidFrom ?? snapshotDate,
    validTo: record.validTo,
    local: false,
  };
}
