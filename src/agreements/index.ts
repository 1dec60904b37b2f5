/**
 * The agreements capability: administration API under /v1/agreements, the access explanation
 * under /v1/access, the decision service other capabilities ask, and the expiry job (scheduled
 * by the composition root on the job queue).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import type { Capability } from '../app.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { ChangeFeed } from '../platform/change-feed.js';
import { approvalsHold } from './approval-rule.js';
import { createDecisionService, type DecisionService } from './decision-service.js';
import { explainRoutes } from './explain-routes.js';
import { agreementRoutes } from './routes.js';
import { expireAgreementsJob } from './jobs/expire-agreements.js';
import { createAgreementService, type AgreementService } from './service.js';
import { loadVersions } from './store.js';
import type { ScheduledJob } from '../jobs/queue.js';
import type { ExpireAgreementsData } from './jobs/expire-agreements.js';

export { createDecisionService, type DecisionService } from './decision-service.js';
export { createAgreementService, type AgreementService, type Actor } from './service.js';
export { seedDemoAgreements, loadFixtureAgreements } from './seed.js';
export type { Decision, DecisionRequest, Explanation, ExplainCaller, ReasonCode } from './decision.js';

export interface AgreementsDeps {
  readonly db: Kysely<Database>;
  readonly directory: DirectoryCache;
  readonly changes: ChangeFeed;
  readonly logger: Logger;
  /** The decision index refuses decisions when not reconciled for this long (the revocation bound); default 30 s. */
  readonly maxStalenessMs?: number;
  /** SOR codes of national oversight organisations, which read every agreement. */
  readonly nationalOversightOrgs?: readonly string[];
}

export interface AgreementsCapability {
  readonly capabilities: readonly Capability[];
  readonly decisions: DecisionService;
  readonly service: AgreementService;
  /** Brings the stored status of agreements past their period in line, every minute. */
  readonly expiryJob: ScheduledJob<ExpireAgreementsData>;
  stop(): Promise<void>;
}

export async function createAgreementsCapability(deps: AgreementsDeps): Promise<AgreementsCapability> {
  const decisions = await createDecisionService(deps);
  const service = createAgreementService(deps);
  await warnOfUnsoundApprovals(deps);

  return {
    capabilities: [
      { path: '/agreements', router: agreementRoutes(service) },
      { path: '/access', router: explainRoutes({ decisions, directory: deps.directory, agreements: service }) },
    ],
    decisions,
    service,
    expiryJob: expireAgreementsJob(service),
    async stop() {
      decisions.stop();
    },
  };
}

/**
 * Agreements in force whose recorded approvals would not be accepted today (approved before the
 * approval rule, e.g. one municipality for another's unit) stay in force until a person decides:
 * they are named once at start so an administrator can review, suspend or revoke them.
 */
async function warnOfUnsoundApprovals(deps: AgreementsDeps): Promise<void> {
  const dir = deps.directory.view();
  const unsound: { id: string; version: number }[] = [];
  for (const versions of (await loadVersions(deps.db)).values()) {
    for (const v of versions) {
      if ((v.status === 'active' || v.status === 'suspended') && !approvalsHold(v, dir)) unsound.push({ id: v.id, version: v.version });
    }
  }
  if (unsound.length > 0) {
    deps.logger.warn({ agreements: unsound.slice(0, 100), count: unsound.length }, 'agreements in force whose approvals the approval rule would refuse; review them');
  }
}
