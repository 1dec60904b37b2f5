import { describe, it, expect } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { createMemoryDirectoryView } from './memory-view.js';
import type { Organisation } from './model.js';

const org = organisation;

const REGION = '1000000000001';
const HOSPITAL = '1000000000002';
const DEPT = '1000000000003';
const TEAM = '1000000000004';
const OTHER = '1000000000009';

const view = createMemoryDirectoryView([
  org(REGION, null, { regionCode: '1081', ownerType: 'region' }),
  org(HOSPITAL, REGION, { level: 'health-institution', municipalityCode: '851' }),
  org(DEPT, HOSPITAL, { validFrom: '2026-01-01', validTo: '2026-12-01' }),
  org(TEAM, DEPT, { municipalityCode: '813' }),
  org(OTHER, null, { regionCode: '1084' }),
]);

describe('createMemoryDirectoryView', () => {
  it('lists ancestors nearest first', () => {
    expect(view.ancestors(TEAM).map((o) => o.sor)).toEqual([DEPT, HOSPITAL, REGION]);
    expect(view.ancestors(REGION)).toEqual([]);
    expect(view.ancestors('999')).toEqual([]);
  });

  it('knows what lies within a subtree', () => {
    expect(view.isWithin(TEAM, REGION)).toBe(true);
    expect(view.isWithin(TEAM, TEAM)).toBe(true);
    expect(view.isWithin(TEAM, OTHER)).toBe(false);
    expect(view.isWithin(REGION, TEAM)).toBe(false);
  });

  it('inherits region and municipality from the nearest ancestor that has one', () => {
    expect(view.regionOf(TEAM)).toBe('1081');
    expect(view.municipalityOf(DEPT)).toBe('851');
    expect(view.municipalityOf(TEAM)).toBe('813');
    expect(view.municipalityOf(REGION)).toBeNull();
  });

  it('treats validFrom as inclusive and validTo as exclusive', () => {
    expect(view.isActive(DEPT, new Date('2025-12-31T23:59:59Z'))).toBe(false);
    expect(view.isActive(DEPT, new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(view.isActive(DEPT, new Date('2026-11-30T23:59:59Z'))).toBe(true);
    expect(view.isActive(DEPT, new Date('2026-12-01T00:00:00Z'))).toBe(false);
    expect(view.isActive('999', new Date('2026-06-01'))).toBe(false);
  });

  it('lists direct children', () => {
    expect(view.children(HOSPITAL).map((o) => o.sor)).toEqual([DEPT]);
  });

  it('rejects a snapshot with a duplicate SOR code', () => {
    expect(() => createMemoryDirectoryView([org(REGION, null), org(REGION, null)])).toThrow(/duplicate/);
  });

  it('ends the ancestor chain at a cycle instead of hanging', () => {
    const cyclic = createMemoryDirectoryView([org('1', '2'), org('2', '1')]);
    expect(cyclic.ancestors('1').map((o) => o.sor)).toEqual(['2']);
    expect(cyclic.ancestors('2').map((o) => o.sor)).toEqual(['1']);
    expect(cyclic.isWithin('1', '3')).toBe(false);
  });
});
