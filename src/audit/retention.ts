/**
 * Retention of audit records: each kind of record belongs to a class, each class is kept a number
 * of months (configurable), and a month of a class is expired whole once its last record is older
 * than that. Pure decisions; the partitions and the expiry itself are in retention-store.ts.
 */
import type { AuditKind } from './audit-event.js';

export const RETENTION_CLASSES = ['access', 'correspondence', 'administration', 'directory', 'oversight', 'integrity'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

/** Every kind has a class: a new kind does not compile until it is given one. */
export const RETENTION_CLASS_OF: Readonly<Record<AuditKind, RetentionClass>> = {
  // Who looked at which child: the access log of Danish practice (up to five years).
  lookup: 'access',
  'correspondence-read': 'access',
  // The messages exchanged about a child.
  'correspondence-sent': 'correspondence',
  'correspondence-received': 'correspondence',
  'acknowledgement-received': 'correspondence',
  // The sharing agreements: the legal basis later records point to.
  'agreement-change': 'administration',
  // SOR imports: organisation data, no person.
  'directory-change': 'directory',
  // The log of who looked at the log, and auditors' decisions.
  'audit-search': 'oversight',
  'anomaly-review': 'oversight',
  // The citizen's side: a citizen reading the log is oversight of it; a withheld-mark is kept as
  // long as the access records it hides; name protection is an organisation's setting.
  'citizen-access-log': 'oversight',
  'citizen-withholding': 'access',
  'citizen-withholding-review': 'oversight',
  'staff-name-protection': 'administration',
  // A citizen's block: kept as long as the lookups it refused or was overridden in.
  'citizen-block': 'access',
  // The expiries themselves: kept, they vouch for the tombstones verification relies on.
  'audit-retention': 'integrity',
};

/** Months each class is kept; null: never expired. */
export type RetentionPolicy = Readonly<Record<RetentionClass, number | null>>;

export const DEFAULT_RETENTION: RetentionPolicy = {
  access: 60,
  correspondence: 60,
  administration: 60,
  directory: 60,
  oversight: 60,
  integrity: null,
};

/** The kinds of each class, as the partitions of a new month list them. */
export function kindsByClass(): Record<RetentionClass, AuditKind[]> {
  const out = Object.fromEntries(RETENTION_CLASSES.map((c) => [c, [] as AuditKind[]])) as Record<RetentionClass, AuditKind[]>;
  for (const [kind, cls] of Object.entries(RETENTION_CLASS_OF) as Array<[AuditKind, RetentionClass]>) out[cls].push(kind);
  return out;
}

/** A calendar month in UTC (the partitions' bounds). */
export interface Month {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
}

export const monthOf = (at: Date): Month => ({ year: at.getUTCFullYear(), month: at.getUTCMonth() + 1 });
export const addMonths = (m: Month, n: number): Month => {
  const index = m.year * 12 + (m.month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
};
export const monthStart = (m: Month): Date => new Date(Date.UTC(m.year, m.month - 1, 1));
export const monthKey = (m: Month): string => `${m.year}_${String(m.month).padStart(2, '0')}`;

/** The month table of a month, e.g. `audit_event_2026_12`, and its class partition `audit_event_2026_12_access`. */
export const monthTable = (m: Month): string => `audit_event_${monthKey(m)}`;
export const classTable = (m: Month, cls: RetentionClass | 'unclassified'): string => `${monthTable(m)}_${cls}`;

const CLASS_TABLE = /^audit_event_(\d{4})_(\d{2})_([a-z]+)$/;

/** Reads a class partition's name back; null for anything else. */
export function parseClassTable(name: string): { month: Month; cls: RetentionClass | 'unclassified' } | null {
  const m = CLASS_TABLE.exec(name);
  if (!m) return null;
  const cls = m[3] as string;
  if (cls !== 'unclassified' && !(RETENTION_CLASSES as readonly string[]).includes(cls)) return null;
  return { month: { year: Number(m[1]), month: Number(m[2]) }, cls: cls as RetentionClass | 'unclassified' };
}

/**
 * When a month of a class may go: once its newest possible record (the month's last instant) is
 * `months` old. Null when the class is kept. Kinds no class named (`unclassified`) are kept.
 */
export function expiresAt(month: Month, cls: RetentionClass | 'unclassified', policy: RetentionPolicy): Date | null {
  if (cls === 'unclassified') return null;
  const months = policy[cls];
  return months === null ? null : monthStart(addMonths(month, 1 + months));
}

/** The class partitions due to expire at `now`, oldest first. */
export function dueForExpiry<T extends { month: Month; cls: RetentionClass | 'unclassified' }>(partitions: readonly T[], policy: RetentionPolicy, now: Date): T[] {
  return partitions
    .filter((p) => {
      const at = expiresAt(p.month, p.cls, policy);
      return at !== null && at.getTime() <= now.getTime();
    })
    .sort((a, b) => monthStart(a.month).getTime() - monthStart(b.month).getTime() || a.cls.localeCompare(b.cls));
}

/** The months that must exist: this one and the next `ahead`. */
export function monthsToCreate(now: Date, ahead: number): Month[] {
  return Array.from({ length: ahead + 1 }, (_, i) => addMonths(monthOf(now), i));
}

/** Parses BROKER_AUDIT_RETENTION_MONTHS: `access=60,directory=24,oversight=never`; unnamed classes keep their default. */
export function parseRetentionPolicy(text: string | undefined, problems: string[]): RetentionPolicy {
  const policy: Record<RetentionClass, number | null> = { ...DEFAULT_RETENTION };
  if (!text || text.trim() === '') return policy;
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (!name || !(RETENTION_CLASSES as readonly string[]).includes(name)) {
      problems.push(`BROKER_AUDIT_RETENTION_MONTHS: unknown record class (known: ${RETENTION_CLASSES.join(', ')})`);
      continue;
    }
    if (value === 'never') policy[name as RetentionClass] = null;
    else if (value && /^\d{1,3}$/.test(value) && Number(value) >= 1) policy[name as RetentionClass] = Number(value);
    else problems.push(`BROKER_AUDIT_RETENTION_MONTHS: ${name} must be a number of months (1-999) or never`);
  }
  if (policy.integrity !== null) problems.push('BROKER_AUDIT_RETENTION_MONTHS: integrity records (the expiries) are never expired');
  return policy;
}
