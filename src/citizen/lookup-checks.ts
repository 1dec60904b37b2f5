/**
 * The citizen's part of a lookup, before any source is asked: the child's blocks (from the
 * database, per lookup) and, only when an agreement resting on consent would otherwise permit,
 * the consents (from the consent service, per lookup, under a short time limit). Neither is
 * cached, so a new block or a withdrawn consent counts from the next lookup on every instance.
 * The access decision itself (src/agreements/decision.ts) weighs them.
 */
import type { SourceKind } from '../../adapters/source.js';
import type { ConsentService } from '../../adapters/consent/index.js';
import type { CitizenFacts, Decision } from '../agreements/decision.js';
import type { Caller } from '../identity/caller.js';
import { databaseUnavailable } from '../platform/database-unavailable.js';
import { timeLimit } from '../lookup/time-limit.js';
import { type Block, blocksAgainst, holdsHealthData } from './blocks-rule.js';
import type { Consent } from './consent.js';

export interface CitizenChecks {
  /** The child's blocks that are not withdrawn. */
  blocksOf(cpr: string): Promise<readonly Block[]>;
  /** The national consent service; null when none is configured (then no consent is known). */
  readonly consents: (ConsentService & { readonly timeoutMs: number }) | null;
}

export interface CitizenCheckInput<P extends { readonly kind: SourceKind }> {
  readonly caller: Pick<Caller, 'organisationSor' | 'issuer' | 'subject'>;
  readonly cpr: string;
  readonly requestId: string;
  readonly at: Date;
  readonly override: boolean;
  readonly plan: readonly P[];
  readonly decide: (p: P, citizen: CitizenFacts) => Decision;
  readonly isWithin: (sor: string, rootSor: string) => boolean;
  readonly deadline: AbortSignal;
}

export interface CitizenCheckResult {
  /** One decision per planned consultation, in plan order. */
  readonly decisions: readonly Decision[];
  /** The consent service was needed and did not answer: consent-based agreements did not permit. */
  readonly consentUnavailable: boolean;
  /** Blocks an emergency override set aside in this lookup. */
  readonly overriddenBlocks: readonly string[];
  /** For the audit record: whether the consent service was asked, and what it said. */
  readonly consentLookup: { readonly status: 'ok' | 'unavailable' | 'error'; readonly consents: number } | null;
}

const needsConsent = (d: Decision) => d.effect === 'deny' && d.reasons.includes('no-consent');

export async function checkCitizen<P extends { readonly kind: SourceKind }>(checks: CitizenChecks | undefined, input: CitizenCheckInput<P>): Promise<CitizenCheckResult> {
  let blocks: readonly Block[] = [];
  if (checks) {
    try {
      blocks = await checks.blocksOf(input.cpr);
    } catch (error) {
      // Fail closed: without the blocks, nothing is answered.
      throw databaseUnavailable("the citizens' blocks could not be read; try again shortly", error);
    }
  }
  const against = blocksAgainst(blocks, input.caller, input.at, input.isWithin);
  const facts = (p: P, consents: readonly Consent[]): CitizenFacts => ({ consents, blocks: holdsHealthData(p.kind) ? against : [], override: input.override });
  let decisions = input.plan.map((p) => input.decide(p, facts(p, [])));
  let consentUnavailable = false;
  let consentLookup: CitizenCheckResult['consentLookup'] = null;
  const service = checks?.consents ?? null;
  if (service && decisions.some(needsConsent)) {
    const limit = timeLimit(service.timeoutMs, input.deadline);
    try {
      const outcome = await service.find({ cpr: input.cpr, requestId: input.requestId }, limit.signal);
      if (outcome.status === 'ok') {
        consentLookup = { status: 'ok', consents: outcome.consents.length };
        decisions = input.plan.map((p, i) => (needsConsent(decisions[i] as Decision) ? input.decide(p, facts(p, outcome.consents)) : (decisions[i] as Decision)));
      } else {
        consentLookup = { status: outcome.status, consents: 0 };
        consentUnavailable = true;
      }
    } finally {
      limit.release();
    }
  }
  const overridden = new Set<string>();
  for (const d of decisions) if (d.effect === 'permit') for (const id of d.overriddenBlocks ?? []) overridden.add(id);
  return { decisions, consentUnavailable, overriddenBlocks: [...overridden].sort(), consentLookup };
}
