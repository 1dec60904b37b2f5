import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, problemResponses } from '../http/router.js';
import { ASSURANCE_LEVELS, ROLES } from './caller.js';

const callerSchema = z
  .object({
    issuer: z.string(),
    subject: z.string(),
    organisation: z.string().openapi({ description: 'SOR code of the acting organisation' }),
    role: z.enum(ROLES),
    assurance: z.enum(ASSURANCE_LEVELS),
    purposeOfUse: z.string(),
    displayName: z.string().nullable(),
    expiresAt: z.string(),
  })
  .openapi('Caller');

/** `GET /v1/me`: lets an integration check what the broker makes of its token. */
export function identityRoutes() {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['identity'],
      summary: 'The verified caller of this request',
      security: [{ bearer: [] }],
      responses: { 200: { description: 'the caller', content: { 'application/json': { schema: callerSchema } } }, ...problemResponses },
    }),
    (c) => {
      const caller = c.get('caller');
      return c.json(
        {
          issuer: caller.issuer,
          subject: caller.subject,
          organisation: caller.organisationSor,
          role: caller.role,
          assurance: caller.assurance,
          purposeOfUse: caller.purposeOfUse,
          displayName: caller.displayName,
          expiresAt: caller.expiresAt.toISOString(),
        },
        200,
      );
    },
  );
  return router;
}
