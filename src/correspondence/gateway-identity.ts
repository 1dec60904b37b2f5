/**
 * Who may speak as the MedCom gateway. The role medcom-gateway says what a token claims to be;
 * only the configured gateway identities (the exact issuer and subject) are let in at the inbound
 * door, so no other system holding that role can put messages in an inbox or settle a message.
 */
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import type { GatewayIdentity } from '../config/config.js';
import { ProblemError } from '../http/problem.js';
import type { AppEnv } from '../http/types.js';
import type { Caller } from '../identity/caller.js';

/** True only for a caller whose issuer and subject are both those of a configured gateway. */
export const isGatewayIdentity = (identities: readonly GatewayIdentity[], caller: Pick<Caller, 'issuer' | 'subject'>): boolean =>
  identities.some((g) => g.issuer === caller.issuer && g.subject === caller.subject);

/** Deny by default: with no gateway identity configured, every inbound message is refused. */
export function requireGatewayIdentity(identities: readonly GatewayIdentity[], fallbackLogger: Logger): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get('caller');
    if (!isGatewayIdentity(identities, caller)) {
      (c.get('logger') ?? fallbackLogger).warn(
        {
          security: 'gateway-identity-refused',
          requestId: c.get('requestId'),
          issuer: caller.issuer,
          subject: caller.subject,
          organisation: caller.organisationSor,
          configuredGateways: identities.length,
        },
        'MedCom inbound refused: the caller is not a configured gateway identity',
      );
      throw new ProblemError(403, 'gateway-identity-refused', 'Not the MedCom gateway', {
        detail: 'only the configured MedCom gateway may post inbound messages',
      });
    }
    await next();
  });
}
