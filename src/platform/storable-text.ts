/**
 * Text PostgreSQL cannot store. A text value may not hold NUL (U+0000) and json/jsonb refuse the
 * `\u0000` escape; an unpaired UTF-16 surrogate has no UTF-8 form, so the driver silently turns it
 * into U+FFFD and json refuses its escape. Such text reaches us only from callers (a JSON `\u0000`
 * or `\ud800` escape, a token claim), never from honest input, so it is refused where it enters:
 * it must never get as far as a shared database statement, where it would fail other callers' rows.
 */

// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** The text with every unstorable character replaced by U+FFFD. */
export function replaceUnstorable(value: string): string {
  return value.replace(UNSTORABLE_ALL, '\uFFFD');
}

export interface JsonLimits {
  /** Nesting of objects and arrays (default 64). */
  readonly maxDepth?: number;
  /** Objects, arrays and values in all (default 1,000,000). */
  readonly maxNodes?: number;
}

export interface JsonInspection {
  /** Strings (values or keys) holding unstorable text. */
  readonly unstorable: number;
  /** The first limit exceeded, if any; the walk stops there. */
  readonly exceeded: 'depth' | 'nodes' | null;
}

/**
 * Walks a parsed JSON value without recursion (so nesting cannot exhaust the stack) and counts
 * strings PostgreSQL cannot store. With `replace`, such strings are replaced in place by their
 * storable form (values only; keys holding them are renamed) so the value can be answered safely.
 * `text: false` checks the limits only.
 */
export function inspectJson(root: unknown, options: JsonLimits & { replace?: boolean; text?: boolean } = {}): JsonInspection {
  const maxDepth = options.maxDepth ?? 64;
  const maxNodes = options.maxNodes ?? 1_000_000;
  let unstorable = 0;
  let nodes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  const scan = options.text ?? true;
  const check = (s: string): boolean => {
    if (!scan || isStorableText(s)) return true;
    unstorable += 1;
    return false;
  };
  if (typeof root === 'string') check(root);
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    nodes += 1;
    if (nodes > maxNodes) return { unstorable, exceeded: 'nodes' };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { unstorable, exceeded: 'depth' };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        const item: unknown = value[i];
        if (typeof item === 'string' && !check(item) && options.replace) value[i] = replaceUnstorable(item);
        stack.push({ value: value[i], depth: depth + 1 });
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      let name = key;
      if (!check(key) && options.replace) {
        name = replaceUnstorable(key);
        record[name] = record[key];
        delete record[key];
      }
      const item = record[name];
      if (typeof item === 'string' && !check(item) && options.replace) record[name] = replaceUnstorable(item);
      stack.push({ value: record[name], depth: depth + 1 });
    }
  }
  return { unstorable, exceeded: null };
}
