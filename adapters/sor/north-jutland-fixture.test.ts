import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { collectNorthJutland, NJ, northJutlandXml } from '../../fixtures/sor/north-jutland-model.js';
import { isValidGln } from '../../domain/identifiers.js';
import { checkParentCycles, resolveInheritedEans } from './inheritance.js';
import { FIXTURES, parseFixture } from '../../test/helpers/sor-parse.js';

describe('the North Jutland SOR fixture', () => {
  it('is exactly what the generator writes (not edited by hand, not stale)', async () => {
    expect(await readFile(FIXTURES + 'north-jutland.xml', 'utf8')).toBe(northJutlandXml());
  });

  it('starts with a BOM and the SOR namespace like the real export', async () => {
    const bytes = await readFile(FIXTURES + 'north-jutland.xml');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0"');
  });

  it('parses with the expected counts: 27 owners (region, 15 GPs, 11 municipalities), 15 ydernumre', async () => {
    const records = await parseFixture('north-jutland.xml');
    expect(collectNorthJutland(records)).toEqual({
      'institution-owner': 27, 'health-institution': 27, 'organisational-unit': 56, ydernumre: 15, ownEans: 39,
    });
    expect(records.filter((r) => r.ownerType === '547211000005108' && r.level === 'institution-owner').map((r) => r.municipalityCode))
      .toEqual(['851', '810', '813', '860', '849', '825', '846', '773', '840', '787', '820']);
    // Region code comes from EANs: only the three practices whose EAN sits on the unit lack it above the unit.
    const withoutRegion = records.filter((r) => r.regionCode !== '1081');
    expect(withoutRegion).toHaveLength(6);
    expect(withoutRegion.every((r) => r.ownerType === '550891000005100' && r.level !== 'organisational-unit')).toBe(true);
    expect(checkParentCycles(records)).toEqual([]);
  });

  it('has valid GS1 check digits on every EAN and 6-digit ydernumre', async () => {
    const records = await parseFixture('north-jutland.xml');
    for (const r of records) for (const e of r.eans) expect(isValidGln(e.ean), e.ean).toBe(true);
    for (const r of records) if (r.ydernummer !== null) expect(r.ydernummer).toMatch(/^0\d{5}$/);
  });

  it('nests the child psychiatry teams under Aalborg Universitetshospital; teams without EAN inherit the department', async () => {
    const records = await parseFixture('north-jutland.xml');
    const bySor = new Map(records.map((r) => [r.sor, r]));
    expect(bySor.get(NJ.childPsychiatry)).toMatchObject({ parentSor: NJ.hospital, name: 'Børne- og Ungdomspsykiatrisk Afdeling', specialities: ['394588006'] });
    expect(bySor.get(NJ.eatingDisorders)).toMatchObject({ parentSor: NJ.outpatientClinic, depth: 4 });
    const eans = resolveInheritedEans(records);
    const deptEan = bySor.get(NJ.childPsychiatry)?.eans[0]?.ean;
    expect(eans.get(NJ.teamAalborg)).toMatchObject([{ ean: deptEan, own: false, heldBy: NJ.childPsychiatry }]);
    expect(eans.get(NJ.teamThisted)).toMatchObject([{ own: true, heldBy: NJ.teamThisted }]);
    expect(bySor.get(NJ.teamFrederikshavnClosed)).toMatchObject({ validTo: '2024-12-31', replacedBy: [NJ.teamHjoerring] });
  });
});
