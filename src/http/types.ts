import type { Logger } from 'pino';
import type { Caller, CitizenCaller } from '../identity/caller.js';

/** Hono context variables set by the broker's middleware. */
export interface AppVariables {
  requestId: string;
  /** performance.now() when the request arrived: deadlines count from here. */
  receivedAt: number;
  logger: Logger;
  /** Set by the authentication middleware on every staff /v1 route (never on /v1/citizen/). */
  caller: Caller;
  /** Set by the authentication middleware on the citizen routes (/v1/citizen/) only. */
  citizen: CitizenCaller;
}

export interface AppEnv {
  Variables: AppVariables;
}
