/**
 * The citizen's side: what a person (or a custody-holder for a child) may see of the broker's
 * records about them. Every citizen route resolves its scope through `scope` (one policy point).
 */
import { createCustodyRegister } from '../../adapters/person-register/index.js';
import type { Capability } from '../app.js';
import { type PersonRegisterConfig, resolveAuth } from '../lookup/sources.js';
import { type CitizenScopeService, createCitizenScopeService } from './scope-service.js';

export { type CitizenScope, type CitizenRefusal, decideCitizenScope, ageOn, OWN_VIEW_FROM_AGE, CUSTODY_UNTIL_AGE } from './scope.js';
export { type CitizenScopeService, citizenScopeProblem, copenhagenDate, createCitizenScopeService } from './scope-service.js';

export interface CitizenCapabilityOptions {
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
  return { scope, capabilities: [] };
}
