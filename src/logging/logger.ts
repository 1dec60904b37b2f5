/**
 * Structured JSON logs (pino). A CPR number must never reach a log line: we never log request
 * bodies, and as a second line of defence every string that is logged is scrubbed of anything
 * shaped like a CPR number (DDMMYY-SSSS, DDMMYYSSSS, replacement CPRs with letters).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

// Ten characters: six date digits, then four of digits/letters (replacement CPRs carry letters),
// optionally with a dash; not part of a longer run of digits (SOR codes, EAN numbers).
const CPR_LIKE = /(?<![0-9A-Za-z])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?[0-9A-Z]{4}(?![0-9A-Za-z])/g;

export function scrubCpr(text: string): string {
  return text.replace(CPR_LIKE, '[cpr]');
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubCpr(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubCpr(value.message), stack: value.stack ? scrubCpr(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1);
  return out;
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
        log: (object) => scrubValue(object, 0) as Record<string, unknown>,
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
