import type { Logger } from 'pino';
import type { Caller } from '../identity/caller.js';

/** Hono context variables set by the broker's middleware. */
export interface AppVariables {
  requestId: string;
  /** performance.now() when the request arrived: deadlines count from here. */
  receivedAt: number;
  logger: Logger;
  /** Set by the authentication middleware on every /v1 route. */
  caller: Caller;
}

export interface AppEnv {
  Variables: AppVariables;
}
