import { describe, expect, it } from 'vitest';
import { overrideRefusal } from './override.js';

describe('overrideRefusal', () => {
  const cases = [
    ['clinician', 'high', null],
    ['clinician', 'substantial', 'override-assurance-too-low'],
    ['clinician', 'low', 'override-assurance-too-low'],
    ['caseworker', 'high', 'override-role-not-allowed'],
    ['auditor', 'high', 'override-role-not-allowed'],
  ] as const;
  it.each(cases)('%s at %s -> %s', (role, assurance, expected) => {
    expect(overrideRefusal({ role, assurance })).toBe(expected);
  });
});
