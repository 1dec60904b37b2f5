import { describe, expect, it } from 'vitest';
import { inspectJson, isStorableText, replaceUnstorable } from './storable-text.js';

describe('storable text', () => {
  it.each([
    ['plain Danish text', 'Bekymring fra skolen: æøå ÆØÅ', true],
    ['an emoji (a surrogate pair)', 'ok \u{1F600}', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\uD800b', false],
    ['a lone high surrogate at the end', 'a\uD83D', false],
    ['a lone low surrogate', '\uDC00a', false],
    ['a reversed pair', '\uDE00\uD83D', false],
  ])('%s: %s', (_name, text, storable) => {
    expect(isStorableText(text)).toBe(storable);
    expect(isStorableText(replaceUnstorable(text))).toBe(true);
  });

  it('finds unstorable strings anywhere in a JSON value, keys included, and can replace them', () => {
    const value = JSON.parse('{"a":[{"b":"x\\u0000"}],"\\ud800":"k","c":"fine"}') as Record<string, unknown>;
    expect(inspectJson(value)).toEqual({ unstorable: 2, exceeded: null });
    expect(inspectJson(value, { replace: true }).unstorable).toBe(2);
    expect(inspectJson(value)).toEqual({ unstorable: 0, exceeded: null });
    expect(JSON.stringify(value)).toBe('{"a":[{"b":"x\uFFFD"}],"c":"fine","\uFFFD":"k"}');
  });

  it('stops at the depth and node limits without recursing', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(inspectJson(deep).exceeded).toBe('depth');
    expect(inspectJson(Array.from({ length: 1000 }, () => 0), { maxNodes: 100 }).exceeded).toBe('nodes');
    expect(inspectJson({ a: [[1]] }, { maxDepth: 3 }).exceeded).toBeNull();
    expect(inspectJson({ a: [[[1]]] }, { maxDepth: 3 }).exceeded).toBe('depth');
  });
});
