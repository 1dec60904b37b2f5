/**
 * GET /console/dashboard: lookups and messages per day per organisation, denials by reason and
 * source availability, as server-rendered SVG charts with a table of the same figures under each.
 * Counted from what the audit search lets the signed-in organisation see (queries.ts), for
 * auditors and agreement administrators; other roles are refused like the API refuses them.
 */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/schema/index.js';
import { requireRole } from '../../http/middleware.js';
import { BarChart, LineChart } from '../charts/svg.js';
import { type ConsoleContext, type ConsoleEnv, sessionOf } from '../context.js';
import type { ConsolePage } from '../index.js';
import { page } from '../pages.js';
import { dashboardRecords } from './queries.js';
import { OTHERS, daysBetween, summarise } from './summary.js';
import { dashboardWords } from './words.js';

export const DASHBOARD_ROLES = ['auditor', 'agreement-admin'] as const;
const PERIODS = [7, 14, 30] as const;
const querySchema = z.object({ days: z.enum(['7', '14', '30']).default('14') });

export function dashboardPage(deps: { db: Kysely<Database>; now?: () => Date }): ConsolePage {
  const now = deps.now ?? (() => new Date());
  const router = new Hono<ConsoleEnv>();
  router.use('*', requireRole(...DASHBOARD_ROLES));
  router.get('/', async (c: ConsoleContext) => {
    const w = dashboardWords(c.get('lang'));
    // An unknown period is shown as the default, not refused: it is only a view setting.
    const parsed = querySchema.safeParse({ days: c.req.query('days') });
    const days = Number(parsed.success ? parsed.data.days : '14');
    const to = now();
    const from = new Date(to.getTime() - (days - 1) * 86_400_000);
    from.setUTCHours(0, 0, 0, 0);
    const caller = sessionOf(c).caller;
    const { records, truncated } = await dashboardRecords(deps.db, caller.organisationSor, from, to);
    const summary = summarise(records, daysBetween(from, to));
    const nameOf = (key: string): string => (key === OTHERS ? w('others') : (c.get('organisationName')(key) ?? key));
    const labels = summary.days.map((d) => d.slice(5)); // MM-DD: the year is in the table's rows
    const common = { categories: labels, categoryHeader: w('day'), tableLabel: w('showTable') };
    return page(
      c,
      { title: w('title') },
      <>
        <h1>{w('title')}</h1>
        <p>{w('intro')}</p>
        <form method="get" action="/console/dashboard" class="actions-row">
          <div>
            <label for="days">{w('period')}</label>
            <select id="days" name="days">
              {PERIODS.map((p) => (
                <option value={String(p)} selected={p === days}>
                  {w('days', p)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{w('show')}</button>
        </form>
        {truncated ? (
          <p class="error" role="status">
            {w('truncated')}
          </p>
        ) : null}
        {records.length === 0 ? <p data-testid="dashboard-empty">{w('empty')}</p> : null}
        <h2>{w('lookupsTitle')}</h2>
        <BarChart id="chart-lookups" title={w('lookupsTitle')} description={w('lookupsDesc')} series={summary.lookups.map((s) => ({ name: nameOf(s.key), values: s.values }))} {...common} />
        <h2>{w('messagesTitle')}</h2>
        <BarChart id="chart-messages" title={w('messagesTitle')} description={w('messagesDesc')} series={summary.messages.map((s) => ({ name: nameOf(s.key), values: s.values }))} {...common} />
        <h2>{w('denialsTitle')}</h2>
        <BarChart
          id="chart-denials"
          title={w('denialsTitle')}
          description={w('denialsDesc')}
          categories={summary.denials.map((d) => d.reason)}
          categoryHeader={w('reason')}
          tableLabel={w('showTable')}
          series={[{ name: w('series'), values: summary.denials.map((d) => d.count) }]}
        />
        <h2>{w('availabilityTitle')}</h2>
        <LineChart
          id="chart-availability"
          title={w('availabilityTitle')}
          description={w('availabilityDesc')}
          fixedMax={100}
          unit=" %"
          series={summary.availability.map((s) => ({ name: s.key === OTHERS ? w('others') : s.key, values: s.values.map((v) => v ?? Number.NaN) }))}
          {...common}
        />
      </>,
    );
  });
  return { path: '/dashboard', router };
}
