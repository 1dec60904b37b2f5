/**
 * The directory pages in Chromium: search with filters, the tree of a subtree, the import
 * history with what changed, and local units (only the municipality's own administrators).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AALBORG, REGION, type ConsoleWorld, expectAccessible, screenshot, signIn, startConsoleWorld } from './world.js';

let world: ConsoleWorld;
beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

// Browser steps on two shared cores: a generous bound per test.
describe('directory pages', { timeout: 120_000 }, () => {
  it('searches, shows a subtree as a tree, and the import history with its changes', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'region-auditor', REGION, '/console/directory');
      await expectAccessible(page);
      await page.fill('#q', 'Ungdomspsykiatri');
      await page.getByRole('button', { name: 'Søg' }).click();
      await page.waitForURL(/q=Ungdomspsykiatri/);
      const names = await page.getByTestId('organisation-row').locator('td:first-child').allInnerTexts();
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => /ungdomspsykiatri/i.test(n))).toBe(true);

      await page.goto(`${world.broker.url}/console/directory/tree/9500031000016003`);
      const tree = await page.getByTestId('tree').innerText();
      expect(tree).toContain('Team Aalborg');
      expect(tree).toContain('Afsnit for Spiseforstyrrelser');
      await expectAccessible(page);
      await screenshot(page, 'directory-tree');

      await page.goto(`${world.broker.url}/console/directory/imports`);
      expect(await page.getByTestId('import-row').count()).toBe(1);
      await page.getByTestId('import-row').locator('a').click();
      await expect.poll(() => page.getByTestId('import-change').count()).toBeGreaterThan(10);
      await expectAccessible(page);
      await screenshot(page, 'directory-imports');
      // An auditor has no local-unit management.
      const res = await page.goto(`${world.broker.url}/console/directory/local-units`);
      expect(res?.status()).toBe(403);
    } finally {
      await context.close();
    }
  });

  it('a municipal administrator registers and closes a local unit below her own municipality only', async () => {
    const { context, page } = await world.newPage();
    const region = await world.newPage();
    try {
      await signIn(world, page, 'municipal-admin', AALBORG, '/console/directory/local-units');
      await expectAccessible(page);
      await page.fill('#lu-name', 'PPR Team Øst');
      await page.getByRole('button', { name: 'Registrér lokal enhed' }).click();
      await expect.poll(() => page.getByTestId('notice').innerText()).toContain('registreret');
      const rows = page.getByTestId('local-unit-row');
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.first().innerText()).toContain('PPR Team Øst');
      const stored = await world.database.db.selectFrom('organisation').select(['sor', 'path']).where('name', '=', 'PPR Team Øst').executeTakeFirstOrThrow();
      expect(stored.path.startsWith(`/${AALBORG}/`)).toBe(true);
      await screenshot(page, 'local-units');

      // The region's administrator is no municipality: no form, and a forged registration below Aalborg is refused.
      await signIn(world, region.page, 'region-admin', REGION, '/console/directory/local-units');
      expect(await region.page.locator('#lu-name').count()).toBe(0);
      const token = await region.page.locator('input[name="_csrf"]').first().inputValue();
      const status = await region.page.evaluate(
        async ({ token, parent }) =>
          (await fetch('/console/directory/local-units', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: token, parentSor: parent, name: 'Intruder', unitType: '556841000005105', municipalityCode: '851' }).toString(), redirect: 'manual' })).status,
        { token, parent: AALBORG },
      );
      expect(status).toBe(403);

      await page.getByRole('button', { name: /Luk enheden/ }).click();
      await expect.poll(() => page.getByTestId('notice').innerText()).toContain('lukket');
    } finally {
      await context.close();
      await region.context.close();
    }
  });
});
