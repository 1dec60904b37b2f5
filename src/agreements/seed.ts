/**
 * Demo and pilot agreements from fixtures/agreements/*.json, stored as active and approved by
 * both sides' approving organisations. Used by the demo seeding and by tests. With a directory,
 * the terms and both approvals are checked as an approval through the API would be.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { judgeApproval } from './approval-rule.js';
import { validateTerms } from './lifecycle.js';
import type { AgreementRecord } from './model.js';
import { termsSchema, toTerms } from './schemas.js';
import { countAgreements, insertAgreement, recordChange } from './store.js';
import { z } from '@hono/zod-openapi';

const fixtureSchema = z.object({
  approvedAt: z.iso.datetime(),
  agreements: z.array(z.object({ key: z.string().min(1), terms: termsSchema })),
});

/** The pilot fixture, found beside the sources or the build output. */
export function defaultFixturePath(): string {
  const candidates = ['../../fixtures/agreements/north-jutland.json', '../../../fixtures/agreements/north-jutland.json'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

/** A stable id per fixture key, so demo links survive a re-seed (UUID v5 layout over SHA-256). */
function fixtureId(key: string): string {
  const h = createHash('sha256').update(`north-jutland-agreement:${key}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function loadFixtureAgreements(file = defaultFixturePath()): Promise<AgreementRecord[]> {
  const doc = fixtureSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  return doc.agreements.map(({ key, terms: input }) => {
    const terms = toTerms(input);
    const id = fixtureId(key);
    return {
      id,
      versions: [
        {
          ...terms,
          id,
          version: 1,
          status: 'active' as const,
          amends: null,
          approvals: (['a', 'b'] as const).map((side) => ({
            side,
            approvedBy: 'fixture#pilot-agreement',
            actingForSor: (side === 'a' ? terms.sideA : terms.sideB).approvingOrganisationSor,
            approvedAt: doc.approvedAt,
            version: 1,
          })),
        },
      ],
    };
  });
}

/**
 * Loads the pilot agreements when there are none yet. With a directory, every agreement is first
 * checked against it, so a fixture out of step with the SOR fixture fails loudly.
 * Returns how many were stored (0 when agreements already exist).
 */
export async function seedDemoAgreements(
  db: Kysely<Database>,
  options: { directory?: DecisionDirectoryView; file?: string; at?: Date } = {},
): Promise<number> {
  if ((await countAgreements(db)) > 0) return 0;
  const records = await loadFixtureAgreements(options.file);
  const at = options.at ?? new Date();
  if (options.directory) {
    for (const r of records) {
      const v = r.versions[0] as AgreementRecord['versions'][number];
      const issues = validateTerms(v, options.directory, at);
      if (issues.length > 0) throw new Error(`fixture agreement ${r.id}: ${issues.map((i) => i.detail).join('; ')}`);
      // Each approval as if given in turn, by the side's approving organisation and its own person.
      for (const [n, approval] of v.approvals.entries()) {
        const refusal = judgeApproval(
          {
            version: { ...v, approvals: v.approvals.slice(0, n) },
            previous: undefined,
            side: approval.side,
            actor: { organisationSor: approval.actingForSor, user: `${approval.approvedBy}:${approval.side}` },
          },
          options.directory,
        );
        if (refusal) throw new Error(`fixture agreement ${r.id}: the approval of side ${approval.side.toUpperCase()} would be refused (${refusal})`);
      }
    }
  }
  await db.transaction().execute(async (trx) => {
    for (const record of records) {
      await insertAgreement(trx, record, at);
      await recordChange(trx, {
        agreementId: record.id,
        version: 1,
        action: 'seed',
        at,
        actorIssuer: 'broker',
        actorSubject: 'fixture',
        actorOrganisation: null,
        requestId: null,
        reason: 'pilot agreements from fixtures/agreements',
        before: undefined,
        after: record.versions,
      });
    }
  });
  return records.length;
}
