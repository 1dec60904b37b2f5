import { describe, expect, it } from 'vitest';
import { checkParentCycles, resolveInheritedEans } from './inheritance.js';
import { parseFixture } from '../../test/helpers/sor-parse.js';
import type { SorEanLocation } from './types.js';

function ean(code: string, extra: Partial<SorEanLocation> = {}): SorEanLocation {
  return {
    ean: code, onlyInternal: false, nonActive: false, systemSupplier: null, systemType: null, communicationSupplier: null,
    regionCode: null, ediAdministrator: null, eanRegional: null, validFrom: null, validTo: null, ...extra,
  };
}

describe('resolveInheritedEans', () => {
  it('gives the practice and its unit the owner EAN of the real ONE_PRAKSIS sample, marked inherited', async () => {
    const eans = resolveInheritedEans(await parseFixture('samples/ONE_PRAKSIS.xml'));
    expect(eans.get('8321000016007')).toEqual([
      { ean: '5790000141227', own: true, heldBy: '8321000016007', systemSupplier: '641000055002', ediAdministrativeCode: '116' },
    ]);
    expect(eans.get('8341000016002')).toEqual([
      { ean: '5790000141227', own: false, heldBy: '8321000016007', systemSupplier: '641000055002', ediAdministrativeCode: '116' },
    ]);
  });

  it('takes the nearest ancestor that has an EAN, and own EANs win', () => {
    const eans = resolveInheritedEans([
      { sor: 'a', parentSor: null, eans: [ean('5790001348120')] },
      { sor: 'b', parentSor: 'a', eans: [ean('5790002021442')] },
      { sor: 'c', parentSor: 'b', eans: [] },
      { sor: 'd', parentSor: 'c', eans: [] },
      { sor: 'e', parentSor: 'a', eans: [] },
    ]);
    expect(eans.get('b')?.map((e) => [e.ean, e.own])).toEqual([['5790002021442', true]]);
    expect(eans.get('d')?.map((e) => [e.ean, e.own, e.heldBy])).toEqual([['5790002021442', false, 'b']]);
    expect(eans.get('e')?.map((e) => e.heldBy)).toEqual(['a']);
  });

  it('skips EANs that SOR marks non-active and gives an empty list when nothing is left', () => {
    const eans = resolveInheritedEans([
      { sor: 'a', parentSor: null, eans: [ean('5790001348120')] },
      { sor: 'b', parentSor: 'a', eans: [ean('5790002021442', { nonActive: true })] },
      { sor: 'x', parentSor: null, eans: [] },
    ]);
    expect(eans.get('b')?.map((e) => [e.ean, e.heldBy])).toEqual([['5790001348120', 'a']]);
    expect(eans.get('x')).toEqual([]);
  });

  it('stops at a parent link that loops instead of hanging', () => {
    const eans = resolveInheritedEans([
      { sor: 'a', parentSor: 'b', eans: [] },
      { sor: 'b', parentSor: 'a', eans: [] },
    ]);
    expect(eans.get('a')).toEqual([]);
  });
});

describe('checkParentCycles', () => {
  it('finds nothing in a parsed tree', async () => {
    expect(checkParentCycles(await parseFixture('samples/ONE_SYGEHUS.xml'))).toEqual([]);
  });

  it('reports each loop once, starting from its smallest SOR code', () => {
    const cycles = checkParentCycles([
      { sor: '30', parentSor: '10' },
      { sor: '10', parentSor: '200' },
      { sor: '200', parentSor: '30' },
      { sor: '5', parentSor: '30' },
      { sor: '7', parentSor: '7' },
      { sor: '8', parentSor: null },
    ]);
    expect(cycles).toEqual([['10', '200', '30'], ['7']]);
  });

  it('follows an explicit parent reference over the nesting parent', () => {
    expect(checkParentCycles([
      { sor: '1', parentSor: null, declaredParentSor: '2' },
      { sor: '2', parentSor: '1' },
    ])).toEqual([['1', '2']]);
  });
});
