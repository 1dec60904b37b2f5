/**
 * Structured JSON logs (pino). A CPR number must never reach a log line: we never log request
 * bodies, and as a second line of defence every string that is logged is scrubbed of anything
 * shaped like a CPR number (DDMMYY-SSSS, DDMMYYSSSS, replacement CPRs with letters).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

// Ten characters: six date digits, then four of digits/letters (replacement CPRs carry letters,
// in either case as systems write them), optionally with a dash; not part of a longer run of
// digits or letters (SOR codes, EAN numbers, ids).
const CPR_LIKE = /(?<![0-9A-Za-z])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?[0-9A-Za-z]{4}(?![0-9A-Za-z])/g;

export function scrubCpr(text: string): string {
  return text.replace(CPR_LIKE, '[cpr]');
}

/** Below this nesting a value is logged as scrubbed JSON text rather than walked further. */
const MAX_DEPTH = 8;

function scrubValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubCpr(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  // Never pass a deep value through unscrubbed: flatten it to text and scrub that.
  if (depth > MAX_DEPTH) return scrubCpr(safeJson(value));
  seen.add(value);
  try {
    if (value instanceof Error) {
      // Every own field too: a driver's error carries the refused value in `detail`, `where`, ...
      const out: Record<string, unknown> = { type: value.name, message: scrubCpr(value.message), stack: value.stack ? scrubCpr(value.stack) : undefined };
      for (const [k, v] of Object.entries(value)) if (!(k in out)) out[k] = scrubValue(v, depth + 1, seen);
      if (value.cause !== undefined) out['cause'] = scrubValue(value.cause, depth + 1, seen);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[scrubCpr(k)] = scrubValue(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[unserialisable]';
  }
}

/** `base`: fields on every line (e.g. which worker process wrote it). */
export function createLogger(options: { level: string; destination?: DestinationStream; name?: string; base?: Record<string, string | number> }): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'broker',
      base: options.base,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['cpr', '*.cpr', 'authorization', '*.authorization', 'token', '*.token'], censor: '[redacted]' },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubValue(object, 0, new WeakSet()) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubCpr(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination,
  );
}

export type { Logger };
