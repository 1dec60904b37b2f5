/**
 * The agreement pages in Chromium: filtering (kept in the URL), CSV, revising and approving as
 * each side through the API's service (the wrong party refused), and per-role visibility.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AALBORG, ARTIFACTS, BROENDERSLEV, REGION, type ConsoleWorld, expectAccessible, screenshot, signIn, startConsoleWorld } from './world.js';

let world: ConsoleWorld;
beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

async function agreementId(title: string): Promise<string> {
  const r = await sql<{ id: string }>`select agreement_id::text as id from agreement_version where terms->>'title' = ${title} limit 1`.execute(world.database.db);
  const id = r.rows[0]?.id;
  if (!id) throw new Error(`no agreement ${title}`);
  return id;
}

const BUP_AALBORG = 'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Aalborg Kommune';
const BUP_HJOERRING = 'Børne- og Ungdomspsykiatrien og PPR og Børne- og Familieafdelingen, Hjørring Kommune';

// Browser steps on two shared cores: a generous bound per test.
describe('agreement pages', { timeout: 120_000 }, () => {
  it('filters the overview with the filters in the URL, sorts, exports the filtered CSV', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'region-admin', REGION, '/console/agreements');
      const all = await page.getByTestId('agreement-row').count();
      // Every demo agreement the region's admin may see, the consent-based one (src/demo/demo-citizen.ts) included.
      expect(all).toBe(24);
      await expectAccessible(page);
      await page.fill('#party', '9520041000016004');
      await page.selectOption('#sort', '-title');
      await page.getByRole('button', { name: 'Anvend filtre' }).click();
      await page.waitForURL(/party=9520041000016004/);
      await expect.poll(() => page.getByTestId('agreement-row').count()).toBe(2);
      const url = new URL(page.url());
      expect(url.searchParams.get('sort')).toBe('-title');
      const titles = await page.getByTestId('agreement-row').locator('td:first-child').allInnerTexts();
      expect(titles).toEqual([...titles].sort().reverse());
      expect(titles.every((t) => t.includes('Aalborg'))).toBe(true);
      // The URL alone reproduces the view.
      await page.goto(url.href);
      expect(await page.getByTestId('agreement-row').count()).toBe(2);
      const csvHref = await page.getByTestId('csv-link').getAttribute('href');
      const csv = await page.evaluate(async (href) => (await fetch(href as string)).text(), csvHref);
      expect(csv.trim().split('\r\n')).toHaveLength(3);
      // Unit type (a console filter over the API's rows) and valid-at.
      await page.goto(`${world.broker.url}/console/agreements?unitType=394761003&validAt=2026-12-02`);
      expect(await page.getByTestId('agreement-row').count()).toBe(12);
      await page.goto(`${world.broker.url}/console/agreements?status=suspended`);
      expect(await page.getByTestId('agreement-row').count()).toBe(0);

      await page.goto(`${world.broker.url}/console/agreements`);
      await screenshot(page, 'agreements');
      // The README's picture is renewed on request only, so a test run leaves the checkout clean.
      if (process.env.UPDATE_SCREENSHOTS) {
        mkdirSync('docs', { recursive: true });
        copyFileSync(`${ARTIFACTS}/agreements.png`, 'docs/console-agreements.png');
      }
      // Tablet width: still usable, nothing hidden behind a horizontal page scroll.
      await page.setViewportSize({ width: 768, height: 1024 });
      await expectAccessible(page);
      const overflow = await page.evaluate(() => {
        const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
        return g.document.documentElement.scrollWidth > g.innerWidth + 1;
      });
      expect(overflow).toBe(false);
      await screenshot(page, 'agreements-tablet');
    } finally {
      await context.close();
    }
  });

  it('revises an agreement, approves it as each side, and refuses the wrong party', async () => {
    const id = await agreementId(BUP_AALBORG);
    const region = await world.newPage();
    const aalborg = await world.newPage();
    try {
      const page = region.page;
      await signIn(world, page, 'region-admin', REGION, `/console/agreements/${id}`);
      await expectAccessible(page);
      await page.getByRole('link', { name: 'Redigér vilkår' }).click();
      await expectAccessible(page);
      await page.fill('#validTo', '2028-12-31');
      await page.getByRole('button', { name: 'Gem' }).click();
      await expect.poll(() => page.getByTestId('notice').innerText()).toContain('Vilkårene er gemt');
      if (await page.getByRole('button', { name: 'Indsend til godkendelse' }).count()) {
        await page.getByRole('button', { name: 'Indsend til godkendelse' }).click();
        await expect.poll(() => page.getByTestId('notice').innerText()).toContain('indsendt');
      }
      // The readable diff of version 2 against version 1.
      await expect.poll(() => page.getByTestId('version-2').innerText()).toContain('period');
      await screenshot(page, 'agreement-detail');
      await expectAccessible(page);

      // The region may not approve for Aalborg's side: the service's approval rule refuses.
      await page.getByRole('button', { name: 'Godkend som side B' }).click();
      await expect.poll(() => page.getByTestId('error-detail').innerText()).not.toBe('');
      expect(await page.locator('h1').innerText()).toBe('Ingen adgang');
      await screenshot(page, 'approval-refused');
      await page.goto(`${world.broker.url}/console/agreements/${id}`);
      await page.getByRole('button', { name: 'Godkend som side A' }).click();
      await expect.poll(() => page.getByTestId('notice').innerText()).toContain('godkendt');

      const other = aalborg.page;
      await signIn(world, other, 'municipal-admin', AALBORG, `/console/agreements/${id}`);
      await other.getByRole('button', { name: 'Godkend som side B' }).click();
      await expect.poll(() => other.getByTestId('notice').innerText()).toContain('godkendt');
      await expect.poll(() => other.getByTestId('version-2').innerText()).toContain('Aktiv');
      const stored = await sql<{ status: string }>`select status from agreement where id = ${id}::uuid`.execute(world.database.db);
      expect(stored.rows[0]?.status).toBe('active');
    } finally {
      await region.context.close();
      await aalborg.context.close();
    }
  });

  it('shows each role and organisation only what the API would: other municipalities, actions, pages', async () => {
    const hjoerring = await agreementId(BUP_HJOERRING);
    const m = await world.newPage();
    const auditor = await world.newPage();
    const clinician = await world.newPage();
    try {
      // Brønderslev's administrator: only agreements that involve Brønderslev (or the region's area).
      await signIn(world, m.page, 'municipal-admin', BROENDERSLEV, '/console/agreements');
      const titles = await m.page.getByTestId('agreement-row').locator('td:first-child').allInnerTexts();
      expect(titles.length).toBeGreaterThan(0);
      for (const other of ['Aalborg', 'Hjørring', 'Frederikshavn', 'Thisted']) expect(titles.join('\n')).not.toContain(`${other} Kommune`);
      const res = await m.page.goto(`${world.broker.url}/console/agreements/${hjoerring}`);
      expect(res?.status()).toBe(404);
      // The explain page lists only agreements the asking organisation may see.
      await m.page.goto(`${world.broker.url}/console/explain?organisation=9500031000016003&role=clinician`);
      const explained = await m.page.getByTestId('explain-row').allInnerTexts();
      expect(explained.join('\n')).not.toContain('Hjørring');
      await expectAccessible(m.page);

      // An auditor reads, but has no actions, and a POST is refused by role.
      await signIn(world, auditor.page, 'region-auditor', REGION, `/console/agreements/${hjoerring}`);
      expect(await auditor.page.getByRole('button', { name: /Godkend|Suspendér|Tilbagekald/ }).count()).toBe(0);
      const token = await auditor.page.locator('input[name="_csrf"]').first().inputValue();
      const status = await auditor.page.evaluate(
        async ({ id, token }) => (await fetch(`/console/agreements/${id}/suspend`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `_csrf=${token}&etag=*`, redirect: 'manual' })).status,
        { id: hjoerring, token },
      );
      expect(status).toBe(403);

      // A clinician has no console pages at all.
      await signIn(world, clinician.page, 'child-psychiatrist', '9500031000016003');
      // Only the directory, which every staff role reads in the API too.
      const nav = clinician.page.getByRole('navigation', { name: 'Hovedmenu' });
      expect(await nav.getByRole('link', { name: 'Aftaler' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Organisationer' }).count()).toBe(1);
      const forbidden = await clinician.page.goto(`${world.broker.url}/console/agreements`);
      expect(forbidden?.status()).toBe(403);
      expect(await clinician.page.content()).not.toContain('Aalborg Kommune');
    } finally {
      await m.context.close();
      await auditor.context.close();
      await clinician.context.close();
    }
  });
});
