import { describe, expect, it } from 'vitest';
import type { CustodyHolder } from '../../adapters/person-register/index.js';
import { type CustodyFact, type ScopeQuestion, ageOn, decideCitizenScope } from './scope.js';

const TODAY = '2026-12-02';
const PARENT = '1108854012'; // born 1985
const NOAH = '0209144026'; // born 2014-09-02: 12
const FREJA = '2811104038'; // born 2010-11-28: 16
const ADULT_CHILD = '0101084011'; // born 2008-01-01: 18
const TURNS_15_TOMORROW = '0312114015'; // born 2011-12-03: 14 today

const custody = (...holders: CustodyHolder[]): CustodyFact => ({ kind: 'known', holders });
const holder = (holderCpr: string, from: string | null = null, to: string | null = null): CustodyHolder => ({ holderCpr, from, to });
const ask = (over: Partial<ScopeQuestion>): ScopeQuestion => ({ callerCpr: PARENT, assurance: 'substantial', requestedCpr: NOAH, today: TODAY, ...over });

describe('ageOn', () => {
  it.each([
    [NOAH, 12],
    [FREJA, 16],
    [TURNS_15_TOMORROW, 14],
    [ADULT_CHILD, 18],
    ['1208117KD4', null],
  ])('%s is %s', (cpr, age) => expect(ageOn(cpr, TODAY)).toBe(age));
});

describe('decideCitizenScope', () => {
  it.each<[string, ScopeQuestion, CustodyFact | null, ReturnType<typeof decideCitizenScope>]>([
    ['own data from 15', ask({ callerCpr: FREJA, requestedCpr: FREJA }), null, { kind: 'self', cpr: FREJA }],
    ['own data at 14, the day before the 15th birthday', ask({ callerCpr: TURNS_15_TOMORROW, requestedCpr: TURNS_15_TOMORROW }), null, { kind: 'refused', reason: 'own-view-too-young' }],
    ['own data on the 15th birthday', ask({ callerCpr: TURNS_15_TOMORROW, requestedCpr: TURNS_15_TOMORROW, today: '2026-12-03' }), null, { kind: 'self', cpr: TURNS_15_TOMORROW }],
    ['NSIS low', ask({ callerCpr: FREJA, requestedCpr: FREJA, assurance: 'low' }), null, { kind: 'refused', reason: 'insufficient-assurance' }],
    ['NSIS high', ask({ callerCpr: FREJA, requestedCpr: FREJA, assurance: 'high' }), null, { kind: 'self', cpr: FREJA }],
    ['custody-holder of the child', ask({}), custody(holder(PARENT, '2014-09-02')), { kind: 'custody', childCpr: NOAH }],
    ['custody of a 16-year-old still counts', ask({ requestedCpr: FREJA }), custody(holder(PARENT)), { kind: 'custody', childCpr: FREJA }],
    ['another holder only', ask({}), custody(holder('2304824015')), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['no holders at all', ask({}), custody(), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['custody ended yesterday', ask({}), custody(holder(PARENT, '2014-09-02', '2026-12-01')), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['custody ends today (inclusive)', ask({}), custody(holder(PARENT, '2014-09-02', TODAY)), { kind: 'custody', childCpr: NOAH }],
    ['custody from tomorrow', ask({}), custody(holder(PARENT, '2026-12-03')), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['register could not say', ask({}), { kind: 'unknown' }, { kind: 'unavailable' }],
    ['register not asked yet', ask({}), null, { kind: 'unavailable' }],
    ['an adult: never in custody, whatever the register says', ask({ requestedCpr: ADULT_CHILD }), custody(holder(PARENT)), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['an adult while the register is down: refused, not unavailable', ask({ requestedCpr: ADULT_CHILD }), { kind: 'unknown' }, { kind: 'refused', reason: 'not-own-or-custody' }],
    ['a replacement CPR: no age, refused', ask({ requestedCpr: '1208117KD4' }), custody(holder(PARENT)), { kind: 'refused', reason: 'not-own-or-custody' }],
    ['custody at NSIS low', ask({ assurance: 'low' }), custody(holder(PARENT)), { kind: 'refused', reason: 'insufficient-assurance' }],
  ])('%s', (_name, question, fact, expected) => {
    expect(decideCitizenScope(question, fact)).toEqual(expected);
  });
});
