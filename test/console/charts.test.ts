/** The chart geometry and the dashboard's counting, pure, by tables. */
import { describe, expect, it } from 'vitest';
import { barLayout, DEFAULT_PLOT, lineLayout, niceStep, pathOf, valueTicks, yOf } from '../../src/console/charts/geometry.js';
import { daysBetween, OTHERS, summarise } from '../../src/console/dashboard/summary.js';
import type { ProjectedRecord } from '../../src/audit/projection.js';

const plot = { width: 200, height: 120, left: 20, right: 0, top: 10, bottom: 10 }; // inner 180 x 100

describe('chart geometry', () => {
  it.each([
    [0.3, 0.5], [1, 1], [1.2, 2], [2, 2], [3, 5], [7, 10], [12, 20], [450, 500], [0, 1], [-4, 1],
  ])('niceStep(%s) = %s', (raw, step) => expect(niceStep(raw)).toBe(step));

  it.each([
    [0, [0, 1]],
    [3, [0, 1, 2, 3]],
    [10, [0, 5, 10]],
    [11, [0, 5, 10, 15]],
    [37, [0, 10, 20, 30, 40]],
    [100, [0, 50, 100]],
  ])('valueTicks(%s) = %j: from 0 to a round value at or above the maximum', (max, ticks) => expect(valueTicks(max)).toEqual(ticks));

  it.each([
    [0, 110], [50, 60], [100, 10], [150, -40], [-5, 110],
  ])('yOf(%s) on a 0-100 axis', (value, y) => expect(yOf(plot, 100, value)).toBe(y));

  it('lays out grouped bars: one band per category, 80 % of it split between the series', () => {
    const layout = barLayout(plot, 2, [{ name: 'a', values: [10, 5] }, { name: 'b', values: [0, 10] }]);
    expect(layout.max).toBe(10);
    expect(layout.categoryX).toEqual([65, 155]);
    expect(layout.bars.map((b) => [b.series, b.category, b.x, b.y, b.width, b.height])).toEqual([
      [0, 0, 29, 10, 36, 100],
      [0, 1, 119, 60, 36, 50],
      [1, 0, 65, 110, 36, 0],
      [1, 1, 155, 10, 36, 100],
    ]);
    expect(layout.ticks.map((t) => [t.value, t.y])).toEqual([[0, 110], [5, 60], [10, 10]]);
  });

  it('puts line points at the band centres, on a fixed 0-100 axis for shares', () => {
    const layout = lineLayout(plot, 3, [{ name: 'src', values: [100, 50, 0] }], 100);
    expect(layout.lines[0]?.points).toEqual([{ x: 50, y: 10, value: 100, category: 0 }, { x: 110, y: 60, value: 50, category: 1 }, { x: 170, y: 110, value: 0, category: 2 }]);
    expect(pathOf(layout.lines[0]?.points ?? [])).toBe('M50 10 L110 60 L170 110');
  });

  it('leaves a gap in a line where a value is missing (NaN)', () => {
    const layout = lineLayout(plot, 4, [{ name: 'src', values: [100, Number.NaN, 50, 50] }], 100);
    expect(layout.lines[0]?.points.map((p) => p.category)).toEqual([0, 2, 3]);
    expect(pathOf(layout.lines[0]?.points ?? [])).toBe('M42.5 10 M132.5 60 L177.5 60');
  });

  it('an empty chart still has an axis', () => {
    const layout = barLayout(DEFAULT_PLOT, 0, []);
    expect(layout.bars).toEqual([]);
    expect(layout.ticks.map((t) => t.value)).toEqual([0, 1]);
  });
});

const rec = (over: Partial<ProjectedRecord> & Pick<ProjectedRecord, 'kind' | 'occurredAt'>): ProjectedRecord => ({
  id: 'x', seq: '1', recordedAt: over.occurredAt, outcome: 'success', requestId: null,
  actor: { issuer: null, subject: null, name: null, role: 'clinician', organisation: 'A', assurance: null, callingSystem: null },
  purpose: null, reason: null, patientCpr: null, details: {}, visibility: 'full', ...over,
});

describe('dashboard counting', () => {
  it('counts Danish calendar days, across the change to winter time', () => {
    expect(daysBetween(new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T21:00:00Z'))).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
  });

  it('counts lookups per caller per day, messages per party, denials by reason, and answered shares per source', () => {
    const days = ['2026-12-01', '2026-12-02'];
    const summary = summarise(
      [
        // 23:30 UTC on 1 December is 2 December in Denmark.
        rec({ kind: 'lookup', occurredAt: '2026-12-01T23:30:00Z', details: { sources: [{ sourceId: 's1', status: 'found' }, { sourceId: 's2', status: 'denied', deniedBecause: ['no-agreement'] }] } }),
        rec({ kind: 'lookup', occurredAt: '2026-12-01T10:00:00Z', details: { sources: [{ sourceId: 's1', status: 'timeout' }, { sourceId: 's1', status: 'not-found' }] } }),
        rec({ kind: 'lookup', occurredAt: '2026-12-01T11:00:00Z', actor: { ...rec({ kind: 'lookup', occurredAt: '' }).actor, organisation: 'B' }, details: { sources: [{ sourceId: 's2', status: 'denied', deniedBecause: ['no-agreement', 'purpose-not-covered'] }] } }),
        rec({ kind: 'correspondence-sent', occurredAt: '2026-12-02T09:00:00Z' }),
        rec({ kind: 'correspondence-sent', occurredAt: '2026-12-02T09:00:00Z', outcome: 'denied' }),
        rec({ kind: 'correspondence-received', occurredAt: '2026-12-01T09:00:00Z', actor: { ...rec({ kind: 'lookup', occurredAt: '' }).actor, organisation: 'GW', role: 'medcom-gateway' }, details: { receiverSor: 'C' } }),
        rec({ kind: 'audit-search', occurredAt: '2026-12-01T09:00:00Z' }),
      ],
      days,
    );
    expect(summary.lookups).toEqual([{ key: 'A', values: [1, 1] }, { key: 'B', values: [1, 0] }]);
    expect(summary.messages).toEqual([{ key: 'A', values: [0, 1] }, { key: 'C', values: [1, 0] }]);
    expect(summary.denials).toEqual([{ reason: 'no-agreement', count: 2 }, { reason: 'purpose-not-covered', count: 1 }]);
    expect(summary.availability).toEqual([{ key: 's1', values: [50, 100] }]);
  });

  it('keeps the busiest series and sums the rest as others', () => {
    const records = ['A', 'A', 'A', 'B', 'B', 'C', 'D'].map((o) => rec({ kind: 'lookup', occurredAt: '2026-12-01T10:00:00Z', actor: { ...rec({ kind: 'lookup', occurredAt: '' }).actor, organisation: o } }));
    expect(summarise(records, ['2026-12-01'], 2).lookups).toEqual([{ key: 'A', values: [3] }, { key: 'B', values: [2] }, { key: OTHERS, values: [2] }]);
  });
});
