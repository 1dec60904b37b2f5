/**
 * Pure decisions about console sessions: whether one is still alive, and how its cookie is set.
 * Kept apart from storage so the rules can be read (and tested) as a table.
 */

export interface SessionClock {
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

export type SessionState = 'alive' | 'idle-timeout' | 'absolute-timeout';

/** The absolute timeout wins over the idle one: a session never outlives its end, however busy. */
export function sessionState(clock: SessionClock, now: Date, idleTimeoutSeconds: number): SessionState {
  if (now.getTime() >= clock.expiresAt.getTime()) return 'absolute-timeout';
  if (now.getTime() - clock.lastSeenAt.getTime() >= idleTimeoutSeconds * 1000) return 'idle-timeout';
  return 'alive';
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)(:\d{1,5})?$/i;

/**
 * Cookies are Secure, except where the console itself is served over plain HTTP on a loopback
 * address (the demo and the tests): a browser drops a Secure cookie set over http://127.0.0.1, and
 * loopback traffic never leaves the machine. Anywhere else, plain HTTP still gets Secure cookies,
 * so a misconfigured proxy fails closed (no session) rather than sending the session in clear.
 */
export function cookieSecure(publicUrl: URL): boolean {
  return !(publicUrl.protocol === 'http:' && LOOPBACK.test(publicUrl.host));
}

/** `__Host-` binds a Secure cookie to this host and path `/`; a plain-HTTP loopback cookie cannot carry it. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-console-session' : 'console-session';
}

export function loginCookieName(secure: boolean): string {
  return secure ? '__Host-console-login' : 'console-login';
}

/** Where a sign-in may return to: a console path of ours, never another origin or a protocol-relative URL. */
export function safeReturnTo(value: string | undefined): string {
  if (!value || !/^\/console(\/[A-Za-z0-9\-._~%/]*)?(\?[A-Za-z0-9\-._~%&=+]*)?$/.test(value) || value.includes('//')) return '/console';
  return value;
}
