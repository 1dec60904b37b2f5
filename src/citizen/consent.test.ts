import { describe, expect, it } from 'vitest';
import { type Consent, consentCovers } from './consent.js';

const HV = '9520031000016003'; // recipient unit
const HV_TEAM = '9520031000016099'; // below it
const OTHER = '9520331000016003';
const BUP = '9500031000016003';
const BUP_TEAM = '9500041000016004';
const tree: Record<string, string[]> = { [HV_TEAM]: [HV], [BUP_TEAM]: [BUP] };
const isWithin = (sor: string, root: string) => sor === root || (tree[sor] ?? []).includes(root);

const base: Consent = {
  id: 'c1',
  givenBy: { relationship: 'custody-holder', name: 'Mette' },
  purposes: ['coordinated-care'],
  recipients: [HV],
  custodians: [BUP],
  validFrom: '2026-01-01T00:00:00Z',
  validTo: '2027-01-01T00:00:00Z',
  withdrawnAt: null,
};
const q = { recipientSor: HV, custodianSor: BUP, purpose: 'coordinated-care', at: new Date('2026-06-01T00:00:00Z'), isWithin };

describe('consentCovers', () => {
  const cases: Array<[string, Partial<Consent>, Partial<typeof q>, boolean]> = [
    ['in force, right purpose and parties', {}, {}, true],
    ['a unit below the recipient', {}, { recipientSor: HV_TEAM }, true],
    ['a unit below the custodian', {}, { custodianSor: BUP_TEAM }, true],
    ['another purpose than the lookup is made for', { purposes: ['treatment'] }, {}, false],
    ['another recipient', {}, { recipientSor: OTHER }, false],
    ['another custodian', {}, { custodianSor: OTHER }, false],
    ['not yet valid', { validFrom: '2026-07-01T00:00:00Z' }, {}, false],
    ['valid from exactly now', { validFrom: '2026-06-01T00:00:00Z' }, {}, true],
    ['ended (validTo exclusive)', { validTo: '2026-06-01T00:00:00Z' }, {}, false],
    ['open-ended', { validTo: null }, {}, true],
    ['withdrawn before', { withdrawnAt: '2026-05-31T23:59:59Z' }, {}, false],
    ['withdrawn exactly now', { withdrawnAt: '2026-06-01T00:00:00Z' }, {}, false],
    ['withdrawn later (a decision before the withdrawal)', { withdrawnAt: '2026-06-02T00:00:00Z' }, {}, true],
    ['an unreadable start never counts', { validFrom: 'yesterday' }, {}, false],
    ['an unreadable withdrawal never counts', { withdrawnAt: 'soon' }, {}, false],
    ['no recipients', { recipients: [] }, {}, false],
  ];
  it.each(cases)('%s', (_name, consent, question, expected) => {
    expect(consentCovers({ ...base, ...consent }, { ...q, ...question })).toBe(expected);
  });
});
