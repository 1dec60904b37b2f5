import { describe, expect, it } from 'vitest';
import { type AnomalyFinding, danishDate, dedupeKey, explainFinding } from './anomaly.js';

const base: AnomalyFinding = {
  rule: 'distinct-children-per-day',
  subjectIssuer: 'https://idp.aalborg.example',
  subjectUser: 'u-7',
  subjectName: 'Karen Holm',
  organisationSor: '9520041000016004',
  periodStart: new Date('2026-12-01T23:00:00Z'),
  periodEnd: new Date('2026-12-02T23:00:00Z'),
  auditEventIds: ['a', 'b', 'c'],
  count: 42,
  limit: 30,
};

describe('anomaly explanations (Danish)', () => {
  it.each<[string, Partial<AnomalyFinding>, string]>([
    ['children per day, on the Copenhagen date', {}, 'Bruger Karen Holm hos 9520041000016004 slog 42 forskellige børn op den 2. december 2026 (grænse 30).'],
    ['a user without a name goes by its id', { subjectName: null }, 'Bruger u-7 hos 9520041000016004 slog 42 forskellige børn op den 2. december 2026 (grænse 30).'],
    ['denials per hour, Copenhagen hour', { rule: 'denials-per-hour', count: 6, limit: 5, periodStart: new Date('2026-12-02T13:00:00Z') }, 'Bruger Karen Holm hos 9520041000016004 fik 6 opslag afvist i timen fra 2. december 2026 kl. 14 (grænse 5).'],
    [
      'organisations per child names no child',
      { rule: 'organisations-per-child', subjectName: null, subjectUser: null, count: 5, limit: 4, periodStart: new Date('2026-12-02T00:00:00Z'), periodEnd: new Date('2026-12-03T00:00:00Z') },
      'Samme barn blev slået op fra 5 forskellige organisationer mellem 2. december 2026 kl. 01 og 3. december 2026 kl. 01 (grænse 4); 3 af opslagene kom fra 9520041000016004.',
    ],
    [
      'off hours, with the working hours',
      { rule: 'off-hours', count: 3, workingHours: { start: 7, end: 19 } },
      'Bruger Karen Holm hos 9520041000016004 lavede 3 opslag uden for normal arbejdstid (07-19 på hverdage) den 2. december 2026.',
    ],
    [
      'no follow-up, one child',
      { rule: 'no-follow-up', count: 1, followUpDays: 14 },
      'Bruger Karen Holm hos 9520041000016004 slog et barn op den 2. december 2026, uden at organisationen inden for 14 dage skrev eller modtog en korrespondancemeddelelse om barnet eller fandt en sag hos en kilde.',
    ],
    [
      'no follow-up, several children',
      { rule: 'no-follow-up', count: 3, followUpDays: 7 },
      'Bruger Karen Holm hos 9520041000016004 slog 3 børn op den 2. december 2026, uden at organisationen inden for 7 dage skrev eller modtog en korrespondancemeddelelse om børnene eller fandt en sag hos en kilde.',
    ],
  ])('%s', (_name, change, text) => {
    expect(explainFinding({ ...base, ...change })).toBe(text);
  });

  it('dates in Copenhagen time, across the summer-time change', () => {
    expect(danishDate(new Date('2026-07-01T22:30:00Z'))).toBe('2. juli 2026');
    expect(danishDate(new Date('2026-01-01T22:30:00Z'), true)).toBe('1. januar 2026 kl. 23');
  });

  it('keys a flag by rule, subject and period, and a child only by what the caller passes', () => {
    expect(dedupeKey(base)).toBe(dedupeKey({ ...base }));
    expect(dedupeKey(base)).not.toBe(dedupeKey({ ...base, periodStart: new Date('2026-12-02T23:00:00Z') }));
    expect(dedupeKey(base, 'h1')).not.toBe(dedupeKey(base, 'h2'));
  });
});
