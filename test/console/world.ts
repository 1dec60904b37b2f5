/**
 * The console's browser-test world: a real broker on loopback over a test database seeded with the
 * demo data (North Jutland SOR extract, pilot agreements), the development identity provider on
 * its own loopback port (trusted through a JWKS file, as an organisation's provider would be),
 * and one Chromium per test file. Pages are checked with axe-core and photographed into
 * test-artifacts/console/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import { createLogger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/demo/seed-demo-data.js';
import { DEMO_USERS, type DevIdentityProvider, startDevIdentityProvider } from '../../src/demo/dev-identity-provider.js';
import { type DatabaseKind, createTestDatabase } from '../helpers/database.js';
import { type TestBroker, startTestBroker } from '../helpers/broker.js';

export const ARTIFACTS = path.resolve('test-artifacts/console');
const CLIENT_ID = 'broker-console-test';
export const REGION = '9500011000016001';
export const AALBORG = '9520011000016001';
export const BROENDERSLEV = '9520111000016001';
export const HJOERRING = '9520311000016001';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ConsoleWorld {
  readonly database: DatabaseHandle;
  readonly broker: TestBroker;
  readonly idp: DevIdentityProvider;
  readonly browser: Browser;
  /** A fresh browser context (own cookies) at the given viewport width. */
  newPage(options?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startConsoleWorld(options: { kind?: DatabaseKind; env?: Record<string, string> } = {}): Promise<ConsoleWorld> {
  const database = await createTestDatabase(options.kind ?? 'pglite');
  await seedDemoData(database.db, createLogger({ level: 'silent' }));
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `console-${Math.random().toString(36).slice(2, 10)}`;
  // One extra user acts for Hjørring Kommune, which this provider is not trusted for.
  const users = [...DEMO_USERS, { id: 'hjoerring-admin', name: 'Hjørring Admin', role: 'agreement-admin' as const, organisations: [{ sor: HJOERRING, name: 'Hjørring Kommune' }] }];
  const idp = await startDevIdentityProvider({ signingKey: { ...(await exportJWK(privateKey)), kid }, clientId: CLIENT_ID, users });
  const dir = mkdtempSync(path.join(tmpdir(), 'console-idp-'));
  const jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }));
  // Trusted as an organisation's provider would be: for the region and the municipalities of the demo data.
  const issuerConfig = { issuer: idp.issuer, jwksFile, algorithms: ['ES256'], organisations: [REGION, AALBORG, BROENDERSLEV] };
  const broker = await startTestBroker({
    database,
    issuers: [],
    env: {
      BROKER_TRUSTED_ISSUERS: JSON.stringify([issuerConfig]),
      BROKER_CONSOLE_ISSUER: idp.issuer,
      BROKER_CONSOLE_CLIENT_ID: CLIENT_ID,
      BROKER_JOBS_WORK: 'false',
      ...options.env,
    },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    database,
    broker,
    idp,
    browser,
    async newPage(size = {}) {
      // bypassCSP: axe-core is injected as an inline script, which the console's policy forbids.
      const context = await browser.newContext({ viewport: { width: size.width ?? 1280, height: size.height ?? 900 }, bypassCSP: true });
      return { context, page: await context.newPage() };
    },
    async close() {
      await browser.close();
      await broker.close();
      await idp.close();
      await database.close();
    },
  };
}

/** Signs in through the development identity provider as the given demo user and organisation. */
export async function signIn(world: ConsoleWorld, page: Page, userId: string, organisationSor: string, path = '/console'): Promise<void> {
  await page.goto(`${world.broker.url}${path}`);
  await page.getByRole('link', { name: /Log ind|Sign in/ }).click();
  await page.waitForURL((url) => url.origin === world.idp.issuer);
  await page.locator(`input[value="${userId}@${organisationSor}"]`).check();
  await Promise.all([page.waitForURL((url) => url.origin === world.broker.url), page.getByRole('button', { name: 'Log ind' }).click()]);
}

const require = createRequire(import.meta.url);
const axeSource = (require('axe-core') as { source: string }).source;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core on the current page: no serious or critical violation. */
export async function expectAccessible(page: Page): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target).slice(0, 3))}`);
  expect(serious, `axe violations on ${page.url()}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
