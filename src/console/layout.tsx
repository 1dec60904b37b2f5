/**
 * The page frame: skip link, header with who is signed in and for which organisation, the main
 * navigation for the caller's role, the language switch and sign-out (both CSRF-protected forms),
 * then the page's own content in <main>. Every console page renders through here.
 */
import type { Child } from 'hono/jsx';
import { type Role, STAFF_ROLES } from '../identity/caller.js';
import type { Lang, MessageKey, Translate } from './i18n.js';
import type { ConsoleSession } from './session-store.js';

export interface NavItem {
  readonly href: string;
  readonly label: MessageKey;
  readonly roles: readonly Role[];
}

/** The navigation; a later page adds its entry here with the roles that may open it. */
export const NAV: readonly NavItem[] = [
  { href: '/console/agreements', label: 'navAgreements', roles: ['agreement-admin', 'auditor'] },
  { href: '/console/explain', label: 'navExplain', roles: ['agreement-admin', 'auditor'] },
  // The directory is read by every staff role, as in the API.
  { href: '/console/directory', label: 'navDirectory', roles: STAFF_ROLES },
  { href: '/console/directory/imports', label: 'navImports', roles: STAFF_ROLES },
  { href: '/console/directory/local-units', label: 'navLocalUnits', roles: ['agreement-admin'] },
  { href: '/console/dashboard', label: 'navDashboard', roles: ['agreement-admin', 'auditor'] },
];

export interface PageFrame {
  readonly lang: Lang;
  readonly t: Translate;
  readonly title: string;
  /** The request path, to mark the current navigation entry. */
  readonly path: string;
  readonly session: ConsoleSession | null;
  readonly organisationName?: (sor: string) => string | null;
}

export function CsrfField(props: { session: ConsoleSession | null }) {
  return props.session ? <input type="hidden" name="_csrf" value={props.session.csrfToken} /> : null;
}

function current(path: string, href: string): boolean {
  if (href === '/console/directory') return path === href || (path.startsWith(`${href}/`) && !path.startsWith('/console/directory/imports') && !path.startsWith('/console/directory/local-units'));
  return path === href || path.startsWith(`${href}/`);
}

export function Layout(props: PageFrame & { children?: Child }) {
  const { t, session, lang } = props;
  const caller = session?.caller;
  const items = caller ? NAV.filter((n) => n.roles.includes(caller.role)) : [];
  const orgName = caller ? (props.organisationName?.(caller.organisationSor) ?? caller.organisationSor) : null;
  const other: Lang = lang === 'da' ? 'en' : 'da';
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t('consoleName')}`}</title>
        {/* htmx would add an inline <style>, which the content security policy forbids. */}
        <meta name="htmx-config" content='{"includeIndicatorStyles":false}' />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/htmx.min.js" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          {t('skipToContent')}
        </a>
        <header class="site">
          <a class="brand" href="/console">
            {t('appName')} · {t('consoleName')}
          </a>
          <div class="who">
            {caller ? (
              <>
                <span>
                  {t('signedInAs')} <strong>{caller.displayName ?? caller.subject}</strong> ({t(`role.${caller.role}` as MessageKey)})
                </span>
                <span data-testid="acting-for">
                  {t('actingFor')} <strong>{orgName}</strong>
                </span>
                <a href="/console/login?switch=1">{t('switchOrganisation')}</a>
              </>
            ) : null}
            <form method="post" action="/console/language">
              <CsrfField session={session} />
              <input type="hidden" name="lang" value={other} />
              <input type="hidden" name="back" value={props.path} />
              <button type="submit" lang={other} aria-label={`${t('changeLanguage')}: ${other === 'da' ? 'dansk' : 'English'}`}>
                {other === 'da' ? 'Dansk' : 'English'}
              </button>
            </form>
            {caller ? (
              <form method="post" action="/console/logout">
                <CsrfField session={session} />
                <button type="submit">{t('signOut')}</button>
              </form>
            ) : null}
          </div>
        </header>
        {items.length > 0 ? (
          <nav class="main" aria-label={t('mainNav')}>
            <ul>
              {items.map((n) => (
                <li>
                  <a href={n.href} aria-current={current(props.path, n.href) ? 'page' : undefined}>
                    {t(n.label)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer class="site">{t('appName')}</footer>
      </body>
    </html>
  );
}
