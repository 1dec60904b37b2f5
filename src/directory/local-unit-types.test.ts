import { describe, expect, it } from 'vitest';
import { MUNICIPAL_LOCAL_UNIT_TYPES, isMunicipalLocalUnitType, selectorUnitType } from './local-unit-types.js';

const GP = '394761003';
const PSYCHIATRY = '554871000005105';
const PPR = '556841000005105';
const HEALTH_VISITORS = '554021000005101';
const ADMINISTRATIVE = '550811000005108';

describe('selectorUnitType', () => {
  const sor = { local: false };
  const local = { local: true };
  it.each([
    // subject, typed entity (itself or an ancestor), type counted
    ['SOR unit, its own GP type', sor, { local: false, unitType: GP }, GP],
    ['SOR unit, its own psychiatry type', sor, { local: false, unitType: PSYCHIATRY }, PSYCHIATRY],
    ['SOR unit without a type', sor, { local: false, unitType: null }, null],
    ['local unit, its own GP type', local, { local: true, unitType: GP }, null],
    ['local unit, its own psychiatry type', local, { local: true, unitType: PSYCHIATRY }, null],
    ['local unit, its own administrative type', local, { local: true, unitType: ADMINISTRATIVE }, null],
    ['local unit, its own free text type', local, { local: true, unitType: 'general-practice' }, null],
    ['local unit, its own PPR type', local, { local: true, unitType: PPR }, PPR],
    ['local unit, its own sundhedspleje type', local, { local: true, unitType: HEALTH_VISITORS }, HEALTH_VISITORS],
    ['local unit, its own broker code', local, { local: true, unitType: 'children-family' }, 'children-family'],
    ['local unit below a SOR unit of GP type', local, { local: false, unitType: GP }, null],
    ['local unit below the SOR PPR unit', local, { local: false, unitType: PPR }, PPR],
    ['SOR unit below a local unit of GP type (not possible in SOR, still denied)', sor, { local: true, unitType: GP }, null],
    ['local unit without a type', local, { local: true, unitType: null }, null],
  ] as const)('%s', (_name, subject, typed, expected) => {
    expect(selectorUnitType(subject, typed)).toBe(expected);
  });
});

describe('the municipal allow-list', () => {
  it('holds no health-sector type of the region or private practice', () => {
    for (const code of [GP, PSYCHIATRY, ADMINISTRATIVE, '22232009', '550851000005109', '550671000005100']) {
      expect(isMunicipalLocalUnitType(code)).toBe(false);
    }
  });
  it('names a source for each code', () => {
    for (const t of MUNICIPAL_LOCAL_UNIT_TYPES) {
      expect(t.source === 'sor-snomed' ? /^\d{6,18}$/.test(t.code) : /^[a-z-]+$/.test(t.code)).toBe(true);
    }
  });
});
