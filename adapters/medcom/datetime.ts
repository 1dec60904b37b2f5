/** Tolerant reading of FHIR dateTime values as real senders write them. */

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export interface ReadDateTime {
  /** The value in FHIR dateTime form (offset kept), or the input when not recognised. */
  readonly value: string;
  /** What was irregular, without echoing the value. */
  readonly note?: string;
}

export function readDateTime(raw: string, field: string): ReadDateTime {
  const trimmed = raw.trim();
  if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(trimmed)) return { value: trimmed };
  const m = DATE_TIME.exec(trimmed);
  if (!m) return { value: raw, note: `${field}: not a recognisable dateTime` };
  const [, date, hh, mm, ss, fraction, zone] = m;
  const odd: string[] = [];
  if (ss === undefined) odd.push('seconds missing');
  let frac = '';
  if (fraction !== undefined) {
    if (fraction.length > 3) odd.push('more than millisecond precision truncated');
    frac = `.${fraction.slice(0, 3)}`;
  }
  let offset = zone ?? '';
  if (!zone) odd.push('no time zone offset');
  else if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = digits.length >= 5 ? Number(digits.slice(3, 5)) : 0;
    if (digits.length < 5 || !zone.includes(':')) odd.push('offset written without colon or minutes');
    if (hours > 14 || minutes >= 60 || (digits[0] === '-' && hours === 0 && minutes === 0)) odd.push('unusual offset');
    offset = `${digits[0]}${digits.slice(1, 3)}:${String(minutes).padStart(2, '0')}`;
  }
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? '0') > 60) {
    return { value: raw, note: `${field}: time out of range` };
  }
  const value = `${date}T${hh}:${mm}:${ss ?? '00'}${frac}${offset}`;
  return odd.length > 0 ? { value, note: `${field}: ${odd.join(', ')}` } : { value };
}

/** FHIR instant/dateTime text for a clock reading, in UTC. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
