/**
 * A federated lookup about one child: find the child's parties in the person register, route to
 * the relevant sources, check each against the caller's agreements, consult the permitted ones
 * in parallel under one deadline, keep only data about this child and only what the agreements
 * allow, and write one durable audit record before anything is answered.
 */
import type { Logger } from 'pino';
import type { PersonRegister } from '../../adapters/person-register/index.js';
import type { SourceKind } from '../../adapters/source.js';
import type { DecisionService } from '../agreements/decision-service.js';
import type { ReasonCode } from '../agreements/decision.js';
import type { AgreementRef, DataElement } from '../agreements/model.js';
import type { AccessSubject } from '../identity/access-subject.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { auditOrFail } from '../audit/fail-closed.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { Caller } from '../identity/caller.js';
import { type ConsultationOutcome, type SourceBreakers, consultSource } from './fan-out.js';
import { type ConsultationResult, type DisclosedRegister, type DisclosedSource, discloseLookup } from './disclosure.js';
import { type CaseView, allAboutPerson, coursesOfPractice, minimiseCases } from './minimise.js';
import { type PersonFacts, planConsultations } from './routing.js';
import { type AnswerReserve, createAnswerReserve, remainingBudget, timeLimit } from './time-limit.js';
import { SOURCE_KINDS, type Source } from './sources.js';
import type { BrokerMetrics } from '../metrics/metrics.js';
import type { CitizenFacts, Decision } from '../agreements/decision.js';
import { type CitizenChecks, checkCitizen } from '../citizen/lookup-checks.js';

export interface LookupRequest {
  readonly cpr: string;
  /** Who the access decisions are about: made by accessSubject from the verified caller. */
  readonly subject: AccessSubject;
  readonly reason: string;
  readonly organisations: readonly string[];
  readonly kinds: readonly SourceKind[] | null;
  readonly deadlineMs: number;
  /** An emergency override (værdispring) of citizens' blocks for this lookup, already allowed by src/citizen/override.ts. */
  readonly override?: { readonly reason: string } | null;
}

/** `blocked`: the child or a custody-holder has blocked the caller (src/citizen/blocks-rule.ts); the source was not asked. */
export type SourceStatus = 'found' | 'not-found' | 'denied' | 'blocked' | 'unavailable' | 'timeout' | 'error';

export interface SourceResult {
  sourceId: string;
  kind: SourceKind;
  organisation: { sor: string; name: string | null };
  status: SourceStatus;
  reason?: string;
  deniedBecause?: readonly ReasonCode[];
  agreements?: readonly AgreementRef[];
  dataElements?: readonly DataElement[];
  durationMs?: number;
  cases?: CaseView[];
  /** True when the source was answered only because the caller overrode a block. */
  overridden?: boolean;
}

export interface LookupResponse {
  lookupId: string;
  requestId: string;
  /** `withheld` to a caller permitted nowhere: the register's answer is not echoed (disclosure.ts). */
  personRegister: DisclosedRegister;
  deadlineMs: number;
  durationMs: number;
  sources: DisclosedSource[];
  /** Organisations the caller named that no configured source serves (so nothing was asked). */
  unservedOrganisations: string[];
}

export interface LookupDependencies {
  readonly personRegister: (PersonRegister & { timeoutMs: number }) | null;
  readonly sources: readonly Source[];
  readonly breakers: SourceBreakers;
  readonly directory: DirectoryCache;
  readonly decisions: Pick<DecisionService, 'decide'>;
  readonly audit: AuditWriter;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Learns how long the answer takes after the sources; default: a fresh one per service. */
  readonly answerReserve?: AnswerReserve;
  readonly metrics?: Pick<BrokerMetrics, 'lookup' | 'sourceOutcome'>;
  /** Citizens' blocks and consents (src/citizen/lookup-checks.ts); without them none is known. */
  readonly citizen?: CitizenChecks;
}

const REQUESTED: readonly DataElement[] = ['case-existence', 'contact-details'];
/** Time allowed for serialising and writing the response once the audit record is committed. */
const WRITE_ALLOWANCE_MS = 5;

export function createLookupService(deps: LookupDependencies) {
  const sourcesById = new Map(deps.sources.map((s) => [s.config.id, s]));
  const now = deps.now ?? (() => new Date());
  const reserve = deps.answerReserve ?? createAnswerReserve();

  async function askPersonRegister(cpr: string, requestId: string, deadline: AbortSignal) {
    if (!deps.personRegister) return { status: 'not-configured' as const, facts: null };
    if (deadline.aborted) return { status: 'timeout' as const, reason: 'lookup deadline reached before the person register could be asked', facts: null };
    const limit = timeLimit(deps.personRegister.timeoutMs, deadline);
    const signal = limit.signal;
    let onAbort: (() => void) | undefined;
    const find = deps.personRegister.find({ cpr, requestId }, signal);
    const outcome = await Promise.race([
      find,
      new Promise<null>((resolve) => {
        onAbort = () => resolve(null);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    void find.then(limit.release, limit.release);
    if (outcome === null || (signal.aborted && outcome.status !== 'found' && outcome.status !== 'not-found')) {
      return { status: 'timeout' as const, reason: 'person register did not answer in time', facts: null };
    }
    if (outcome.status !== 'found') {
      return { status: outcome.status, ...('reason' in outcome ? { reason: outcome.reason } : {}), facts: null };
    }
    const facts: PersonFacts = {
      gpPracticeSor: outcome.gpPracticeSor,
      municipalityCode: outcome.municipalityCode,
      regionCode: outcome.regionCode ?? null,
      addressProtected: outcome.addressProtected === true,
    };
    return { status: 'found' as const, facts };
  }

  async function lookup(caller: Caller, request: LookupRequest, requestId: string, receivedAt = performance.now()): Promise<LookupResponse> {
    const at = now();
    // One clock from the request's arrival: whatever came before (body, token, replay guard) has
    // used its share, and the time the answer needs after the sources (audit commit, response),
    // as recently measured, is kept back. With nothing left the sources are not asked at all.
    const budget = remainingBudget(receivedAt, request.deadlineMs, reserve.forDeadline(request.deadlineMs));
    const deadlineLimit = timeLimit(budget);
    const cutAt = performance.now() + budget;
    try {
      return await run(caller, request, requestId, receivedAt, at, deadlineLimit.signal, cutAt);
    } finally {
      deadlineLimit.release();
    }
  }

  async function run(caller: Caller, request: LookupRequest, requestId: string, started: number, at: Date, deadline: AbortSignal, cutAt: number): Promise<LookupResponse> {
    const view = deps.directory.view();
    const nameOf = (sor: string) => view.get(sor)?.name ?? null;

    const register = await askPersonRegister(request.cpr, requestId, deadline);
    const { consultations: plan, unservedOrganisations } = planConsultations({
      person: register.facts,
      namedOrganisations: request.organisations,
      kinds: request.kinds,
      sources: deps.sources.map((s) => s.config),
      directory: view,
    });

    // Every decision is made here, before any source is asked: the blocks and consents as they
    // stand now. A consent withdrawn after this point does not recall this lookup's answer; the
    // next lookup asks the consent service again and sees the withdrawal.
    const decideFor = (p: (typeof plan)[number], citizen: CitizenFacts | undefined): Decision =>
      deps.decisions.decide({ caller: request.subject, action: REQUESTED, targetSor: p.targetSor, at, ...(citizen ? { citizen } : {}) });
    const citizen = await checkCitizen(deps.citizen, {
      caller,
      cpr: request.cpr,
      requestId,
      at,
      override: (request.override ?? null) !== null,
      plan,
      decide: decideFor,
      isWithin: (sor, root) => view.isWithin(sor, root),
      deadline,
    });
    const decisions = citizen.decisions;

    const results = await Promise.all(
      plan.map(async (p, i): Promise<ConsultationResult> => {
        const base = { sourceId: p.sourceId, kind: p.kind, via: p.via, organisation: { sor: p.targetSor, name: nameOf(p.targetSor) } };
        const decision = decisions[i] as Decision;
        // Blocked by the citizen: said as such, and the source is never asked.
        if (decision.effect === 'deny' && decision.reasons.includes('citizen-block')) return { ...base, status: 'blocked', deniedBecause: decision.reasons, reason: decision.detail };
        if (decision.effect === 'deny' && decision.reasons.includes('no-consent') && citizen.consentUnavailable) {
          return { ...base, status: 'unavailable', reason: 'the consent service did not answer, so the consent this agreement needs could not be checked' };
        }
        // No agreement, no request: the source is never asked.
        if (decision.effect === 'deny') return { ...base, status: 'denied', deniedBecause: decision.reasons, reason: decision.detail };
        const source = sourcesById.get(p.sourceId) as Source;
        const { outcome, durationMs } = await consultSource(source, { cpr: request.cpr, requestId }, deadline, deps.breakers);
        const granted = { agreements: decision.agreements, dataElements: decision.dataElements, durationMs, ...(decision.overriddenBlocks ? { overridden: true } : {}) };
        return { ...base, ...granted, ...shape(outcome, p.kind, p.targetSor, request.cpr, decision.dataElements, requestId) };
      }),
    );

    const sourcesDone = performance.now();
    const durationMs = Math.round(sourcesDone - started);
    // What the reserve must cover: from the planned cut-off (when the sources were cut off; on a
    // busy machine the timer itself fires late) or from the sources' last answer, to the answer.
    const tailFrom = deadline.aborted ? Math.min(cutAt, sourcesDone) : sourcesDone;
    const outcome = results.length > 0 && results.every((r) => r.status === 'denied' || r.status === 'blocked')
      ? 'denied'
      : results.some((r) => r.status === 'unavailable' || r.status === 'timeout' || r.status === 'error') || register.status !== 'found'
        ? 'partial'
        : 'success';
    deps.metrics?.lookup(outcome, durationMs / 1000);
    for (const r of results) deps.metrics?.sourceOutcome(r.sourceId, r.kind, r.status, r.durationMs !== undefined && r.status !== 'denied' ? r.durationMs / 1000 : null);
    // Fail closed: what is not audited is not answered. A full write queue is 503 overloaded
    // with Retry-After (src/http/errors.ts), anything else 503 audit-unavailable.
    const lookupId = await auditOrFail(
      'the lookup',
      () => deps.audit.write({
        kind: 'lookup',
        outcome,
        occurredAt: at,
        requestId,
        actor: actorFromCaller(caller),
        purpose: request.subject.purpose,
        reason: request.reason,
        patientCpr: request.cpr,
        details: {
          personRegister: { status: register.status, ...(register.facts?.addressProtected ? { addressProtected: true } : {}) },
          namedOrganisations: request.organisations,
          unservedOrganisations,
          kinds: request.kinds,
          deadlineMs: request.deadlineMs,
          durationMs,
          // The override as such: the citizen's access log and the anomaly rule `emergency-override` read it.
          ...(request.override ? { override: { reason: request.override.reason, overriddenBlocks: citizen.overriddenBlocks, sources: results.filter((r) => r.overridden).map((r) => r.sourceId) } } : {}),
          ...(citizen.consentLookup ? { consentService: citizen.consentLookup } : {}),
          sources: results.map((r, i) => ({
            sourceId: r.sourceId,
            kind: r.kind,
            organisation: r.organisation.sor,
            // Chosen from the person register, or named by the caller: what the caller knew.
            via: r.via,
            status: r.status,
            reason: r.reason ?? null,
            deniedBecause: r.deniedBecause ?? null,
            agreements: r.agreements ?? [],
            dataElementsReturned: r.status === 'found' ? (r.dataElements ?? []) : [],
            cases: r.cases?.length ?? 0,
            durationMs: r.durationMs ?? null,
            ...citizenDetails(decisions[i] as Decision),
          })),
        },
      }),
      (error) => {
        deps.logger.error({ err: error, requestId }, 'audit write failed; lookup answered with 503');
        reserve.observe(performance.now() - tailFrom + WRITE_ALLOWANCE_MS);
      },
    );
    reserve.observe(performance.now() - tailFrom + WRITE_ALLOWANCE_MS);
    // The audit record above holds the whole truth; the caller is told what it may know.
    const disclosed = discloseLookup({
      results,
      register: { status: register.status, ...('reason' in register && register.reason ? { reason: register.reason } : {}), addressProtected: register.facts?.addressProtected === true },
      askedKinds: request.kinds ? SOURCE_KINDS.filter((k) => request.kinds?.includes(k)) : SOURCE_KINDS,
      callerOwns: (sor) => view.isWithin(sor, caller.organisationSor),
    });
    return {
      lookupId,
      requestId,
      personRegister: disclosed.personRegister,
      deadlineMs: request.deadlineMs,
      durationMs,
      sources: disclosed.sources,
      unservedOrganisations,
    };
  }

  /** What the audit record keeps of the citizen's part in a decision: consents relied on, blocks met or overridden. */
  function citizenDetails(d: Decision): Record<string, unknown> {
    if (d.effect === 'permit') return { ...(d.consents ? { consents: d.consents } : {}), ...(d.overriddenBlocks ? { overriddenBlocks: d.overriddenBlocks } : {}) };
    return d.blocks ? { blocks: d.blocks } : {};
  }

  function shape(
    outcome: ConsultationOutcome,
    kind: SourceKind,
    targetSor: string,
    cpr: string,
    allowed: readonly DataElement[],
    requestId: string,
  ): Pick<SourceResult, 'status' | 'reason' | 'cases'> {
    if (outcome.status !== 'found') {
      return outcome.status === 'not-found' ? { status: 'not-found' } : { status: outcome.status, reason: outcome.reason };
    }
    if (!allAboutPerson(outcome.cases, cpr)) {
      // Another child's data in the answer: show none of it, and tell security.
      deps.logger.warn({ event: 'security.source-integrity', requestId, kind, organisation: targetSor }, 'source returned cases about another person; answer dropped');
      return { status: 'error', reason: 'the source answered about another person; answer discarded' };
    }
    // A GP system serves many practices and answers with every course it holds for the child:
    // keep only those of the practice asked for (the child's own, or the one the caller named),
    // and none whose practice cannot be told.
    const cases = kind === 'gp' ? coursesOfPractice(outcome.cases, targetSor, (sor, root) => deps.directory.view().isWithin(sor, root)) : outcome.cases;
    if (cases.length === 0) return { status: 'not-found' };
    // Municipal case indexes name the unit but carry no SOR code: the unit is the source's owner.
    const withUnit = cases.map((c) =>
      c.responsibleUnit?.sor || kind === 'gp'
        ? c
        : { ...c, responsibleUnit: { sor: targetSor, name: c.responsibleUnit?.name ?? deps.directory.view().get(targetSor)?.name ?? null, ean: c.responsibleUnit?.ean ?? null } },
    );
    return { status: 'found', cases: minimiseCases(withUnit, allowed, (sor) => (sor ? deps.directory.eanOf(sor) : null)) };
  }

  return { lookup };
}

export type LookupService = ReturnType<typeof createLookupService>;
