/**
 * /console/agreements and /console/explain: the overview (every API filter in the URL, sorting,
 * CSV), the detail page (versions with a readable diff, approvals, history), create and revise,
 * and the lifecycle actions. Everything goes through the API's AgreementService with the
 * session's Caller as actor, under the API's roles: the same approval and visibility rules apply.
 */
import { Hono } from 'hono';
import { actorFromCaller } from '../audit/audit-event.js';
import { toCsv } from '../agreements/csv.js';
import { LEGAL_BASES } from '../agreements/legal-basis.js';
import { versionInForce } from '../agreements/lifecycle.js';
import { DATA_ELEMENTS, PURPOSES, type Agreement } from '../agreements/model.js';
import { termsSchema, toTerms } from '../agreements/schemas.js';
import { type Actor, type AgreementService, etagOf } from '../agreements/service.js';
import type { DecisionService } from '../agreements/decision-service.js';
import type { StoredAgreement } from '../agreements/store.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { requireRole } from '../http/middleware.js';
import { ProblemError } from '../http/problem.js';
import { ASSURANCE_LEVELS, DATA_ROLES } from '../identity/caller.js';
import { applyConsoleFilters, parseOverviewFilters, parseParties, partiesText, selectorText, versionDiffs } from './agreement-view.js';
import type { ConsoleContext, ConsoleEnv } from './context.js';
import { type MessageKey, formatDate, formatInstant, translateCode } from './i18n.js';
import { CsrfField } from './layout.js';
import { Notice, StatusBadge, page } from './pages.js';

export interface AgreementPagesDeps {
  readonly agreements: AgreementService;
  readonly decisions: Pick<DecisionService, 'explain'>;
  readonly directory: Pick<DirectoryCache, 'view'>;
}

/** The console shows at most this many agreements at once; narrow the filters beyond it. */
const OVERVIEW_LIMIT = 1000;
const CSV_LIMIT = 50_000;
const readers = requireRole('agreement-admin', 'auditor');
const writers = requireRole('agreement-admin');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function actorOf(c: ConsoleContext): Actor {
  const caller = c.get('caller');
  return { issuer: caller.issuer, subject: caller.subject, organisationSor: caller.organisationSor, requestId: c.get('requestId') ?? null, audit: actorFromCaller(caller) };
}

async function form(c: ConsoleContext): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}
const one = (f: Record<string, string | string[]>, key: string): string => {
  const v = f[key];
  return typeof v === 'string' ? v : (v?.[0] ?? '');
};
const many = (f: Record<string, string | string[]>, key: string): string[] => {
  const v = f[key];
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
};

function Select(props: { id: string; label: string; value: string | undefined; options: readonly { value: string; label: string }[]; any?: string }) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.id}>
        {props.any !== undefined ? <option value="">{props.any}</option> : null}
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function agreementPages(deps: AgreementPagesDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const name = (sor: string) => deps.directory.view().get(sor)?.name ?? null;
  const orgLabel = (sor: string) => {
    const n = name(sor);
    return n ? `${n} (${sor})` : sor;
  };
  const partyLabel = (p: Agreement['sideA']['parties'][number]) => (p.kind === 'unit-type' ? selectorText(p) : `${p.kind === 'subtree' ? '⊂ ' : ''}${orgLabel(p.sor)}`);

  app.use('*', readers);

  app.get('/', async (c) => {
    const t = c.get('t');
    const lang = c.get('lang');
    const filters = parseOverviewFilters(new URL(c.req.url).searchParams);
    const unitTypeOf = (sor: string) => deps.directory.view().get(sor)?.unitType ?? null;
    if (c.req.query('format') === 'csv') {
      const rows = applyConsoleFilters(await deps.agreements.list(actorOf(c), filters.query, { ...filters.options, limit: CSV_LIMIT }), filters, unitTypeOf);
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', 'attachment; filename="agreements.csv"');
      c.header('Cache-Control', 'no-store');
      return c.body(toCsv(rows), 200);
    }
    const rows = applyConsoleFilters(await deps.agreements.list(actorOf(c), filters.query, { ...filters.options, limit: OVERVIEW_LIMIT }), filters, unitTypeOf);
    const p = filters.params;
    const csvHref = `/console/agreements?${new URLSearchParams({ ...p, format: 'csv' }).toString()}`;
    const sorts = ['title', '-title', 'validTo', '-validTo', 'updatedAt', '-updatedAt'];
    const statuses = ['draft', 'awaiting-approval', 'active', 'suspended', 'revoked', 'expired'];
    const isAdmin = c.get('caller').role === 'agreement-admin';
    return page(
      c,
      { title: t('agreementsTitle') },
      <>
        <h1>{t('agreementsTitle')}</h1>
        <Notice c={c} done={c.req.query('done')} />
        <form method="get" action="/console/agreements" role="search" aria-label={t('filters')} hx-get="/console/agreements" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="change">
          <fieldset>
            <legend>{t('filters')}</legend>
            <div class="filters">
              <div>
                <label for="party">{t('party')}</label>
                <input type="text" id="party" name="party" inputmode="numeric" value={p.party ?? ''} />
              </div>
              <div class="check">
                <input type="checkbox" id="includeSubtree" name="includeSubtree" value="true" checked={p.includeSubtree === 'true'} /> <label for="includeSubtree">{t('includeSubtree')}</label>
              </div>
              <div>
                <label for="unitType">{t('unitType')}</label>
                <input type="text" id="unitType" name="unitType" value={p.unitType ?? ''} />
              </div>
              <Select id="action" label={t('dataElement')} value={p.action} any={t('any')} options={DATA_ELEMENTS.map((d) => ({ value: d, label: translateCode(t, 'element', d) }))} />
              <Select id="purpose" label={t('purpose')} value={p.purpose} any={t('any')} options={PURPOSES.map((d) => ({ value: d, label: translateCode(t, 'purpose', d) }))} />
              <Select id="legalBasis" label={t('legalBasis')} value={p.legalBasis} any={t('any')} options={LEGAL_BASES.map((b) => ({ value: b.code, label: b.label }))} />
              <Select id="status" label={t('status')} value={p.status} any={t('any')} options={statuses.map((s) => ({ value: s, label: translateCode(t, 'status', s) }))} />
              <div>
                <label for="validAt">{t('validAt')}</label>
                <input type="date" id="validAt" name="validAt" value={p.validAt ?? ''} />
              </div>
              <div>
                <label for="expiringWithinDays">{t('expiringWithin')}</label>
                <input type="number" id="expiringWithinDays" name="expiringWithinDays" min="0" max="3650" value={p.expiringWithinDays ?? ''} />
              </div>
              <Select id="referencesClosedUnits" label={t('referencesClosed')} value={p.referencesClosedUnits} any={t('any')} options={[{ value: 'true', label: t('yes') }, { value: 'false', label: t('no') }]} />
              <div>
                <label for="q">{t('freeText')}</label>
                <input type="search" id="q" name="q" value={p.q ?? ''} />
              </div>
              <Select id="sort" label={t('sort')} value={p.sort ?? 'title'} options={sorts.map((s) => ({ value: s, label: t(`sort.${s}` as MessageKey) }))} />
            </div>
            <div class="form-actions">
              <button type="submit">{t('applyFilters')}</button>
              <a class="button secondary" href="/console/agreements">
                {t('clearFilters')}
              </a>
              <a class="button secondary" href={csvHref} data-testid="csv-link">
                {t('exportCsv')}
              </a>
              {isAdmin ? (
                <a class="button secondary" href="/console/agreements/new">
                  {t('newAgreement')}
                </a>
              ) : null}
            </div>
          </fieldset>
        </form>
        <div id="results">
          <p role="status" data-testid="result-count">
            {rows.length} {t('resultCount')}
          </p>
          {rows.length === 0 ? (
            <p>{t('noAgreements')}</p>
          ) : (
            <div class="table-wrap" tabindex={0} role="region" aria-label={t('agreementsTitle')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('title')}</th>
                    <th scope="col">{t('status')}</th>
                    <th scope="col">{t('sideA')}</th>
                    <th scope="col">{t('sideB')}</th>
                    <th scope="col">{t('dataElement')}</th>
                    <th scope="col">{t('period')}</th>
                    <th scope="col">{t('updated')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr data-testid="agreement-row">
                      <td>
                        <a href={`/console/agreements/${r.agreement.id}`}>{r.agreement.title}</a>
                      </td>
                      <td>
                        <StatusBadge c={c} status={r.status} />
                      </td>
                      <td>{r.agreement.sideA.parties.map(partyLabel).join('; ')}</td>
                      <td>{r.agreement.sideB.parties.map(partyLabel).join('; ')}</td>
                      <td>{r.agreement.dataElements.map((d) => translateCode(t, 'element', d)).join(', ')}</td>
                      <td>
                        {formatDate(lang, r.agreement.period.validFrom)} – {r.agreement.period.validTo ? formatDate(lang, r.agreement.period.validTo) : t('open')}
                      </td>
                      <td>{formatInstant(lang, r.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      </>,
    );
  });

  app.get('/new', writers, (c) => termsForm(c, null, null));

  app.post('/', writers, async (c) => {
    const f = await form(c);
    const terms = termsFromForm(f);
    if ('error' in terms) return termsForm(c, null, terms.error, f);
    const stored = await deps.agreements.create(actorOf(c), terms.terms);
    return c.redirect(`/console/agreements/${stored.record.id}?done=created`, 303);
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    if (!UUID.test(id)) throw new ProblemError(404, 'agreement-not-found', 'Agreement not found', { detail: 'no agreement has this id' });
    const stored = await deps.agreements.get(actorOf(c), id);
    const history = await deps.agreements.history(actorOf(c), id);
    return detail(c, stored, history);
  });

  app.get('/:id/edit', writers, async (c) => {
    const id = c.req.param('id');
    if (!UUID.test(id)) throw new ProblemError(404, 'agreement-not-found', 'Agreement not found', { detail: 'no agreement has this id' });
    return termsForm(c, await deps.agreements.get(actorOf(c), id), null);
  });

  app.post('/:id', writers, async (c) => {
    const id = c.req.param('id');
    const f = await form(c);
    const terms = termsFromForm(f);
    if ('error' in terms) return termsForm(c, await deps.agreements.get(actorOf(c), id), terms.error, f);
    await deps.agreements.update(actorOf(c), id, one(f, 'etag'), terms.terms);
    return c.redirect(`/console/agreements/${id}?done=updated`, 303);
  });

  app.post('/:id/:action{submit|approve|suspend|resume|revoke}', writers, async (c) => {
    const id = c.req.param('id');
    const action = c.req.param('action');
    const f = await form(c);
    const etag = one(f, 'etag');
    const reason = one(f, 'reason').trim();
    const actor = actorOf(c);
    switch (action) {
      case 'submit':
        await deps.agreements.submit(actor, id, etag);
        break;
      case 'approve': {
        const version = Number.parseInt(one(f, 'version'), 10);
        const side = one(f, 'side');
        await deps.agreements.approve(actor, id, Number.isFinite(version) ? version : 0, etag, side === 'a' || side === 'b' ? side : undefined);
        break;
      }
      case 'suspend':
      case 'resume':
        await deps.agreements[action](actor, id, etag, reason || null);
        break;
      case 'revoke':
        if (!reason) throw new ProblemError(422, 'validation-failed', 'Reason required', { detail: 'a revocation needs a reason' });
        await deps.agreements.revoke(actor, id, etag, reason);
        break;
    }
    const done = { submit: 'submitted', approve: 'approved', suspend: 'suspended', resume: 'resumed', revoke: 'revoked' }[action as 'submit'];
    return c.redirect(`/console/agreements/${id}?done=${done}`, 303);
  });

  function detail(c: ConsoleContext, stored: StoredAgreement, history: Awaited<ReturnType<AgreementService['history']>>) {
    const t = c.get('t');
    const lang = c.get('lang');
    const versions = stored.record.versions;
    const inForce = versionInForce(stored.record);
    const pending = versions.find((v) => v.status === 'draft' || v.status === 'awaiting-approval');
    const shown = pending ?? inForce ?? [...versions].sort((x, y) => y.version - x.version)[0];
    if (!shown) throw new ProblemError(404, 'agreement-not-found', 'Agreement not found');
    const etag = etagOf(stored.rowVersion);
    const isAdmin = c.get('caller').role === 'agreement-admin';
    const session = c.get('session');
    const Action = (props: { action: string; label: string; danger?: boolean; reason?: 'optional' | 'required'; extra?: Record<string, string> }) => (
      <form method="post" action={`/console/agreements/${stored.record.id}/${props.action}`}>
        <CsrfField session={session} />
        <input type="hidden" name="etag" value={etag} />
        {Object.entries(props.extra ?? {}).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        {props.reason ? (
          <div>
            <label for={`reason-${props.action}`}>{t('reason')}</label>
            <input type="text" id={`reason-${props.action}`} name="reason" required={props.reason === 'required'} maxlength={1000} />
          </div>
        ) : null}
        <button type="submit" class={props.danger ? 'danger' : undefined}>
          {props.label}
        </button>
      </form>
    );
    return page(
      c,
      { title: shown.title },
      <>
        <p>
          <a href="/console/agreements">← {t('agreementsTitle')}</a>
        </p>
        <h1>{shown.title}</h1>
        <Notice c={c} done={c.req.query('done')} />
        <dl class="facts">
          <dt>{t('status')}</dt>
          <dd>
            <StatusBadge c={c} status={shown.status} /> {t('version')} {shown.version}
            {inForce && inForce !== shown ? ` (${t('inForce')}: ${t('version')} ${inForce.version})` : ''}
          </dd>
          <dt>{t('sideA')}</dt>
          <dd>
            {shown.sideA.parties.map(partyLabel).join('; ')} — {t('approvingOrganisation')}: {orgLabel(shown.sideA.approvingOrganisationSor)}
          </dd>
          <dt>{t('sideB')}</dt>
          <dd>
            {shown.sideB.parties.map(partyLabel).join('; ')} — {t('approvingOrganisation')}: {orgLabel(shown.sideB.approvingOrganisationSor)}
          </dd>
          <dt>{t('direction')}</dt>
          <dd>{translateCode(t, 'direction', shown.direction)}</dd>
          <dt>{t('dataElement')}</dt>
          <dd>{shown.dataElements.map((d) => translateCode(t, 'element', d)).join(', ')}</dd>
          <dt>{t('purpose')}</dt>
          <dd>{shown.purposes.map((d) => translateCode(t, 'purpose', d)).join(', ')}</dd>
          <dt>{t('roles')}</dt>
          <dd>{shown.roles.map((r) => t(`role.${r}` as MessageKey)).join(', ')}</dd>
          <dt>{t('minimumAssurance')}</dt>
          <dd>{shown.minimumAssurance}</dd>
          <dt>{t('legalBasis')}</dt>
          <dd>
            {LEGAL_BASES.find((b) => b.code === shown.legalBasis.code)?.label ?? shown.legalBasis.code}
            {shown.legalBasis.reference ? ` (${shown.legalBasis.reference})` : ''}
          </dd>
          <dt>{t('period')}</dt>
          <dd>
            {formatDate(lang, shown.period.validFrom)} – {shown.period.validTo ? formatDate(lang, shown.period.validTo) : t('open')}
          </dd>
          <dt>{t('approvals')}</dt>
          <dd data-testid="approvals">
            {shown.approvals.length === 0
              ? t('noApprovals')
              : shown.approvals.map((a) => `${t(a.side === 'a' ? 'sideA' : 'sideB')}: ${orgLabel(a.actingForSor)}, ${formatInstant(lang, a.approvedAt)}`).join('; ')}
          </dd>
        </dl>
        {isAdmin ? (
          <section aria-labelledby="actions-h">
            <h2 id="actions-h">{t('actions')}</h2>
            <div class="actions-row">
              {shown.status === 'draft' ? <Action action="submit" label={t('submit')} /> : null}
              {shown.status === 'awaiting-approval'
                ? (['a', 'b'] as const)
                    .filter((side) => !shown.approvals.some((a) => a.side === side && a.version === shown.version))
                    .map((side) => <Action action="approve" label={`${t('approveAs')} ${side.toUpperCase()}`} extra={{ version: String(shown.version), side }} />)
                : null}
              {shown.status === 'draft' || shown.status === 'active' || shown.status === 'awaiting-approval' ? (
                <a class="button secondary" href={`/console/agreements/${stored.record.id}/edit`}>
                  {t('revise')}
                </a>
              ) : null}
              {inForce?.status === 'active' ? <Action action="suspend" label={t('suspend')} reason="optional" /> : null}
              {inForce?.status === 'suspended' ? <Action action="resume" label={t('resume')} reason="optional" /> : null}
              {inForce || pending ? <Action action="revoke" label={t('revoke')} reason="required" danger /> : null}
            </div>
          </section>
        ) : null}
        <h2>{t('versions')}</h2>
        {versionDiffs(versions).map(({ version, diff }) => (
          <section aria-label={`${t('version')} ${version.version}`} data-testid={`version-${version.version}`}>
            <h3>
              {t('version')} {version.version} <StatusBadge c={c} status={version.status} />
            </h3>
            {diff === null ? null : diff.length === 0 ? (
              <p class="muted">{t('noChanges')}</p>
            ) : (
              <div class="table-wrap" tabindex={0} role="region" aria-label={`${t('changes')}, ${t('version')} ${version.version}`}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('field')}</th>
                      <th scope="col">{t('before')}</th>
                      <th scope="col">{t('after')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {diff.map((d) => (
                      <tr>
                        <th scope="row">{d.field}</th>
                        <td>
                          <del>{d.before}</del>
                        </td>
                        <td>
                          <ins>{d.after}</ins>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        ))}
        <h2>{t('history')}</h2>
        <div class="table-wrap" tabindex={0} role="region" aria-label={t('history')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('when')}</th>
                <th scope="col">{t('action')}</th>
                <th scope="col">{t('version')}</th>
                <th scope="col">{t('who')}</th>
                <th scope="col">{t('reason')}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr>
                  <td>{formatInstant(lang, h.at)}</td>
                  <td>{h.action}</td>
                  <td>{h.version}</td>
                  <td>
                    {h.actorSubject}
                    {h.actorOrganisation ? `, ${orgLabel(h.actorOrganisation)}` : ''}
                  </td>
                  <td>{h.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </>,
    );
  }

  function termsForm(c: ConsoleContext, stored: StoredAgreement | null, error: string | null, given?: Record<string, string | string[]>) {
    const t = c.get('t');
    const base = stored ? (stored.record.versions.find((v) => v.status === 'draft' || v.status === 'awaiting-approval') ?? versionInForce(stored.record) ?? stored.record.versions[0]) : undefined;
    const v = (key: string, fallback: string) => (given ? one(given, key) : fallback);
    const checked = (key: string, value: string, current: readonly string[]) => (given ? many(given, key).includes(value) : current.includes(value));
    const title = stored ? t('revise') : t('newAgreement');
    return page(
      c,
      { title, status: error ? 422 : 200 },
      <>
        <h1>{title}</h1>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <form method="post" action={stored ? `/console/agreements/${stored.record.id}` : '/console/agreements'}>
          <CsrfField session={c.get('session')} />
          {stored ? <input type="hidden" name="etag" value={etagOf(stored.rowVersion)} /> : null}
          <div class="form-grid">
            <div>
              <label for="title">{t('title')}</label>
              <input type="text" id="title" name="title" required maxlength={200} value={v('title', base?.title ?? '')} />
            </div>
            {(['A', 'B'] as const).map((s) => {
              const side = s === 'A' ? base?.sideA : base?.sideB;
              return (
                <fieldset>
                  <legend>{t(s === 'A' ? 'sideA' : 'sideB')}</legend>
                  <label for={`parties${s}`}>{t('parties')}</label>
                  <textarea id={`parties${s}`} name={`parties${s}`} rows={3} aria-describedby="parties-help" required>
                    {v(`parties${s}`, side ? partiesText(side.parties) : '')}
                  </textarea>
                  <label for={`approver${s}`}>{t('approvingOrganisation')}</label>
                  <input type="text" id={`approver${s}`} name={`approver${s}`} required inputmode="numeric" value={v(`approver${s}`, side?.approvingOrganisationSor ?? '')} />
                </fieldset>
              );
            })}
            <p id="parties-help" class="muted">
              {t('partiesHelp')}
            </p>
            <fieldset>
              <legend>{t('dataElement')}</legend>
              {DATA_ELEMENTS.map((d) => (
                <div class="check">
                  <input type="checkbox" id={`de-${d}`} name="dataElements" value={d} checked={checked('dataElements', d, base?.dataElements ?? [])} /> <label for={`de-${d}`}>{translateCode(t, 'element', d)}</label>
                </div>
              ))}
            </fieldset>
            <fieldset>
              <legend>{t('purpose')}</legend>
              {PURPOSES.map((d) => (
                <div class="check">
                  <input type="checkbox" id={`pu-${d}`} name="purposes" value={d} checked={checked('purposes', d, base?.purposes ?? [])} /> <label for={`pu-${d}`}>{translateCode(t, 'purpose', d)}</label>
                </div>
              ))}
            </fieldset>
            <fieldset>
              <legend>{t('roles')}</legend>
              {DATA_ROLES.map((d) => (
                <div class="check">
                  <input type="checkbox" id={`ro-${d}`} name="roles" value={d} checked={checked('roles', d, base?.roles ?? [])} /> <label for={`ro-${d}`}>{t(`role.${d}` as MessageKey)}</label>
                </div>
              ))}
            </fieldset>
            <Select id="direction" label={t('direction')} value={v('direction', base?.direction ?? 'mutual')} options={['mutual', 'a-to-b'].map((d) => ({ value: d, label: translateCode(t, 'direction', d) }))} />
            <Select id="minimumAssurance" label={t('minimumAssurance')} value={v('minimumAssurance', base?.minimumAssurance ?? 'substantial')} options={ASSURANCE_LEVELS.map((d) => ({ value: d, label: d }))} />
            <Select id="legalBasisCode" label={t('legalBasis')} value={v('legalBasisCode', base?.legalBasis.code ?? '')} options={LEGAL_BASES.map((b) => ({ value: b.code, label: b.label }))} />
            <div>
              <label for="legalReference">{t('legalReference')}</label>
              <input type="text" id="legalReference" name="legalReference" maxlength={1000} value={v('legalReference', base?.legalBasis.reference ?? '')} />
            </div>
            <div>
              <label for="validFrom">{t('validFrom')}</label>
              <input type="date" id="validFrom" name="validFrom" required value={v('validFrom', base?.period.validFrom.slice(0, 10) ?? '')} />
            </div>
            <div>
              <label for="validTo">{t('validTo')}</label>
              <input type="date" id="validTo" name="validTo" value={v('validTo', base?.period.validTo?.slice(0, 10) ?? '')} />
            </div>
          </div>
          <div class="form-actions">
            <button type="submit">{stored ? t('save') : t('create')}</button>
            <a href={stored ? `/console/agreements/${stored.record.id}` : '/console/agreements'}>{t('back')}</a>
          </div>
        </form>
      </>,
    );
  }

  return app;
}

/** The form's fields as the API's terms, through the API's own schema. */
function termsFromForm(f: Record<string, string | string[]>): { terms: ReturnType<typeof toTerms> } | { error: string } {
  const partiesA = parseParties(one(f, 'partiesA'));
  const partiesB = parseParties(one(f, 'partiesB'));
  if ('error' in partiesA) return { error: `${'Side A'}: ${partiesA.error}` };
  if ('error' in partiesB) return { error: `${'Side B'}: ${partiesB.error}` };
  const parsed = termsSchema.safeParse({
    title: one(f, 'title'),
    sideA: { parties: partiesA, approvingOrganisationSor: one(f, 'approverA').trim() },
    sideB: { parties: partiesB, approvingOrganisationSor: one(f, 'approverB').trim() },
    dataElements: many(f, 'dataElements'),
    direction: one(f, 'direction'),
    purposes: many(f, 'purposes'),
    roles: many(f, 'roles'),
    minimumAssurance: one(f, 'minimumAssurance'),
    legalBasis: { code: one(f, 'legalBasisCode'), reference: one(f, 'legalReference') },
    period: { validFrom: one(f, 'validFrom'), validTo: one(f, 'validTo') || null },
  });
  if (!parsed.success) return { error: [...new Set(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))].slice(0, 5).join('; ') };
  return { terms: toTerms(parsed.data) };
}

/** /console/explain: the explain API's logic as a page, for administrators and auditors. */
export function explainPage(deps: AgreementPagesDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('*', readers);
  app.get('/', async (c) => {
    const t = c.get('t');
    const q = c.req.query();
    const org = /^\d{6,18}$/.test(q.organisation ?? '') ? (q.organisation as string) : null;
    const role = (DATA_ROLES as readonly string[]).includes(q.role ?? '') ? (q.role as (typeof DATA_ROLES)[number]) : 'clinician';
    const assurance = (ASSURANCE_LEVELS as readonly string[]).includes(q.assurance ?? '') ? (q.assurance as (typeof ASSURANCE_LEVELS)[number]) : 'substantial';
    const purpose = (PURPOSES as readonly string[]).includes(q.purpose ?? '') ? (q.purpose as (typeof PURPOSES)[number]) : undefined;
    const at = q.at && /^\d{4}-\d{2}-\d{2}$/.test(q.at) ? new Date(`${q.at}T12:00:00Z`) : new Date();
    let result: { name: string | null; blocked: string | null; entries: ReturnType<DecisionService['explain']>['entries'] } | null = null;
    if (org) {
      const e = deps.decisions.explain({ organisationSor: org, role, assurance, ...(purpose ? { purpose } : {}) }, at);
      // As the API: only agreements the asking organisation may see are explained.
      const visible = await deps.agreements.visibleIds(actorOf(c), [...new Set(e.entries.map((x) => x.agreement.id))]);
      result = { name: deps.directory.view().get(org)?.name ?? null, blocked: e.blocked, entries: e.entries.filter((x) => visible.has(x.agreement.id)) };
    }
    const dir = deps.directory.view();
    return page(
      c,
      { title: t('explainTitle') },
      <>
        <h1>{t('explainTitle')}</h1>
        <p>{t('explainIntro')}</p>
        <form method="get" action="/console/explain">
          <fieldset>
            <legend>{t('filters')}</legend>
            <div class="filters">
              <div>
                <label for="organisation">{t('organisation')}</label>
                <input type="text" id="organisation" name="organisation" inputmode="numeric" required value={org ?? ''} />
              </div>
              <Select id="role" label={t('role')} value={role} options={DATA_ROLES.map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }))} />
              <Select id="assurance" label={t('assurance')} value={assurance} options={ASSURANCE_LEVELS.map((a) => ({ value: a, label: a }))} />
              <Select id="purpose" label={t('purpose')} value={purpose} any={t('any')} options={PURPOSES.map((d) => ({ value: d, label: translateCode(t, 'purpose', d) }))} />
              <div>
                <label for="at">{t('at')}</label>
                <input type="date" id="at" name="at" value={q.at ?? ''} />
              </div>
            </div>
            <div class="form-actions">
              <button type="submit">{t('explain')}</button>
            </div>
          </fieldset>
        </form>
        {result ? (
          <section aria-labelledby="explain-result">
            <h2 id="explain-result">
              {result.name ?? org} ({org})
            </h2>
            {result.blocked ? (
              <p class="error" role="alert">
                {t('blocked')}: {translateCode(t, 'reason', result.blocked)}
              </p>
            ) : null}
            {result.entries.length === 0 ? (
              <p>{t('noEntries')}</p>
            ) : (
              <div class="table-wrap" tabindex={0} role="region" aria-label={t('reach')}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('agreementTitle')}</th>
                      <th scope="col">{t('reach')}</th>
                      <th scope="col">{t('dataElement')}</th>
                      <th scope="col">{t('usable')}</th>
                      <th scope="col">{t('reasons')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.entries.map((x) => (
                      <tr data-testid="explain-row">
                        <td>
                          <a href={`/console/agreements/${x.agreement.id}`}>{x.agreement.title}</a> ({t(x.side === 'a' ? 'sideA' : 'sideB')})
                        </td>
                        <td>{x.reach.map((p) => (p.kind === 'unit-type' ? selectorText(p) : `${dir.get(p.sor)?.name ?? p.sor}`)).join('; ')}</td>
                        <td>{x.dataElements.map((d) => translateCode(t, 'element', d)).join(', ')}</td>
                        <td>{x.reasons.length === 0 ? t('yes') : t('no')}</td>
                        <td>{x.reasons.map((r) => translateCode(t, 'reason', r)).join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        ) : null}
      </>,
    );
  });
  return app;
}
