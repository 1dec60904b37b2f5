/**
 * Small shared page pieces: the error page, notices, and a status badge.
 */
import type { Child } from 'hono/jsx';
import type { ConsoleContext } from './context.js';
import { type MessageKey, translateCode } from './i18n.js';
import { Layout } from './layout.js';

export interface PageOptions {
  readonly title: string;
  readonly status?: 200 | 400 | 403 | 404 | 409 | 412 | 422 | 500 | 503;
}

/** Renders a full page in the layout, with the caller's language and session. */
export function page(c: ConsoleContext, options: PageOptions, body: Child): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store');
  return c.html(
    '<!doctype html>' +
      String(
        <Layout lang={c.get('lang')} t={c.get('t')} title={options.title} path={c.req.path} session={c.get('session')} organisationName={c.get('organisationName')}>
          {body}
        </Layout>,
      ),
    options.status ?? 200,
  );
}

export function StatusBadge(props: { c: ConsoleContext; status: string }) {
  return <span class={`status status-${props.status}`}>{translateCode(props.c.get('t'), 'status', props.status)}</span>;
}

export function Notice(props: { c: ConsoleContext; done: string | undefined }) {
  if (!props.done) return null;
  const key = `done.${props.done}`;
  const text = translateCode(props.c.get('t'), 'done', props.done);
  if (text === props.done) return null; // not one of ours: shown nowhere
  return (
    <p class="notice" role="status" data-testid="notice">
      {props.c.get('t')(key as MessageKey)}
    </p>
  );
}

export function errorPage(c: ConsoleContext, status: 400 | 403 | 404 | 409 | 412 | 422 | 500 | 503, title: string, detail: string | undefined): Response | Promise<Response> {
  const t = c.get('t');
  return page(
    c,
    { title, status },
    <>
      <h1>{title}</h1>
      {detail ? (
        <p class="error" role="alert" data-testid="error-detail">
          {detail}
        </p>
      ) : null}
      <p>
        <a href="/console">{t('home')}</a>
      </p>
    </>,
  );
}
