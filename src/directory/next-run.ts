/**
 * When a daily job set to a local wall-clock time next runs, in a named time zone, across
 * daylight-saving changes. Pure: no timers, no I/O.
 *
 * A time that does not exist that day (inside the spring-forward gap) runs as much later as the
 * gap is long (02:30 becomes 03:30 summer time); a time that occurs twice (autumn) runs at the
 * first occurrence only. This is what Temporal calls the 'compatible' disambiguation.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at `instant`, written as if it were UTC (epoch ms). */
function wallClock(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
}

/** Offset of `timeZone` from UTC at `instant`, in ms (Copenhagen: +1 h in winter, +2 h in summer). */
const offsetAt = (instant: number, timeZone: string) => wallClock(instant, timeZone) - Math.floor(instant / 1000) * 1000;

/** Parses `HH:MM` (24-hour clock); throws on anything else. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a time of day as HH:MM`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The first instant after `now` at which the clock in `timeZone` shows `timeOfDay` (HH:MM). */
export function nextRunAt(now: Date, timeOfDay: string, timeZone: string): Date {
  const { hour, minute } = parseTimeOfDay(timeOfDay);
  const today = new Date(wallClock(now.getTime(), timeZone));
  for (let day = 0; day <= 2; day += 1) {
    const wall = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + day, hour, minute);
    // The offsets in force half a day either side bracket any change of offset that day.
    const offsets = [...new Set([offsetAt(wall - 12 * 3_600_000, timeZone), offsetAt(wall + 12 * 3_600_000, timeZone)])];
    const exact = offsets.map((o) => wall - o).filter((t) => wallClock(t, timeZone) === wall);
    // No exact instant: the time fell into the gap; the offset before the change moves it on.
    const at = exact.length > 0 ? Math.min(...exact) : wall - (offsets[0] as number);
    if (at > now.getTime()) return new Date(at);
  }
  throw new Error(`no run time found after ${now.toISOString()}`);
}
