import { describe, expect, it } from 'vitest';
import type { AgreementTerms } from '../agreements/model.js';
import type { ListRow } from '../agreements/store.js';
import { applyConsoleFilters, parseOverviewFilters, parseParties, termsDiff } from './agreement-view.js';

const terms: AgreementTerms = {
  title: 'GP and BUP',
  sideA: { parties: [{ kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } }], approvingOrganisationSor: '9500011000016001' },
  sideB: { parties: [{ kind: 'unit', sor: '9500031000016003' }], approvingOrganisationSor: '9500021000016002' },
  dataElements: ['case-existence'],
  direction: 'mutual',
  purposes: ['treatment'],
  roles: ['clinician'],
  minimumAssurance: 'substantial',
  legalBasis: { code: 'sundhedsloven-41' as AgreementTerms['legalBasis']['code'], reference: '§ 41' },
  period: { validFrom: '2026-01-01', validTo: '2026-12-31' },
};
const row = (t: AgreementTerms): ListRow => ({ agreement: { ...t, id: 'x', version: 1, status: 'active', approvals: [], amends: null }, status: 'active', latestVersion: 1, rowVersion: 1, updatedAt: new Date(), sortKey: '' });

describe('parseOverviewFilters', () => {
  it('takes the API filters and the sort from the URL, ignoring empty fields', () => {
    const f = parseOverviewFilters(new URLSearchParams('party=9500011000016001&includeSubtree=true&status=active&action=&sort=-validTo&expiringWithinDays=30'));
    expect(f.query).toEqual({ party: { sor: '9500011000016001', includeSubtree: true }, status: 'active', expiringWithinDays: 30 });
    expect(f.options).toEqual({ sort: 'validTo', descending: true });
  });
  it('drops an invalid filter set rather than widening silently into an error', () => {
    const f = parseOverviewFilters(new URLSearchParams('status=bogus&sort=title'));
    expect(f.query).toEqual({});
    expect(f.params).toEqual({ sort: 'title' });
  });
});

describe('applyConsoleFilters', () => {
  it.each([
    [{ unitType: '394761003' }, true],
    [{ unitType: '12345' }, false],
    [{ unitType: 'BUP' }, true], // the named unit's own type
    [{ validAt: new Date('2026-06-01T12:00:00Z') }, true],
    [{ validAt: new Date('2027-01-01T12:00:00Z') }, false],
    [{ validAt: new Date('2025-12-31T12:00:00Z') }, false],
  ] as const)('%o -> kept %s', (filter, kept) => {
    const out = applyConsoleFilters([row(terms)], { unitType: undefined, validAt: undefined, ...filter }, (sor) => (sor === '9500031000016003' ? 'BUP' : null));
    expect(out.length === 1).toBe(kept);
  });
});

describe('termsDiff', () => {
  it('names each changed field with before and after, and nothing else', () => {
    const after = { ...terms, purposes: ['treatment', 'referral'] as AgreementTerms['purposes'], period: { validFrom: '2026-01-01', validTo: null } };
    expect(termsDiff(terms, after)).toEqual([
      { field: 'purposes', before: 'treatment', after: 'referral, treatment' },
      { field: 'period', before: '2026-01-01 – 2026-12-31', after: '2026-01-01 – …' },
    ]);
    expect(termsDiff(terms, terms)).toEqual([]);
  });
});

describe('parseParties', () => {
  it('reads the CSV notation, one per line', () => {
    expect(parseParties('unit:9500031000016003\nsubtree:9520011000016001\nunit-type:394761003@region:1081\n')).toEqual([
      { kind: 'unit', sor: '9500031000016003' },
      { kind: 'subtree', sor: '9520011000016001' },
      { kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } },
    ]);
  });
  it('names the first line it cannot read', () => {
    expect(parseParties('unit:95\nx')).toEqual({ error: 'unit:95' });
  });
});
