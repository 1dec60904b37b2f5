import { describe, expect, it } from 'vitest';
import { cookieSecure, safeReturnTo, sessionState } from './session-policy.js';

const t = (iso: string) => new Date(`2026-12-03T${iso}Z`);

describe('sessionState', () => {
  const clock = { createdAt: t('08:00:00'), lastSeenAt: t('09:00:00'), expiresAt: t('16:00:00') };
  it.each([
    ['09:29:59', 'alive'],
    ['09:30:00', 'idle-timeout'],
    ['16:00:00', 'absolute-timeout'],
    ['17:00:00', 'absolute-timeout'],
  ] as const)('at %s: %s (idle 30 min)', (at, expected) => {
    expect(sessionState(clock, t(at), 1800)).toBe(expected);
  });
  it('a busy session still ends at its absolute time', () => {
    expect(sessionState({ ...clock, lastSeenAt: t('15:59:59') }, t('16:00:00'), 1800)).toBe('absolute-timeout');
  });
});

describe('cookieSecure', () => {
  it.each([
    ['http://127.0.0.1:8080', false],
    ['http://localhost:8080', false],
    ['http://[::1]:8080', false],
    ['https://127.0.0.1:8080', true],
    ['http://broker.example.dk', true],
    ['https://broker.example.dk', true],
    ['http://127.0.0.1.example.dk', true],
  ] as const)('%s: Secure %s', (url, secure) => {
    expect(cookieSecure(new URL(url))).toBe(secure);
  });
});

describe('safeReturnTo', () => {
  it.each([
    ['/console/agreements?status=active', '/console/agreements?status=active'],
    ['/console', '/console'],
    ['https://evil.example', '/console'],
    ['//evil.example/console', '/console'],
    ['/console//evil.example', '/console'],
    ['/v1/agreements', '/console'],
    [undefined, '/console'],
  ] as const)('%s -> %s', (given, expected) => {
    expect(safeReturnTo(given)).toBe(expected);
  });
});
