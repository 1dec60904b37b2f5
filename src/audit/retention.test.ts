import { describe, expect, it } from 'vitest';
import { AUDIT_KINDS } from './audit-event.js';
import { DEFAULT_RETENTION, RETENTION_CLASS_OF, dueForExpiry, expiresAt, kindsByClass, monthsToCreate, parseClassTable, parseRetentionPolicy } from './retention.js';

describe('audit retention', () => {
  it('gives every audit kind a class, access records five years by default', () => {
    for (const kind of AUDIT_KINDS) expect(RETENTION_CLASS_OF[kind]).toBeDefined();
    expect(kindsByClass().access).toEqual(['lookup', 'correspondence-read', 'citizen-withholding', 'citizen-block']);
    expect(DEFAULT_RETENTION.access).toBe(60);
  });

  it.each<[string, { year: number; month: number }, 'access' | 'directory' | 'integrity' | 'unclassified', string | null]>([
    ['a month of access records goes five years after its end', { year: 2020, month: 1 }, 'access', '2025-02-01T00:00:00.000Z'],
    ['December rolls into the next year', { year: 2020, month: 12 }, 'access', '2026-01-01T00:00:00.000Z'],
    ['directory changes kept 12 months', { year: 2020, month: 2 }, 'directory', '2021-03-01T00:00:00.000Z'],
    ['the expiries themselves are kept', { year: 2020, month: 1 }, 'integrity', null],
    ['kinds no class names are kept', { year: 2020, month: 1 }, 'unclassified', null],
  ])('%s', (_name, month, cls, at) => {
    expect(expiresAt(month, cls, { ...DEFAULT_RETENTION, directory: 12 })?.toISOString() ?? null).toBe(at);
  });

  it('is due only once the retention has run out, oldest first', () => {
    const parts = [
      { month: { year: 2020, month: 2 }, cls: 'access' as const },
      { month: { year: 2020, month: 1 }, cls: 'access' as const },
    ];
    expect(dueForExpiry(parts, DEFAULT_RETENTION, new Date('2025-01-31T23:59:59Z'))).toEqual([]);
    expect(dueForExpiry(parts, DEFAULT_RETENTION, new Date('2025-02-01T00:00:00Z'))).toEqual([parts[1]]);
    expect(dueForExpiry(parts, DEFAULT_RETENTION, new Date('2025-03-01T00:00:00Z'))).toEqual([parts[1], parts[0]]);
  });

  it('makes this month and the next ones', () => {
    expect(monthsToCreate(new Date('2026-11-30T23:00:00Z'), 2)).toEqual([{ year: 2026, month: 11 }, { year: 2026, month: 12 }, { year: 2027, month: 1 }]);
  });

  it('reads partition names back, and nothing else', () => {
    expect(parseClassTable('audit_event_2026_12_access')).toEqual({ month: { year: 2026, month: 12 }, cls: 'access' });
    expect(parseClassTable('audit_event_2026_12_unclassified')?.cls).toBe('unclassified');
    expect(parseClassTable('audit_event_2026_12')).toBeNull();
    expect(parseClassTable('audit_event_2026_12_secret')).toBeNull();
  });

  it.each<[string, string, Partial<Record<string, number | null>>, number]>([
    ['empty: the defaults', '', {}, 0],
    ['months and never', 'directory=24, oversight=never', { directory: 24, oversight: null, access: 60 }, 0],
    ['an unknown class', 'children=10', {}, 1],
    ['zero months', 'access=0', {}, 1],
    ['the expiries cannot expire', 'integrity=12', {}, 1],
  ])('parses BROKER_AUDIT_RETENTION_MONTHS: %s', (_name, text, expected, problemCount) => {
    const problems: string[] = [];
    expect(parseRetentionPolicy(text, problems)).toMatchObject(expected);
    expect(problems).toHaveLength(problemCount);
  });
});
