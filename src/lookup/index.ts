/**
 * The lookup capability: sources from configuration (or the demo simulators), one circuit
 * breaker per source, the lookup service and its route.
 */
import type { Logger } from 'pino';
import type { Capability } from '../app.js';
import type { DecisionService } from '../agreements/decision-service.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { createSourceBreakers } from './fan-out.js';
import { createLookupService, type LookupService } from './lookup-service.js';
import { lookupRoutes } from './routes.js';
import { createSources, type SourcesConfig } from './sources.js';
import type { BrokerMetrics } from '../metrics/metrics.js';
import type { CitizenChecks } from '../citizen/lookup-checks.js';

export interface LookupCapabilityDeps {
  readonly sources: SourcesConfig;
  readonly directory: DirectoryCache;
  readonly decisions: Pick<DecisionService, 'decide'>;
  readonly audit: AuditWriter;
  readonly logger: Logger;
  readonly defaultDeadlineMs: number;
  readonly maxDeadlineMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly metrics?: Pick<BrokerMetrics, 'lookup' | 'sourceOutcome' | 'onBreakerStates'>;
  /** Citizens' blocks and consents, weighed in every lookup's access decisions. */
  readonly citizen?: CitizenChecks;
}

export function createLookupCapability(deps: LookupCapabilityDeps): { capability: Capability; service: LookupService } {
  const { personRegister, sources } = createSources(deps.sources, deps.env);
  const breakers = createSourceBreakers();
  deps.metrics?.onBreakerStates(() => breakers.states());
  const service = createLookupService({
    personRegister,
    sources,
    breakers,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.citizen ? { citizen: deps.citizen } : {}),
    directory: deps.directory,
    decisions: deps.decisions,
    audit: deps.audit,
    logger: deps.logger,
  });
  return {
    capability: { path: '/lookups', router: lookupRoutes({ lookups: service, defaultDeadlineMs: deps.defaultDeadlineMs, maxDeadlineMs: deps.maxDeadlineMs }), bodyLimitBytes: 16 * 1024 },
    service,
  };
}
