import { describe, expect, it } from 'vitest';
import { dailyAt, everyMinutes, nextRunAt, parseTimeOfDay } from './schedule.js';

const CPH = 'Europe/Copenhagen';
const next = (now: string, at = '03:30', tz = CPH) => nextRunAt(dailyAt(at, tz), new Date(now)).toISOString();

describe('a daily job at a Copenhagen wall-clock time', () => {
  it('runs later today, or tomorrow once today’s time has passed', () => {
    // Winter: Copenhagen is UTC+1.
    expect(next('2026-11-23T01:00:00Z')).toBe('2026-11-23T02:30:00.000Z');
    expect(next('2026-11-23T02:30:00Z')).toBe('2026-11-24T02:30:00.000Z');
    expect(next('2026-11-23T21:00:00Z')).toBe('2026-11-24T02:30:00.000Z');
    // Summer: UTC+2.
    expect(next('2026-07-01T00:00:00Z')).toBe('2026-07-01T01:30:00.000Z');
  });

  it('uses the local date, not the UTC date, near midnight', () => {
    // 23:30 UTC on 23 November is already 00:30 on the 24th in Copenhagen.
    expect(next('2026-11-23T23:30:00Z', '00:45')).toBe('2026-11-23T23:45:00.000Z');
    expect(next('2026-11-23T23:30:00Z', '00:15')).toBe('2026-11-24T23:15:00.000Z');
  });

  it('keeps the local time across the spring and autumn changes', () => {
    // 29 March 2026: clocks go from 02:00 CET to 03:00 CEST.
    expect(next('2026-03-28T03:00:00Z')).toBe('2026-03-29T01:30:00.000Z');
    expect(next('2026-03-29T01:30:00Z')).toBe('2026-03-30T01:30:00.000Z');
    // 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET.
    expect(next('2026-10-24T02:00:00Z')).toBe('2026-10-25T02:30:00.000Z');
    expect(next('2026-10-25T02:30:00Z')).toBe('2026-10-26T02:30:00.000Z');
  });

  it('moves a time inside the spring gap on by the gap, and runs a repeated autumn time once', () => {
    // 02:30 does not exist on 29 March: it runs at 03:30 CEST (01:30 UTC).
    expect(next('2026-03-28T12:00:00Z', '02:30')).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 25 October: the first (CEST, 00:30 UTC) only.
    expect(next('2026-10-24T12:00:00Z', '02:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(next('2026-10-25T00:30:00Z', '02:30')).toBe('2026-10-26T01:30:00.000Z');
  });

  it('works in other zones and refuses malformed times', () => {
    expect(next('2026-11-23T01:00:00Z', '03:30', 'UTC')).toBe('2026-11-23T03:30:00.000Z');
    expect(dailyAt('03:30')).toEqual({ cron: '30 3 * * *', timeZone: CPH });
    expect(() => parseTimeOfDay('3:30')).toThrow(/HH:MM/);
    expect(() => parseTimeOfDay('24:00')).toThrow(/HH:MM/);
  });
});

describe('a job every few minutes', () => {
  it('runs on the clock, and refuses an interval that does not divide the hour', () => {
    expect(everyMinutes(5)).toEqual({ cron: '*/5 * * * *', timeZone: CPH });
    expect(nextRunAt(everyMinutes(5), new Date('2026-11-23T01:02:03Z')).toISOString()).toBe('2026-11-23T01:05:00.000Z');
    expect(everyMinutes(1).cron).toBe('* * * * *');
    expect(() => everyMinutes(7)).toThrow(/divisor/);
  });
});
