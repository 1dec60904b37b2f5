/**
 * When periodic jobs run: cron expressions in a named time zone, as pg-boss's scheduler reads
 * them (with cron-parser, the library pg-boss itself uses, so what is shown is what runs).
 */
import cronParser from 'cron-parser';

export interface JobSchedule {
  /** Five fields: minute hour day-of-month month day-of-week. */
  readonly cron: string;
  /** IANA zone the cron is read in (wall-clock time, across daylight-saving changes). */
  readonly timeZone: string;
}

export const COPENHAGEN = 'Europe/Copenhagen';

/** Parses `HH:MM` (24-hour clock); throws on anything else. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a time of day as HH:MM`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** Every day at a local time of day (HH:MM) in `timeZone`. */
export function dailyAt(timeOfDay: string, timeZone: string = COPENHAGEN): JobSchedule {
  const { hour, minute } = parseTimeOfDay(timeOfDay);
  return { cron: `${minute} ${hour} * * *`, timeZone };
}

/** Every `minutes` minutes (a divisor of 60), on the clock. */
export function everyMinutes(minutes: number, timeZone: string = COPENHAGEN): JobSchedule {
  if (!Number.isInteger(minutes) || minutes < 1 || 60 % minutes !== 0) throw new Error(`every ${minutes} minutes is not a divisor of an hour`);
  return { cron: minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`, timeZone };
}

/** The first run after `now`. A time inside the spring-forward gap runs as much later as the gap
 * is long; a time that occurs twice in autumn runs at its first occurrence only. */
export function nextRunAt(schedule: JobSchedule, now: Date): Date {
  return cronParser.parseExpression(schedule.cron, { tz: schedule.timeZone, currentDate: now }).next().toDate();
}

/** Throws when pg-boss would refuse the schedule. */
export function assertSchedule(schedule: JobSchedule): void {
  cronParser.parseExpression(schedule.cron, { tz: schedule.timeZone });
}
