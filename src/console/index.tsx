/**
 * The web console under /console: sign-in (OpenID Connect via sign-in.ts), server-side sessions
 * with idle and absolute timeouts, CSRF protection on every state change, the language switch,
 * and the page routers. Pages call the same services as the API, with the session's Caller as the
 * actor, so every rule (roles, visibility, approvals) is the API's own.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import { toProblem } from '../http/errors.js';
import { ProblemError } from '../http/problem.js';
import type { ConsoleContext, ConsoleEnv } from './context.js';
import { isLang, translator } from './i18n.js';
import { errorPage, page } from './pages.js';
import { NAV } from './layout.js';
import { cookieSecure, loginCookieName, safeReturnTo, sessionCookieName, sessionState } from './session-policy.js';
import { createSession, deleteSession, loadSession, purgeExpired, touchSession } from './session-store.js';
import { type SignIn, SignInUnavailableError } from './sign-in.js';
import { CONSOLE_CSS } from './styles.js';

export interface ConsolePage {
  /** Below /console, e.g. `/agreements`. */
  readonly path: string;
  readonly router: Hono<ConsoleEnv>;
}

export interface ConsoleDeps {
  readonly db: Kysely<Database>;
  readonly logger: Logger;
  /** null: no identity provider configured; the console then only says so. */
  readonly signIn: SignIn | null;
  /** The console's public base URL (https://broker.example.dk); null: the request's own origin. */
  readonly publicUrl: string | null;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly organisationName: (sor: string) => string | null;
  readonly pages: readonly ConsolePage[];
  readonly now?: () => Date;
}

const LANG_COOKIE = 'console-lang';
const PUBLIC_PATHS = new Set(['/console/sign-in', '/console/login', '/console/callback', '/console/signed-out', '/console/language', '/console/assets/console.css', '/console/assets/htmx.min.js']);

const sameToken = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

async function htmxSource(): Promise<string> {
  const require = createRequire(import.meta.url);
  return readFile(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
}

export function createConsole(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const now = deps.now ?? (() => new Date());
  const app = new Hono<ConsoleEnv>();
  const originOf = (c: ConsoleContext): URL => new URL(deps.publicUrl ?? new URL(c.req.url).origin);
  const secureFor = (c: ConsoleContext): boolean => cookieSecure(originOf(c));
  const cookieOptions = (c: ConsoleContext) => ({ path: '/', httpOnly: true, secure: secureFor(c), sameSite: 'Lax' as const });

  // Language first: even the sign-in page and the error pages speak the user's language.
  app.use('*', async (c, next) => {
    const chosen = getCookie(c, LANG_COOKIE);
    const lang = isLang(chosen) ? chosen : 'da';
    c.set('lang', lang);
    c.set('t', translator(lang));
    c.set('session', null);
    c.set('organisationName', deps.organisationName);
    await next();
  });
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new ProblemError(413, 'body-too-large', 'Request body too large'); } }));

  // The session: loaded from its cookie, ended when idle or past its absolute end.
  app.use('*', async (c, next) => {
    const name = sessionCookieName(secureFor(c));
    const id = getCookie(c, name);
    let expired = false;
    if (id) {
      const session = await loadSession(deps.db, id);
      const at = now();
      if (session && sessionState(session, at, deps.idleTimeoutSeconds) === 'alive') {
        await touchSession(deps.db, session.idHash, at);
        c.set('session', session);
        c.set('caller', session.caller);
      } else {
        if (session) await deleteSession(deps.db, session.idHash);
        deleteCookie(c, name, { path: '/', secure: secureFor(c) });
        expired = true;
      }
    }
    if (!c.get('session') && !PUBLIC_PATHS.has(c.req.path)) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const returnTo = safeReturnTo(`${c.req.path}${new URL(c.req.url).search}`);
        return c.redirect(`/console/sign-in?returnTo=${encodeURIComponent(returnTo)}${expired ? '&expired=1' : ''}`, 303);
      }
      return errorPage(c, 403, c.get('t')('forbiddenTitle'), c.get('t')(expired ? 'sessionExpired' : 'csrfRefused'));
    }
    await next();
  });

  // CSRF: every state change carries the session's synchroniser token, and a browser's Origin
  // header, when sent, must be ours. Without a session only the language may be posted.
  app.use('*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const origin = c.req.header('Origin');
    const refuse = () => errorPage(c, 403, c.get('t')('forbiddenTitle'), c.get('t')('csrfRefused'));
    if (origin !== undefined && origin !== originOf(c).origin) return refuse();
    const session = c.get('session');
    if (session) {
      const type = c.req.header('Content-Type') ?? '';
      const form = type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data') ? await c.req.parseBody() : {};
      const given = c.req.header('X-CSRF-Token') ?? (typeof form._csrf === 'string' ? form._csrf : '');
      if (!sameToken(given, session.csrfToken)) return refuse();
    } else if (c.req.path !== '/console/language') {
      return refuse();
    }
    return next();
  });

  app.get('/assets/console.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  let htmx: Promise<string> | null = null;
  app.get('/assets/htmx.min.js', async (c) => {
    htmx ??= htmxSource();
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(await htmx, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });

  app.post('/language', async (c) => {
    const form = await c.req.parseBody();
    const lang = typeof form.lang === 'string' && isLang(form.lang) ? form.lang : 'da';
    setCookie(c, LANG_COOKIE, lang, { ...cookieOptions(c), maxAge: 365 * 86_400 });
    return c.redirect(safeReturnTo(typeof form.back === 'string' ? form.back : undefined), 303);
  });

  app.get('/sign-in', (c) => {
    const t = c.get('t');
    if (c.get('session')) return c.redirect('/console', 303);
    const returnTo = safeReturnTo(c.req.query('returnTo'));
    const error = c.req.query('error');
    return page(
      c,
      { title: t('signInTitle') },
      <>
        <h1>{t('signInTitle')}</h1>
        {c.req.query('expired') ? (
          <p class="error" role="alert">
            {t('sessionExpired')}
          </p>
        ) : null}
        {error ? (
          <p class="error" role="alert">
            {t(error === 'unavailable' ? 'signInUnavailable' : 'signInFailed')}
          </p>
        ) : null}
        {deps.signIn ? (
          <>
            <p>{t('signInIntro')}</p>
            <p>
              <a class="button" href={`/console/login?returnTo=${encodeURIComponent(returnTo)}`}>
                {t('signIn')}
              </a>
            </p>
          </>
        ) : (
          <p class="error">{t('notSignedInForConsole')}</p>
        )}
      </>,
    );
  });

  // Starts the authorization code flow; "switch organisation" comes here too and signs in anew.
  app.get('/login', async (c) => {
    if (!deps.signIn) return c.redirect('/console/sign-in', 303);
    try {
      const { url, browserBinding } = await deps.signIn.begin(`${originOf(c).origin}/console/callback`, safeReturnTo(c.req.query('returnTo')));
      setCookie(c, loginCookieName(secureFor(c)), browserBinding, { ...cookieOptions(c), maxAge: 600 });
      return c.redirect(url, 303);
    } catch (error) {
      deps.logger.warn({ err: error, requestId: c.get('requestId') }, 'console sign-in could not start');
      return c.redirect(`/console/sign-in?error=${error instanceof SignInUnavailableError ? 'unavailable' : 'failed'}`, 303);
    }
  });

  app.get('/callback', async (c) => {
    if (!deps.signIn) return c.redirect('/console/sign-in', 303);
    const loginCookie = loginCookieName(secureFor(c));
    const binding = getCookie(c, loginCookie);
    deleteCookie(c, loginCookie, { path: '/', secure: secureFor(c) });
    const callbackUrl = new URL(`${originOf(c).origin}/console/callback${new URL(c.req.url).search}`);
    let result: Awaited<ReturnType<SignIn['complete']>>;
    try {
      result = await deps.signIn.complete(callbackUrl, binding);
    } catch (error) {
      // The identity provider's answer or the ID token was refused (issuer, role or organisation scope, replay...).
      const problem = error instanceof ProblemError ? error.slug : error instanceof SignInUnavailableError ? 'unavailable' : 'oidc-error';
      deps.logger.warn({ reason: problem, requestId: c.get('requestId') }, 'console sign-in refused');
      return c.redirect(`/console/sign-in?error=${problem === 'unavailable' ? 'unavailable' : 'failed'}`, 303);
    }
    if (!result) return c.redirect('/console/sign-in?error=failed', 303);
    const at = now();
    await purgeExpired(deps.db, at, deps.idleTimeoutSeconds);
    // A new session id at every sign-in (no fixation); the old session, if any, ends.
    const old = c.get('session');
    if (old) await deleteSession(deps.db, old.idHash);
    const { id } = await createSession(deps.db, result.caller, at, deps.absoluteTimeoutSeconds);
    setCookie(c, sessionCookieName(secureFor(c)), id, cookieOptions(c));
    deps.logger.info({ requestId: c.get('requestId'), role: result.caller.role, organisation: result.caller.organisationSor }, 'console sign-in');
    return c.redirect(result.returnTo, 303);
  });

  app.post('/logout', async (c) => {
    const session = c.get('session');
    if (session) await deleteSession(deps.db, session.idHash);
    deleteCookie(c, sessionCookieName(secureFor(c)), { path: '/', secure: secureFor(c) });
    return c.redirect('/console/signed-out', 303);
  });

  app.get('/signed-out', (c) => {
    const t = c.get('t');
    return page(
      c,
      { title: t('signedOutTitle') },
      <>
        <h1>{t('signedOutTitle')}</h1>
        <p>
          <a class="button" href="/console/login">
            {t('signIn')}
          </a>
        </p>
      </>,
    );
  });

  app.get('/', (c) => {
    const t = c.get('t');
    const caller = c.get('caller');
    const items = NAV.filter((n) => n.roles.includes(caller.role));
    return page(
      c,
      { title: t('home') },
      <>
        <h1>{t('welcome')}</h1>
        {items.length > 0 ? (
          <>
            <p>{t('homeIntro')}</p>
            <ul>
              {items.map((n) => (
                <li>
                  <a href={n.href}>{t(n.label)}</a>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p>{t('noPagesForRole')}</p>
        )}
      </>,
    );
  });

  for (const p of deps.pages) app.route(p.path, p.router);

  // Unmatched console paths get the console's own page (the broker's 404 is problem+json).
  app.all('*', (c) => errorPage(c, 404, c.get('t')('notFoundTitle'), undefined));
  app.onError((error, c) => {
    const problem = toProblem(error);
    if (problem.status >= 500) deps.logger.error({ err: problem.cause ?? error, requestId: c.get('requestId') }, 'console request failed');
    const t = c.get('t') ?? translator('da');
    const status = ([400, 403, 404, 409, 412, 422, 503] as const).find((s) => s === problem.status) ?? 500;
    const title = status === 403 ? t('forbiddenTitle') : status === 404 ? t('notFoundTitle') : status >= 500 ? t('errorTitle') : t('refused');
    // The problem's detail is the API's own wording: it says no more than the caller knew.
    return errorPage(c, status, title, status >= 500 ? undefined : problem.detail);
  });
  return app;
}
