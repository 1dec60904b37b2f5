/**
 * `GET /v1/audit/integrity`: is the audit log whole? The chain, checked from the last signed
 * checkpoint before the period (or from the start), and every checkpoint against it; the first
 * broken record when not. `POST /v1/audit/checkpoints` signs the chain head now. Auditors only;
 * neither reads any record's content, so neither reveals data about a child.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { ProblemError } from '../http/problem.js';
import { createRouter, problemResponses } from '../http/router.js';
import { type CheckpointKeyMaterial, readExportedCheckpoints, writeCheckpoint } from './checkpoints.js';
import { checkAuditIntegrity } from './integrity.js';
import type { SecurityEvents } from '../security-events/security-events.js';

const findingSchema = z.object({
  seq: z.string(),
  source: z.enum(['database', 'export']),
  problem: z.enum(['bad-signature', 'unknown-key', 'hash-mismatch', 'records-missing', 'not-in-database']),
});

const reportSchema = z
  .object({
    ok: z.boolean(),
    firstBrokenRecord: z.string().nullable().openapi({ description: 'From this record on, the log cannot be trusted' }),
    chain: z.object({
      fromSeq: z.string(),
      toSeq: z.string().nullable(),
      checked: z.number(),
      brokenAt: z.string().nullable(),
      anchoredAt: z.string().nullable().openapi({ description: 'The signed checkpoint the check started from' }),
    }),
    checkpoints: z.object({
      configured: z.boolean(),
      checked: z.number(),
      last: z.object({ seq: z.string(), signedAt: z.string(), keyId: z.string() }).nullable(),
      findings: z.array(findingSchema),
    }),
  })
  .openapi('AuditIntegrity');

export function auditIntegrityRoutes(deps: {
  db: Kysely<Database>;
  checkpoints: (CheckpointKeyMaterial & { exportFile: string | null }) | null;
  /** Told of every check that finds the log not whole. */
  securityEvents?: SecurityEvents;
}) {
  const router = createRouter();
  router.openapi(
    createRoute({
      method: 'get',
      path: '/integrity',
      tags: ['audit'],
      summary: 'Check the audit hash chain and every signed checkpoint; name the first broken record',
      security: [{ bearer: [] }],
      request: {
        query: z.object({
          from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Period start (recorded at or after)' }),
          to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Period end (recorded before)' }),
        }),
      },
      responses: { 200: { description: 'the integrity report', content: { 'application/json': { schema: reportSchema } } }, ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cp = deps.checkpoints;
      const exported = cp?.exportFile ? await readExportedCheckpoints(cp.exportFile).catch(() => ({ checkpoints: [], unreadableLines: [] })) : { checkpoints: [] };
      const report = await checkAuditIntegrity(deps.db, {
        keys: cp?.keys ?? null,
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        exported: exported.checkpoints,
      });
      if (!report.ok) {
        const caller = c.get('caller');
        deps.securityEvents?.emit({
          type: 'integrity-failure',
          at: new Date(),
          requestId: c.get('requestId'),
          actor: { issuer: caller.issuer, subject: caller.subject, organisation: caller.organisationSor, role: caller.role },
          reason: report.chain.brokenAt !== null ? 'chain-broken' : 'checkpoint-finding',
          details: { firstBrokenRecord: report.firstBrokenRecord, findings: report.checkpoints.findings.map((f) => `${f.seq}:${f.source}:${f.problem}`) },
        });
      }
      return c.json(report, 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/checkpoints',
      tags: ['audit'],
      summary: 'Sign the audit chain head now (besides the periodic checkpoints)',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'the checkpoint written, or null when nothing was recorded since the last one',
          content: { 'application/json': { schema: z.object({ checkpoint: z.object({ seq: z.string(), signedAt: z.string(), keyId: z.string() }).nullable() }) } },
        },
        ...problemResponses,
      },
    }),
    async (c) => {
      const cp = deps.checkpoints;
      if (!cp) throw new ProblemError(409, 'checkpoints-not-configured', 'Checkpoints not configured', { detail: 'the broker has no audit signing key' });
      const written = await writeCheckpoint(deps.db, cp.signer, { exportFile: cp.exportFile });
      return c.json({ checkpoint: written ? { seq: written.seq, signedAt: written.signedAt, keyId: written.keyId } : null }, 200);
    },
  );
  return router;
}
