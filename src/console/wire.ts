/**
 * Builds the console from the broker's own services, for the composition root (src/main.ts):
 * the sign-in against the configured identity provider (in demo mode the development one), and
 * every page router. A page added later is added to `pages` here.
 */
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { BrokerConfig } from '../config/config.js';
import type { AgreementService, DecisionService } from '../agreements/index.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { TokenVerifier } from '../identity/verify-token.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import type { ConsoleEnv } from './context.js';
import { type ConsolePage, createConsole } from './index.js';
import { createSignIn } from './sign-in.js';
import { agreementPages, explainPage } from './agreement-pages.js';
import { directoryPages } from './directory-pages.js';
import { dashboardPage } from './dashboard/routes.js';

export interface BrokerConsoleDeps {
  readonly db: Kysely<Database>;
  readonly logger: Logger;
  readonly config: BrokerConfig['console'];
  /** The identity provider's issuer: the configured one, or the demo's development one. */
  readonly issuer: string | null;
  /** The API's token verifier, built with the console's client id as the audience. */
  readonly verifyIdToken: TokenVerifier;
  readonly directory: DirectoryCache;
  readonly changes: ChangeFeed;
  readonly agreements: AgreementService;
  readonly decisions: DecisionService;
  /** SOR codes of national oversight organisations (they read every agreement, change none). */
  readonly nationalOversightOrgs: readonly string[];
}

export function createBrokerConsole(deps: BrokerConsoleDeps): Hono<ConsoleEnv> {
  const signIn = deps.issuer
    ? createSignIn({ db: deps.db, issuer: deps.issuer, clientId: deps.config.clientId, clientSecret: deps.config.clientSecret, verifyIdToken: deps.verifyIdToken })
    : null;
  return createConsole({
    db: deps.db,
    logger: deps.logger,
    signIn,
    publicUrl: deps.config.publicUrl,
    idleTimeoutSeconds: deps.config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: deps.config.absoluteTimeoutSeconds,
    organisationName: (sor) => deps.directory.view().get(sor)?.name ?? null,
    pages: consolePages(deps),
  });
}

/** Every page router, mounted below /console. */
function consolePages(deps: BrokerConsoleDeps): readonly ConsolePage[] {
  const agreements = { agreements: deps.agreements, decisions: deps.decisions, directory: deps.directory };
  return [
    { path: '/agreements', router: agreementPages(agreements) },
    { path: '/explain', router: explainPage(agreements) },
    { path: '/directory', router: directoryPages({ db: deps.db, directory: deps.directory, changes: deps.changes }) },
    dashboardPage({ db: deps.db }),
  ];
}
