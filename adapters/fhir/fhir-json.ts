/** Narrowing helpers for FHIR JSON read as `unknown`: no casts of whole resources. */

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(obj: unknown, key: string): string | undefined {
  if (!isRecord(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

export function rec(obj: unknown, key: string): Json | undefined {
  if (!isRecord(obj)) return undefined;
  const v = obj[key];
  return isRecord(v) ? v : undefined;
}

export function list(obj: unknown, key: string): Json[] {
  if (!isRecord(obj)) return [];
  const v = obj[key];
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** First identifier value of the given system(s). */
export function identifierValue(resource: unknown, match: (system: string | undefined) => boolean): string | null {
  for (const id of list(resource, 'identifier')) {
    const value = str(id, 'value');
    if (value && match(str(id, 'system'))) return value.trim();
  }
  return null;
}

/** HumanName -> display text: `text`, else given + family. */
export function humanName(resource: unknown): string | null {
  const names = list(resource, 'name');
  const name = names.find((n) => str(n, 'use') === 'official') ?? names[0];
  if (!name) return null;
  const text = str(name, 'text');
  if (text) return text;
  const given = Array.isArray(name['given']) ? name['given'].filter((g): g is string => typeof g === 'string') : [];
  const parts = [...given, str(name, 'family')].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : null;
}

export function telecom(resource: unknown, system: 'phone' | 'email'): string | null {
  const points = list(resource, 'telecom').filter((t) => str(t, 'system') === system);
  const preferred = points.find((t) => str(t, 'use') === 'work') ?? points[0];
  return preferred ? (str(preferred, 'value') ?? null) : null;
}

/** FHIR date/dateTime -> ISO date (YYYY-MM-DD), or null. */
export function isoDate(v: string | undefined): string | null {
  if (!v) return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(v);
  return m?.[1] ?? null;
}

export function codeableText(cc: unknown): string | null {
  const text = str(cc, 'text');
  if (text) return text;
  for (const coding of list(cc, 'coding')) {
    const display = str(coding, 'display');
    if (display) return display;
  }
  return null;
}
