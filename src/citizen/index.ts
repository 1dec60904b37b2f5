/**
 * The citizen's side: what a person (or a custody-holder for a child) may see of the broker's
 * records about them. Every citizen route resolves its scope through `scope` (one policy point).
 */
import type { Kysely } from 'kysely';
import { createCustodyRegister } from '../../adapters/person-register/index.js';
import type { Database } from '../../db/schema/index.js';
import type { Capability } from '../app.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { accessLogRoutes } from './access-log-routes.js';
import { withholdingRoutes } from './withholding-routes.js';
import { type PersonRegisterConfig, resolveAuth } from '../lookup/sources.js';
import { type CitizenScopeService, createCitizenScopeService } from './scope-service.js';

export { type CitizenScope, type CitizenRefusal, decideCitizenScope, ageOn, OWN_VIEW_FROM_AGE, CUSTODY_UNTIL_AGE } from './scope.js';
export { type CitizenScopeService, citizenScopeProblem, copenhagenDate, createCitizenScopeService } from './scope-service.js';

export { citizenActor } from './audit.js';
export { CITIZEN_LOG_KINDS } from './access-log-view.js';

export interface CitizenCapabilityOptions {
  readonly db: Kysely<Database>;
  readonly audit: AuditWriter;
  readonly directory: DirectoryCache;
  /** BROKER_CITIZEN_LOG_MONTHS, BROKER_CITIZEN_WITHHOLD_MAX_MONTHS. */
  readonly config: { readonly logMonths: number; readonly withholdMaxMonths: number };
  /** The person register of the lookup sources; its custody data decides custody. Null: custody is never known. */
  readonly personRegister: PersonRegisterConfig | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

export interface CitizenCapability {
  readonly scope: CitizenScopeService;
  readonly capabilities: readonly Capability[];
}

export function createCitizenCapability(options: CitizenCapabilityOptions): CitizenCapability {
  const register = options.personRegister;
  const custody = register
    ? createCustodyRegister({ baseUrl: register.endpoint, auth: resolveAuth(register.auth, options.env ?? process.env), maxConnections: register.maxConnections })
    : null;
  const scope = createCitizenScopeService({ custody, timeoutMs: register?.timeoutMs ?? 1000, ...(options.now ? { now: options.now } : {}) });
  const now = options.now;
  return {
    scope,
    capabilities: [
      {
        path: '/citizen',
        router: accessLogRoutes({ db: options.db, audit: options.audit, scope, directory: () => options.directory.view(), logMonths: options.config.logMonths, ...(now ? { now } : {}) }),
        bodyLimitBytes: 16 * 1024,
      },
      {
        path: '/access-log',
        router: withholdingRoutes({ db: options.db, isWithin: (sor, root) => options.directory.view().isWithin(sor, root), maxMonths: options.config.withholdMaxMonths, ...(now ? { now } : {}) }),
        bodyLimitBytes: 16 * 1024,
      },
    ],
  };
}
