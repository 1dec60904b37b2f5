/**
 * The dashboard's numbers, pure: from audit records as the auditor's projection lets the signed-in
 * organisation see them (projection.ts), lookups and messages per day per organisation, denials
 * by reason, and per day the share of source calls that got an answer. Days are Danish calendar
 * days (Europe/Copenhagen), the users' days.
 */
import type { ProjectedRecord } from '../../audit/projection.js';

export interface DaySeries {
  readonly key: string;
  readonly values: readonly number[];
}

export interface DashboardSummary {
  readonly days: readonly string[];
  /** Per calling organisation, lookups per day; the busiest first. */
  readonly lookups: readonly DaySeries[];
  /** Per organisation (the sender of a sent message, the receiver of a received one), per day. */
  readonly messages: readonly DaySeries[];
  /** Denial reason codes of the sources that were denied, most frequent first. */
  readonly denials: readonly { readonly reason: string; readonly count: number }[];
  /** Per source, the share (0-100, whole per cent) of its calls that got an answer; null: not called that day. */
  readonly availability: readonly { readonly key: string; readonly values: readonly (number | null)[] }[];
}

const DAY = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' });
export const danishDay = (at: Date): string => DAY.format(at);

/** The Danish days from `from` to `to` inclusive, oldest first. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  // Noon steps never skip or repeat a day across a daylight-saving change.
  for (let t = from.getTime(); t <= to.getTime() + 12 * 3_600_000; t += 86_400_000) {
    const d = danishDay(new Date(t));
    if (days.at(-1) !== d && d <= danishDay(to)) days.push(d);
  }
  return days;
}

/** A source answered when it returned data or said it had none; denied calls were never asked. */
const ANSWERED = new Set(['found', 'not-found']);
const MESSAGE_KINDS = new Set(['correspondence-sent', 'correspondence-received']);

function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

class Counter {
  readonly byKey = new Map<string, number[]>();
  constructor(private readonly days: readonly string[]) {}
  add(key: string, day: string, by = 1): void {
    const i = this.days.indexOf(day);
    if (i < 0) return;
    let row = this.byKey.get(key);
    if (!row) this.byKey.set(key, (row = this.days.map(() => 0)));
    row[i] = (row[i] ?? 0) + by;
  }
  /** The `top` largest series by total, the rest summed as `otherKey`. */
  series(top: number, otherKey: string): DaySeries[] {
    const all = [...this.byKey].map(([key, values]) => ({ key, values, total: values.reduce((a, b) => a + b, 0) }));
    all.sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1));
    const kept = all.slice(0, top).map(({ key, values }) => ({ key, values }));
    const rest = all.slice(top);
    if (rest.length > 0) kept.push({ key: otherKey, values: this.days.map((_, i) => rest.reduce((a, r) => a + (r.values[i] ?? 0), 0)) });
    return kept;
  }
}

export const OTHERS = '(others)';

export function summarise(records: readonly ProjectedRecord[], days: readonly string[], top = 5): DashboardSummary {
  const lookups = new Counter(days);
  const messages = new Counter(days);
  const calls = new Counter(days);
  const answered = new Counter(days);
  const denials = new Map<string, number>();
  for (const r of records) {
    const day = danishDay(new Date(r.occurredAt));
    if (r.kind === 'lookup') {
      lookups.add(r.actor.organisation ?? OTHERS, day);
      for (const s of objects(r.details['sources'])) {
        const source = typeof s['sourceId'] === 'string' ? s['sourceId'] : String(s['organisation'] ?? '');
        if (s['status'] === 'denied') {
          const reasons = Array.isArray(s['deniedBecause']) ? s['deniedBecause'].filter((x): x is string => typeof x === 'string') : [];
          for (const reason of reasons.length > 0 ? reasons : ['unspecified']) denials.set(reason, (denials.get(reason) ?? 0) + 1);
          continue;
        }
        calls.add(source, day);
        answered.add(source, day, ANSWERED.has(String(s['status'])) ? 1 : 0);
      }
    } else if (MESSAGE_KINDS.has(r.kind) && r.outcome !== 'denied') {
      const org = r.kind === 'correspondence-sent' ? r.actor.organisation : r.details['receiverSor'];
      messages.add(typeof org === 'string' ? org : OTHERS, day);
    }
  }
  const kept = calls.series(top, OTHERS);
  const named = new Set(kept.map((k) => k.key));
  const answeredOf = (key: string): number[] =>
    key === OTHERS
      ? days.map((_, i) => [...answered.byKey].filter(([k]) => !named.has(k)).reduce((a, [, v]) => a + (v[i] ?? 0), 0))
      : (answered.byKey.get(key) ?? days.map(() => 0));
  const availability = kept.map((c) => {
    const ok = answeredOf(c.key);
    return { key: c.key, values: c.values.map((n, i) => (n === 0 ? null : Math.round(((ok[i] ?? 0) / n) * 100))) };
  });
  return {
    days,
    lookups: lookups.series(top, OTHERS),
    messages: messages.series(top, OTHERS),
    denials: [...denials].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    availability,
  };
}
