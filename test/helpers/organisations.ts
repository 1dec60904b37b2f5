import type { Organisation } from '../../src/directory/model.js';

/** An organisation for tests and benchmarks: an owner without a parent, else a unit; no optional data. */
export function organisation(sor: string, parentSor: string | null, extra: Partial<Organisation> = {}): Organisation {
  return {
    sor,
    parentSor,
    level: parentSor === null ? 'institution-owner' : 'organisational-unit',
    name: `Org ${sor}`,
    unitType: null,
    ownerType: null,
    regionCode: null,
    municipalityCode: null,
    ydernummer: null,
    shakCode: null,
    validFrom: '2020-01-01',
    validTo: null,
    local: false,
    ...extra,
  };
}
