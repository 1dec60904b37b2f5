/**
 * The dashboard in Chromium against a real broker: an auditor of Aalborg sees charts counted from
 * the audit log of Aalborg's subtree, and nothing of Brønderslev's own lookups; a clinician is
 * refused; the page passes axe-core and is photographed (also for the README).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEventInput, type AuditActor } from '../../src/audit/audit-event.js';
import { createAuditWriter } from '../../src/audit/audit-writer.js';
import { AALBORG, ARTIFACTS, BROENDERSLEV, type ConsoleWorld, expectAccessible, screenshot, signIn, startConsoleWorld } from './world.js';
import { untypedRecord } from '../helpers/audit-records.js';

let world: ConsoleWorld;

const actor = (organisationSor: string, subject: string): AuditActor => ({ issuer: 'https://idp.test', subject, displayName: subject, role: 'caseworker', organisationSor, assurance: 'substantial', callingSystem: null });
const lookup = (org: string, subject: string, sources: Record<string, unknown>[]): AuditEventInput => ({
  kind: 'lookup', outcome: 'success', occurredAt: new Date(), requestId: null, actor: actor(org, subject), purpose: 'case-assessment', reason: 'Underretning', patientCpr: '0101201234', details: { sources, namedOrganisations: [] },
});

beforeAll(async () => {
  world = await startConsoleWorld();
  const writer = createAuditWriter(world.database.db);
  // Aalborg's own staff: two lookups, one source answered, one timed out, one denied.
  await writer.write(untypedRecord(lookup(AALBORG, 'aalborg-user', [{ sourceId: 'aalborg-ppr', organisation: AALBORG, status: 'found' }])));
  await writer.write(untypedRecord(lookup(AALBORG, 'aalborg-user', [{ sourceId: 'aalborg-ppr', organisation: AALBORG, status: 'timeout' }, { sourceId: 'aalborg-school', organisation: AALBORG, status: 'denied', deniedBecause: ['no-agreement'] }])));
  // Brønderslev's staff asking Brønderslev's own source: none of Aalborg's business.
  await writer.write(untypedRecord(lookup(BROENDERSLEV, 'broenderslev-user', [{ sourceId: 'broenderslev-only-source', organisation: BROENDERSLEV, status: 'denied', deniedBecause: ['purpose-not-covered'] }])));
  await writer.drain();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('console dashboard', () => {
  it("an auditor sees her subtree's lookups, denials and source availability as charts with tables, and no other subtree's", async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'municipal-auditor', AALBORG, '/console/dashboard');
      expect(new URL(page.url()).pathname).toBe('/console/dashboard');
      await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Overblik');
      // Each chart is an image with a title and description, and its figures as a table.
      expect(await page.getByRole('img', { name: /Opslag pr. dag pr. organisation/ }).count()).toBe(1);
      const lookups = page.locator('#chart-lookups table');
      expect(await lookups.locator('thead th').allTextContents()).toEqual(['Dag', 'Aalborg Kommune']);
      expect((await lookups.locator('tbody td').allTextContents()).at(-1)).toBe('2');
      expect(await page.locator('#chart-denials tbody th').allTextContents()).toEqual(['no-agreement']);
      expect(await page.locator('#chart-denials tbody td').allTextContents()).toEqual(['1']);
      expect((await page.locator('#chart-availability tbody td').allTextContents()).filter((v) => v !== '–')).toEqual(['50 %']);
      const html = await page.content();
      expect(html).not.toContain('broenderslev-only-source');
      expect(html).not.toContain('purpose-not-covered');
      expect(html).not.toContain('Brønderslev Kommune</th>');
      await page.locator('#chart-lookups summary').click();
      await expectAccessible(page);
      await screenshot(page, 'dashboard');
      // The README's picture is renewed on request only, so a test run leaves the checkout clean.
      if (process.env.UPDATE_SCREENSHOTS) {
        mkdirSync('docs', { recursive: true });
        copyFileSync(path.join(ARTIFACTS, 'dashboard.png'), 'docs/console-dashboard.png');
      }
      // The period is a view setting in the URL; nothing else is.
      await page.selectOption('#days', '7');
      await page.getByRole('button', { name: 'Vis', exact: true }).click();
      await page.waitForURL('**/console/dashboard?days=7');
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });

  it('a clinician is refused the dashboard and has no menu entry for it', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'child-psychiatrist', '9500031000016003');
      expect(await page.getByRole('link', { name: 'Overblik' }).count()).toBe(0);
      const response = await page.goto(`${world.broker.url}/console/dashboard`);
      expect(response?.status()).toBe(403);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Ingen adgang');
      expect(await page.locator('#chart-lookups').count()).toBe(0);
      await expectAccessible(page);
      await screenshot(page, 'dashboard-refused');
    } finally {
      await context.close();
    }
  });
});
