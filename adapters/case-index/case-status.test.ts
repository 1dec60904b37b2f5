import { describe, expect, it } from 'vitest';
import { kleMatches, mapProgressStatus, mapSensitivity } from './case-status.js';

describe('SagDok progress status', () => {
  it.each([
    ['Opstaaet', 'referred'],
    ['OPLYST', 'assessment'],
    ['Afgjort', 'open'],
    ['BESLUTTET', 'open'],
    ['Vedtaget', 'open'],
    ['Udfoert', 'open'],
    ['Afsluttet', 'closed'],
  ])('%s -> %s', (code, expected) => {
    expect(mapProgressStatus(code)).toBe(expected);
  });

  it('does not guess unknown codes', () => {
    expect(mapProgressStatus('Bero')).toBeUndefined();
  });
});

describe('sensitivity and KLE', () => {
  it('accepts the four SagDok sensitivity codes only', () => {
    expect(mapSensitivity('foelsomme_personoplysninger')).toBe('FOELSOMME_PERSONOPLYSNINGER');
    expect(mapSensitivity('HEMMELIG')).toBeNull();
  });

  it('matches KLE numbers by group, not by text prefix', () => {
    expect(kleMatches('27.24.00', ['27.24'])).toBe(true);
    expect(kleMatches('27.24.00', ['27.24.*'])).toBe(true);
    expect(kleMatches('17.11.00', ['17.*'])).toBe(true);
    expect(kleMatches('27.240.00', ['27.24'])).toBe(false);
    expect(kleMatches('27.25.00', ['27.24'])).toBe(false);
    expect(kleMatches('170.11.00', ['17.*'])).toBe(false);
  });
});
