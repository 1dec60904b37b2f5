/**
 * The audit capability's one router under /v1/audit: search, integrity and anomaly review. The
 * three share the prefix, so the auditor rule is declared here once for all of them; a sub-router
 * that declared it again would be guarding what this already guards (and a test removing its line
 * could never fail).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import { requireRole } from '../http/middleware.js';
import { createRouter } from '../http/router.js';
import type { AnomalyRulesConfig } from './anomaly.js';
import { anomalyRoutes } from './anomaly-routes.js';
import type { AuditWriter } from './audit-writer.js';
import type { CheckpointKeyMaterial } from './checkpoints.js';
import { auditIntegrityRoutes } from './integrity-routes.js';
import { auditRoutes } from './routes.js';
import type { SecurityEvents } from '../security-events/security-events.js';

export interface AuditCapabilityDeps {
  readonly db: Kysely<Database>;
  readonly audit: AuditWriter;
  readonly logger: Logger;
  readonly checkpoints: (CheckpointKeyMaterial & { readonly exportFile: string | null }) | null;
  readonly isWithin: (sor: string, root: string) => boolean;
  readonly rules: AnomalyRulesConfig;
  /** The SIEM feed: integrity failures found on request, new anomaly flags. */
  readonly securityEvents?: SecurityEvents;
}

export function auditCapabilityRouter(deps: AuditCapabilityDeps) {
  const router = createRouter();
  router.use('*', requireRole('auditor'));
  router.route('/', auditRoutes({ db: deps.db, audit: deps.audit, logger: deps.logger }));
  router.route('/', auditIntegrityRoutes({ db: deps.db, checkpoints: deps.checkpoints, ...(deps.securityEvents ? { securityEvents: deps.securityEvents } : {}) }));
  router.route('/', anomalyRoutes({ db: deps.db, isWithin: deps.isWithin, rules: deps.rules, ...(deps.securityEvents ? { securityEvents: deps.securityEvents } : {}) }));
  return router;
}
