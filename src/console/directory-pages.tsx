/**
 * /console/directory: organisation search with the API's filters, a tree of a SOR subtree, the
 * import history with what each import changed, and local units for municipal administrators.
 * Reads use the directory's own queries under the API's roles (every staff role reads the
 * directory); local units go through registerLocalUnit/closeLocalUnit, whose rule (only the
 * municipality's own administrators) is the API's.
 */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema/index.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { type LocalUnitActor, closeLocalUnit, registerLocalUnit } from '../directory/local-units.js';
import { MUNICIPAL_LOCAL_UNIT_TYPES } from '../directory/local-unit-types.js';
import { InvalidCursorError, getOrganisation, searchOrganisations } from '../directory/queries.js';
import { redactSourceLocation } from '../directory/source-location.js';
import { requireRole } from '../http/middleware.js';
import { ProblemError } from '../http/problem.js';
import { STAFF_ROLES } from '../identity/caller.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import type { ConsoleContext, ConsoleEnv } from './context.js';
import { formatDate, formatInstant } from './i18n.js';
import { CsrfField } from './layout.js';
import { Notice, page } from './pages.js';

export interface DirectoryPagesDeps {
  readonly db: Kysely<Database>;
  readonly directory: Pick<DirectoryCache, 'view'>;
  readonly changes: Pick<ChangeFeed, 'publish'>;
}

const sor = z.string().regex(/^\d{6,18}$/);
const searchSchema = z.object({
  q: z.string().trim().min(1).max(200).optional(),
  sor: sor.optional(),
  unitType: z.string().max(40).optional(),
  region: z.string().regex(/^\d{4}$/).optional(),
  municipality: z.string().regex(/^\d{3}$/).optional(),
  subtree: sor.optional(),
  activeAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  local: z.enum(['true', 'false']).optional(),
  cursor: z.string().max(500).optional(),
});
const TREE_LIMIT = 2000;

interface TreeNode {
  readonly sor: string;
  readonly name: string;
  readonly unitType: string | null;
  readonly closed: boolean;
  readonly children: TreeNode[];
}

function Tree(props: { nodes: readonly TreeNode[] }) {
  return (
    <ul>
      {props.nodes.map((n) => (
        <li>
          <a href={`/console/directory/tree/${n.sor}`}>{n.name}</a> <span class="muted">({n.sor}{n.unitType ? `, ${n.unitType}` : ''}){n.closed ? ' ✕' : ''}</span>
          {n.children.length > 0 ? <Tree nodes={n.children} /> : null}
        </li>
      ))}
    </ul>
  );
}

export function directoryPages(deps: DirectoryPagesDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('*', requireRole(...STAFF_ROLES));

  app.get('/', async (c) => {
    const t = c.get('t');
    const raw = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v.trim() !== ''));
    const parsed = searchSchema.safeParse(raw);
    const f = parsed.success ? parsed.data : {};
    const { local, cursor, ...filters } = f;
    let result: Awaited<ReturnType<typeof searchOrganisations>> = { items: [], nextCursor: null };
    try {
      result = await searchOrganisations(deps.db, { ...filters, ...(local ? { local: local === 'true' } : {}) }, { sort: 'name', order: 'asc', limit: 100, cursor });
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
    }
    const v = (k: keyof typeof f) => (typeof f[k] === 'string' ? (f[k] as string) : '');
    const field = (id: keyof typeof f, label: string, type = 'text') => (
      <div>
        <label for={id}>{label}</label>
        <input type={type} id={id} name={id} value={v(id)} />
      </div>
    );
    const next = result.nextCursor ? `/console/directory?${new URLSearchParams({ ...raw, cursor: result.nextCursor }).toString()}` : null;
    return page(
      c,
      { title: t('directoryTitle') },
      <>
        <h1>{t('directoryTitle')}</h1>
        <form method="get" action="/console/directory" role="search" aria-label={t('search')}>
          <fieldset>
            <legend>{t('filters')}</legend>
            <div class="filters">
              {field('q', t('name'), 'search')}
              {field('sor', t('sorCode'))}
              {field('unitType', t('unitType'))}
              {field('region', t('regionCode'))}
              {field('municipality', t('municipalityCode'))}
              {field('subtree', t('underSubtree'))}
              {field('activeAt', t('validAt'), 'date')}
            </div>
            <div class="form-actions">
              <button type="submit">{t('search')}</button>
              <a class="button secondary" href="/console/directory">
                {t('clearFilters')}
              </a>
            </div>
          </fieldset>
        </form>
        {result.items.length === 0 ? (
          <p>{t('noOrganisations')}</p>
        ) : (
          <div class="table-wrap" tabindex={0} role="region" aria-label={t('directoryTitle')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('name')}</th>
                  <th scope="col">{t('sorCode')}</th>
                  <th scope="col">{t('level')}</th>
                  <th scope="col">{t('unitType')}</th>
                  <th scope="col">{t('municipalityCode')}</th>
                  <th scope="col">{t('period')}</th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((o) => (
                  <tr data-testid="organisation-row">
                    <td>
                      <a href={`/console/directory/tree/${o.sor}`}>{o.name}</a>
                    </td>
                    <td>{o.sor}</td>
                    <td>{o.level}</td>
                    <td>{o.unitType ?? ''}</td>
                    <td>{o.municipalityCode ?? ''}</td>
                    <td>
                      {o.validFrom}
                      {o.validTo ? ` – ${o.validTo}` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {next ? (
          <p>
            <a href={next}>{t('next')}</a>
          </p>
        ) : null}
      </>,
    );
  });

  app.get('/tree/:sor', async (c) => {
    const t = c.get('t');
    const code = c.req.param('sor');
    const org = sor.safeParse(code).success ? await getOrganisation(deps.db, code) : null;
    if (!org) throw new ProblemError(404, 'organisation-not-found', 'Organisation not found', { detail: 'no organisation with this SOR code' });
    const rows = await deps.db
      .selectFrom('organisation')
      .select(['sor', 'name', 'parent_sor', 'unit_type', 'valid_to', 'removed_at'])
      .where('path', 'like', `%/${code}/%`)
      .where('sor', '!=', code)
      .orderBy('name')
      .limit(TREE_LIMIT)
      .execute();
    const today = new Date().toISOString().slice(0, 10);
    const nodes = new Map<string, TreeNode>(rows.map((r) => [r.sor, { sor: r.sor, name: r.name, unitType: r.unit_type, closed: r.removed_at !== null || (r.valid_to !== null && String(r.valid_to) <= today), children: [] }]));
    const top: TreeNode[] = [];
    for (const r of rows) {
      const node = nodes.get(r.sor) as TreeNode;
      const parent = r.parent_sor ? nodes.get(r.parent_sor) : undefined;
      (parent && r.parent_sor !== code ? parent.children : top).push(node);
    }
    const ancestors = deps.directory.view().ancestors(code);
    return page(
      c,
      { title: `${t('treeTitle')}: ${org.name}` },
      <>
        <nav aria-label={t('parent')}>
          <p>
            <a href="/console/directory">{t('directoryTitle')}</a>
            {[...ancestors].reverse().map((a) => (
              <>
                {' › '}
                <a href={`/console/directory/tree/${a.sor}`}>{a.name}</a>
              </>
            ))}
          </p>
        </nav>
        <h1>{org.name}</h1>
        <dl class="facts">
          <dt>{t('sorCode')}</dt>
          <dd>{org.sor}</dd>
          <dt>{t('level')}</dt>
          <dd>{org.level}</dd>
          <dt>{t('unitType')}</dt>
          <dd>{org.unitType ?? ''}</dd>
          <dt>{t('period')}</dt>
          <dd>
            {org.validFrom}
            {org.validTo ? ` – ${org.validTo}` : ''}
          </dd>
          <dt>{t('eans')}</dt>
          <dd>{org.eanNumbers.map((e) => `${e.ean}${e.own ? '' : ` (${t('inherited')}: ${e.heldBy})`}`).join(', ')}</dd>
        </dl>
        <h2>{t('treeTitle')}</h2>
        <div class="tree" data-testid="tree">
          {top.length > 0 ? <Tree nodes={top} /> : <p class="muted">—</p>}
        </div>
      </>,
    );
  });

  app.get('/imports', async (c) => {
    const t = c.get('t');
    const lang = c.get('lang');
    const imports = await deps.db.selectFrom('sor_import').selectAll().orderBy('id', 'desc').limit(50).execute();
    const chosen = c.req.query('import');
    const changes =
      chosen && /^\d{1,18}$/.test(chosen)
        ? await deps.db.selectFrom('organisation_version').select(['sor', 'change', 'record']).where('import_id', '=', chosen).where('change', '!=', 'added').orderBy('sor').limit(500).execute()
        : [];
    const added = chosen && /^\d{1,18}$/.test(chosen) ? await deps.db.selectFrom('organisation_version').select(['sor', 'record']).where('import_id', '=', chosen).where('change', '=', 'added').orderBy('sor').limit(500).execute() : [];
    const nameOf = (r: unknown) => (typeof r === 'object' && r !== null && typeof (r as { name?: unknown }).name === 'string' ? (r as { name: string }).name : '');
    return page(
      c,
      { title: t('importsTitle') },
      <>
        <h1>{t('importsTitle')}</h1>
        {imports.length === 0 ? (
          <p>{t('noImports')}</p>
        ) : (
          <div class="table-wrap" tabindex={0} role="region" aria-label={t('importsTitle')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('importedAt')}</th>
                  <th scope="col">{t('source')}</th>
                  <th scope="col">{t('entities')}</th>
                  <th scope="col">{t('added')}</th>
                  <th scope="col">{t('changed')}</th>
                  <th scope="col">{t('removed')}</th>
                </tr>
              </thead>
              <tbody>
                {imports.map((i) => (
                  <tr data-testid="import-row">
                    <td>
                      <a href={`/console/directory/imports?import=${i.id}`}>{formatInstant(lang, i.finished_at)}</a>
                    </td>
                    <td>{redactSourceLocation(i.source)}</td>
                    <td>{i.entities}</td>
                    <td>{i.added}</td>
                    <td>{i.changed}</td>
                    <td>{i.closed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {chosen ? (
          <section aria-labelledby="import-changes">
            <h2 id="import-changes">{t('changes')}</h2>
            <div class="table-wrap" tabindex={0} role="region" aria-label={t('changes')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('action')}</th>
                    <th scope="col">{t('sorCode')}</th>
                    <th scope="col">{t('name')}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...changes.map((r) => ({ change: r.change, sor: r.sor, record: r.record })), ...added.map((r) => ({ change: 'added', sor: r.sor, record: r.record }))].map((r) => (
                    <tr data-testid="import-change">
                      <td>{r.change}</td>
                      <td>
                        <a href={`/console/directory/tree/${r.sor}`}>{r.sor}</a>
                      </td>
                      <td>{nameOf(r.record)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ) : null}
      </>,
    );
  });

  const admin = requireRole('agreement-admin');
  const actorOf = (c: ConsoleContext): LocalUnitActor => {
    const caller = c.get('caller');
    return { by: `${caller.issuer}#${caller.subject}`, actingOrganisation: caller.organisationSor, within: (s, root) => deps.directory.view().isWithin(s, root), audit: actorFromCaller(caller), requestId: c.get('requestId') ?? null };
  };

  app.get('/local-units', admin, async (c) => {
    const t = c.get('t');
    const lang = c.get('lang');
    const caller = c.get('caller');
    const view = deps.directory.view();
    // The municipality the administrator acts for: its own SOR entity or the owner above it.
    const chain = [view.get(caller.organisationSor), ...view.ancestors(caller.organisationSor)].filter((o) => o !== undefined);
    const municipality = chain.find((o) => o.ownerType === 'municipality' && o.parentSor === null) ?? null;
    const units = municipality
      ? await deps.db.selectFrom('organisation').select(['sor', 'name', 'unit_type', 'valid_from', 'valid_to', 'parent_sor']).where('local', '=', true).where('path', 'like', `/${municipality.sor}/%`).orderBy('name').limit(500).execute()
      : [];
    const session = c.get('session');
    return page(
      c,
      { title: t('localUnitsTitle') },
      <>
        <h1>{t('localUnitsTitle')}</h1>
        <Notice c={c} done={c.req.query('done')} />
        <p>{t('localUnitsIntro')}</p>
        {!municipality ? (
          <p class="error" role="alert">
            {t('localOnlyMunicipal')}
          </p>
        ) : (
          <>
            <div class="table-wrap" tabindex={0} role="region" aria-label={t('localUnitsTitle')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('name')}</th>
                    <th scope="col">{t('sorCode')}</th>
                    <th scope="col">{t('unitType')}</th>
                    <th scope="col">{t('period')}</th>
                    <th scope="col">{t('actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {units.map((u) => (
                    <tr data-testid="local-unit-row">
                      <td>{u.name}</td>
                      <td>{u.sor}</td>
                      <td>{MUNICIPAL_LOCAL_UNIT_TYPES.find((x) => x.code === u.unit_type)?.name ?? u.unit_type}</td>
                      <td>
                        {formatDate(lang, String(u.valid_from))}
                        {u.valid_to ? ` – ${formatDate(lang, String(u.valid_to))}` : ''}
                      </td>
                      <td>
                        {u.valid_to ? null : (
                          <form method="post" action={`/console/directory/local-units/${u.sor}/close`}>
                            <CsrfField session={session} />
                            <button type="submit" class="secondary" aria-label={`${t('closeUnit')}: ${u.name}`}>
                              {t('closeUnit')}
                            </button>
                          </form>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>{t('registerLocalUnit')}</h2>
            <form method="post" action="/console/directory/local-units">
              <CsrfField session={session} />
              <input type="hidden" name="parentSor" value={municipality.sor} />
              <input type="hidden" name="municipalityCode" value={municipality.municipalityCode ?? ''} />
              <div class="form-grid">
                <div>
                  <label for="lu-name">{t('name')}</label>
                  <input type="text" id="lu-name" name="name" required maxlength={200} />
                </div>
                <div>
                  <label for="lu-type">{t('unitType')}</label>
                  <select id="lu-type" name="unitType">
                    {MUNICIPAL_LOCAL_UNIT_TYPES.map((x) => (
                      <option value={x.code}>{x.name}</option>
                    ))}
                  </select>
                </div>
                <div>
                  <label for="lu-ean">EAN</label>
                  <input type="text" id="lu-ean" name="ean" inputmode="numeric" pattern="\d{13}" />
                </div>
              </div>
              <div class="form-actions">
                <button type="submit">{t('registerLocalUnit')}</button>
              </div>
            </form>
          </>
        )}
      </>,
    );
  });

  app.post('/local-units', admin, async (c) => {
    const body = await c.req.parseBody();
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    if (!sor.safeParse(text('parentSor')).success || !text('name')) throw new ProblemError(422, 'local-unit-invalid', 'Local unit not valid', { detail: 'name and parent are required' });
    await registerLocalUnit(
      deps.db,
      { parentSor: text('parentSor'), name: text('name').slice(0, 200), unitType: text('unitType'), municipalityCode: text('municipalityCode'), ean: text('ean') || null },
      actorOf(c),
    );
    await deps.changes.publish('directory');
    return c.redirect('/console/directory/local-units?done=registered', 303);
  });

  app.post('/local-units/:sor/close', admin, async (c) => {
    const code = c.req.param('sor');
    if (!sor.safeParse(code).success) throw new ProblemError(404, 'not-found', 'Not found');
    await closeLocalUnit(deps.db, code, new Date().toISOString().slice(0, 10), actorOf(c));
    await deps.changes.publish('directory');
    return c.redirect('/console/directory/local-units?done=closed', 303);
  });

  return app;
}
