/**
 * `POST /v1/lookups`: the CPR number travels in the body, never in the URL.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { PURPOSES } from '../agreements/model.js';
import { requireRole } from '../http/middleware.js';
import { accessSubject, subjectRefusalProblem } from '../identity/access-subject.js';
import { createRouter, problemResponses } from '../http/router.js';
import { personIdentifierSchema, sorCodeSchema } from '../http/schemas.js';
import { parsePersonIdentifier } from '../../domain/identifiers.js';
import type { LookupService } from './lookup-service.js';
import { ProblemError } from '../http/problem.js';
import { OVERRIDE_REFUSAL_DETAIL, overrideRefusal } from '../citizen/override.js';
import { SOURCE_KINDS } from './sources.js';

const STATUSES = ['found', 'not-found', 'denied', 'blocked', 'unavailable', 'timeout', 'error'] as const;

export function lookupRoutes(deps: { lookups: LookupService; defaultDeadlineMs: number; maxDeadlineMs: number }) {
  const requestSchema = z
    .object({
      cpr: personIdentifierSchema.openapi({ description: 'CPR or replacement CPR of the child. Only in the body: never in a URL.', example: '1503124013' }),
      purposeOfUse: z.enum(PURPOSES).openapi({ description: 'Must equal the purpose_of_use of the token' }),
      reason: z.string().trim().min(5).max(500).openapi({ description: 'Why the lookup is made; kept in the audit log', example: 'Underretning modtaget; afklaring af eksisterende forløb' }),
      organisations: z.array(sorCodeSchema).max(20).default([]).openapi({ description: 'Organisations to ask as well as those the person register points to' }),
      kinds: z.array(z.enum(SOURCE_KINDS)).min(1).max(4).optional().openapi({ description: 'Only these kinds of source' }),
      deadlineMs: z.number().int().min(100).max(deps.maxDeadlineMs).default(deps.defaultDeadlineMs),
      override: z
        .object({ reason: z.string().trim().min(5).max(500).openapi({ description: 'Why the emergency justifies overriding the block; kept in the audit log, shown to the citizen', example: 'Akut indlæggelse; behov for kontakt til behandlende psykiater' }) })
        .strict()
        .optional()
        .openapi({ description: "Emergency override (værdispring) of the citizen's blocks for this one lookup: clinicians with NSIS assurance high only. Audited as an override and sent to the auditors' anomaly review." }),
    })
    .strict()
    .openapi('LookupRequest');

  const caseSchema = z.object({
    status: z.enum(['referred', 'waiting', 'assessment', 'treatment', 'open', 'closed']),
    since: z.string().nullable(),
    closedAt: z.string().nullable(),
    responsibleUnit: z.object({ sor: z.string().nullable(), name: z.string().nullable(), ean: z.string().nullable().openapi({ description: 'MedCom address (EAN/GLN) for correspondence' }) }).nullable().optional(),
    contact: z.object({ name: z.string().nullable(), role: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() }).nullable().optional(),
    team: z.string().nullable().optional(),
  });
  const responseSchema = z
    .object({
      lookupId: z.string().openapi({ description: 'The audit record of this lookup' }),
      requestId: z.string(),
      personRegister: z
        .object({ status: z.string(), reason: z.string().optional(), addressProtected: z.boolean().optional() })
        .openapi({ description: "The person register's answer; `withheld` when no source was permitted (the register's answer is not echoed to a caller permitted nowhere). `addressProtected`: the child has name and address protection" }),
      deadlineMs: z.number(),
      durationMs: z.number(),
      unservedOrganisations: z.array(z.string()).openapi({ description: 'Organisations named in the request that no configured source serves' }),
      sources: z.array(
        z.object({
          sourceId: z.string().optional().openapi({ description: 'Left out, with organisation, where it would tell the caller something it did not know (see the trust model)' }),
          kind: z.enum(SOURCE_KINDS),
          organisation: z.object({ sor: z.string(), name: z.string().nullable() }).optional(),
          status: z.enum(STATUSES),
          reason: z.string().optional(),
          deniedBecause: z.array(z.string()).optional(),
          agreements: z.array(z.object({ id: z.string(), version: z.number() })).optional(),
          dataElements: z.array(z.string()).optional(),
          durationMs: z.number().optional(),
          cases: z.array(caseSchema).optional(),
          overridden: z.boolean().optional().openapi({ description: "Answered only because the caller overrode the citizen's block" }),
        }),
      ),
    })
    .openapi('LookupResponse');

  const router = createRouter();
  router.use('*', requireRole('clinician', 'caseworker'));
  router.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['lookup'],
      summary: 'Does the child have a case at the GP, child psychiatry, PPR or the family department, and who is the contact?',
      description:
        'Asks the sources relevant to the child (found through the person register, plus any organisations named) that the caller has an agreement with, ' +
        'in parallel and within the deadline. Every source is reported with a status; denied sources are never asked. One audit record is written before the answer. ' +
        'A denied source is named only when the caller named it (or it is the caller\'s own); otherwise it is reported by kind with a generic reason, and a caller permitted nowhere is not told the register\'s answer.',
      security: [{ bearer: [] }],
      request: { body: { content: { 'application/json': { schema: requestSchema } }, required: true } },
      responses: {
        200: { description: 'the lookup, source by source (also when some sources failed)', content: { 'application/json': { schema: responseSchema } } },
        503: { description: 'the lookup could not be audited; no data returned' },
        ...problemResponses,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const body = c.req.valid('json');
      const subject = accessSubject(caller, body.purposeOfUse);
      if (!subject.ok) throw subjectRefusalProblem(subject);
      const refusal = body.override ? overrideRefusal(caller) : null;
      if (refusal) throw new ProblemError(403, refusal, 'Emergency override not allowed', { detail: OVERRIDE_REFUSAL_DETAIL[refusal] });
      const person = parsePersonIdentifier(body.cpr);
      const result = await deps.lookups.lookup(
        caller,
        { cpr: (person as NonNullable<typeof person>).value, subject: subject.subject, reason: body.reason, organisations: body.organisations, kinds: body.kinds ?? null, deadlineMs: body.deadlineMs, override: body.override ?? null },
        c.get('requestId'),
        c.get('receivedAt'),
      );
      return c.json(result, 200);
    },
  );
  return router;
}
