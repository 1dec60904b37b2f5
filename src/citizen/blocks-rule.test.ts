import { describe, expect, it } from 'vitest';
import { type Block, blocksAgainst, holdsHealthData } from './blocks-rule.js';

const PRACTICE = '9510411000016001';
const CLINIC = '9510431000016003'; // below PRACTICE
const OTHER = '9510011000016001';
const isWithin = (sor: string, root: string) => sor === root || (sor === CLINIC && root === PRACTICE);
const at = new Date('2026-06-01T12:00:00Z');
const party = { organisationSor: CLINIC, issuer: 'https://sts.example', subject: 'dr-a' };
const block = (b: Partial<Block> & Pick<Block, 'target'>): Block => ({ id: 'b', validFrom: new Date('2026-01-01T00:00:00Z'), validTo: null, ...b });

describe('blocksAgainst', () => {
  const cases: Array<[string, Block, boolean]> = [
    ['the caller’s own unit', block({ target: { kind: 'organisation', sor: CLINIC } }), true],
    ['an organisation above the caller (its subtree)', block({ target: { kind: 'organisation', sor: PRACTICE } }), true],
    ['another organisation', block({ target: { kind: 'organisation', sor: OTHER } }), false],
    ['the professional by issuer and subject', block({ target: { kind: 'professional', issuer: 'https://sts.example', subject: 'dr-a' } }), true],
    ['the same subject at another identity provider', block({ target: { kind: 'professional', issuer: 'https://other.example', subject: 'dr-a' } }), false],
    ['a colleague', block({ target: { kind: 'professional', issuer: 'https://sts.example', subject: 'dr-b' } }), false],
    ['not yet in force', block({ target: { kind: 'organisation', sor: CLINIC }, validFrom: new Date('2026-07-01T00:00:00Z') }), false],
    ['ended', block({ target: { kind: 'organisation', sor: CLINIC }, validTo: at }), false],
  ];
  it.each(cases)('%s', (_name, b, expected) => {
    expect(blocksAgainst([b], party, at, isWithin).length === 1).toBe(expected);
  });

  it('stops health data only: GP and child psychiatry, not the municipal PPR and family cases', () => {
    expect(['gp', 'child-psychiatry', 'ppr', 'family'].map((k) => holdsHealthData(k as never))).toEqual([true, true, false, false]);
  });
});
