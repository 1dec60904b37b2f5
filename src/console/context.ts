/**
 * The console's Hono environment: the API's variables (requestId, caller once signed in) plus the
 * session, the page language and its translator. `caller` is set exactly when a session is, by
 * the session middleware, so the API's role middleware (requireRole) works unchanged here.
 */
import type { Context } from 'hono';
import type { AppVariables } from '../http/types.js';
import type { Lang, Translate } from './i18n.js';
import type { ConsoleSession } from './session-store.js';

export interface ConsoleVariables extends AppVariables {
  session: ConsoleSession | null;
  lang: Lang;
  t: Translate;
  /** The directory's name of an organisation, for headers and tables. */
  organisationName: (sor: string) => string | null;
}

export interface ConsoleEnv {
  Variables: ConsoleVariables;
}

export type ConsoleContext = Context<ConsoleEnv>;

/** The signed-in session; the session middleware guarantees one on every page behind sign-in. */
export function sessionOf(c: ConsoleContext): ConsoleSession {
  const session = c.get('session');
  if (!session) throw new Error('no console session on a page behind sign-in');
  return session;
}
