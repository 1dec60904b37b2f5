/**
 * Sign-in, session and CSRF in a real browser against a real broker and the development identity
 * provider: the ID token becomes the Caller through the API's verifier (issuer scope included),
 * sessions end on sign-out and on idle, a forged POST is refused.
 */
import { hashToken } from '../../src/console/session-store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AALBORG, BROENDERSLEV, HJOERRING, REGION, type ConsoleWorld, expectAccessible, screenshot, signIn, startConsoleWorld } from './world.js';

let world: ConsoleWorld;
beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

// Browser steps on two shared cores: a generous bound per test.
describe('console sign-in', { timeout: 120_000 }, () => {
  it('signs in with the authorization code flow, shows who acts for which organisation, in Danish; signs out', async () => {
    const { context, page } = await world.newPage();
    try {
      await page.goto(`${world.broker.url}/console/agreements`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      await expectAccessible(page);
      await screenshot(page, 'sign-in');
      await signIn(world, page, 'region-admin', REGION, '/console/agreements');
      // Back where the user was going, signed in.
      expect(new URL(page.url()).pathname).toBe('/console/agreements');
      expect(await page.getAttribute('html', 'lang')).toBe('da');
      await expect.poll(() => page.getByTestId('acting-for').innerText()).toContain('Region Nordjylland');
      const cookies = await context.cookies(world.broker.url);
      const session = cookies.find((c) => c.name === 'console-session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
      // Plain-HTTP loopback: not Secure (the browser would drop it); see session-policy.ts.
      expect(session?.secure).toBe(false);
      expect(await world.database.db.selectFrom('console_session').select(['organisation_sor', 'role']).execute()).toContainEqual({ organisation_sor: REGION, role: 'agreement-admin' });
      // The stored id is a hash, never the cookie's value.
      expect((await world.database.db.selectFrom('console_session').select('id_hash').execute()).map((r) => r.id_hash)).not.toContain(session?.value);

      await page.getByRole('button', { name: 'Log ud' }).click();
      await page.waitForURL('**/console/signed-out');
      await page.goto(`${world.broker.url}/console/agreements`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    } finally {
      await context.close();
    }
  });

  it('a user who works for two municipalities chooses which one she acts for', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'municipal-admin', BROENDERSLEV);
      await expect.poll(() => page.getByTestId('acting-for').innerText()).toContain('Brønderslev Kommune');
      // Switching signs in anew at the identity provider, where she picks Aalborg.
      await page.getByRole('link', { name: 'Skift organisation' }).click();
      await page.waitForURL((url) => url.origin === world.idp.issuer);
      await page.locator(`input[value="municipal-admin@${AALBORG}"]`).check();
      await Promise.all([page.waitForURL((url) => url.origin === world.broker.url), page.getByRole('button', { name: 'Log ind' }).click()]);
      await expect.poll(() => page.getByTestId('acting-for').innerText()).toContain('Aalborg Kommune');
    } finally {
      await context.close();
    }
  });

  it('refuses an ID token for an organisation its issuer may not speak for (the API rule)', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'hjoerring-admin', HJOERRING);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      expect(new URL(page.url()).searchParams.get('error')).toBe('failed');
      expect((await context.cookies(world.broker.url)).some((c) => c.name === 'console-session')).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('switches to English and keeps the choice in a cookie', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'region-auditor', REGION);
      await page.getByRole('button', { name: /English/ }).click();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
      await expect.poll(() => page.getByTestId('acting-for').innerText()).toContain('Acting for');
      await page.goto(`${world.broker.url}/console`);
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });

  it('refuses a forged POST without the CSRF token, and one from another origin', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'region-admin', REGION);
      const forged = await page.evaluate(async () => {
        const r = await fetch('/console/logout', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '_csrf=guessed', redirect: 'manual' });
        return r.status;
      });
      expect(forged).toBe(403);
      const token = await page.locator('form[action="/console/logout"] input[name="_csrf"]').inputValue();
      const cookie = (await context.cookies(world.broker.url)).find((c) => c.name === 'console-session');
      // The right token, but sent from another site's page: refused on its Origin.
      const crossSite = await fetch(`${world.broker.url}/console/logout`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `console-session=${cookie?.value}`, Origin: 'http://evil.example' },
        body: `_csrf=${token}`,
        redirect: 'manual',
      });
      expect(crossSite.status).toBe(403);
      // Still signed in after both.
      await page.goto(`${world.broker.url}/console`);
      expect(new URL(page.url()).pathname).toBe('/console');
    } finally {
      await context.close();
    }
  });

  it('ends a session that has been idle longer than the idle timeout', async () => {
    const { context, page } = await world.newPage();
    try {
      await signIn(world, page, 'region-admin', REGION);
      // Idle for 31 minutes (the default timeout is 30): move the session's last activity back.
      const cookie = (await context.cookies(world.broker.url)).find((c) => c.name === 'console-session');
      const idHash = hashToken(cookie?.value ?? '');
      await world.database.db.updateTable('console_session').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('id_hash', '=', idHash).execute();
      await page.goto(`${world.broker.url}/console/agreements`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      expect(new URL(page.url()).searchParams.get('expired')).toBe('1');
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('Din session er udløbet');
      expect(await world.database.db.selectFrom('console_session').select('id_hash').where('id_hash', '=', idHash).execute()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
