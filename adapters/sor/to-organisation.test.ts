import { describe, expect, it } from 'vitest';
import { NJ } from '../../fixtures/sor/north-jutland-model.js';
import { parseFixture } from '../../test/helpers/sor-parse.js';
import { toOrganisation } from './to-organisation.js';

describe('toOrganisation', () => {
  it('maps the real GP practice unit with owner kind, region and ydernummer', async () => {
    const [, , unit] = await parseFixture('samples/ONE_PRAKSIS.xml');
    if (unit === undefined) throw new Error('sample has three entities');
    expect(toOrganisation(unit, '2010-01-26')).toEqual({
      sor: '8341000016002', parentSor: '8331000016009', level: 'organisational-unit', name: 'Michael Filtenborg',
      unitType: null, ownerType: 'private', regionCode: '1084', municipalityCode: null, ydernummer: '019062',
      shakCode: null, validFrom: '1999-03-25', validTo: null, local: false,
    });
  });

  it('gives a North Jutland team its municipality and the region as owner kind', async () => {
    const team = (await parseFixture('north-jutland.xml')).find((r) => r.sor === NJ.teamHjoerring);
    if (team === undefined) throw new Error('fixture has Team Hjørring');
    expect(toOrganisation(team, '2026-11-23')).toMatchObject({ ownerType: 'region', regionCode: '1081', municipalityCode: '860', shakCode: '8001005' });
  });

  it('falls back to the snapshot date when SOR gives no dates', async () => {
    const [owner] = await parseFixture('samples/ONE_PRAKSIS.xml');
    if (owner === undefined) throw new Error('sample has an owner');
    expect(toOrganisation({ ...owner, validFrom: null, firstValidFrom: null }, '2026-11-23').validFrom).toBe('2026-11-23');
  });
});
