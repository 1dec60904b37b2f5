/**
 * A federated lookup about one child: find the child's parties in the person register, route to
 * the relevant sources, check each against the caller's agreements, consult the permitted ones
 * in parallel under one deadline, keep only data about this child and only what the agreements
 * allow, and write one durable audit record before anything is answered.
 */
import type { Logger } from 'pino';
import type { PersonRegister, PersonRegisterOutcome } from '../../adapters/person-register/index.js';
import type { SourceKind } from '../../adapters/source.js';
import type { DecisionService } from '../agreements/decision-service.js';
import type { ReasonCode } from '../agreements/decision.js';
import type { AgreementRef, DataElement, Purpose } from '../agreements/model.js';
import { actorFromCaller } from '../audit/audit-event.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import { ProblemError } from '../http/problem.js';
import { GroupCommitOverloadedError } from '../platform/group-commit.js';
import type { Caller } from '../identity/caller.js';
import { type ConsultationOutcome, type SourceBreakers, consultSource } from './fan-out.js';
import { type CaseView, allAboutPerson, minimiseCases } from './minimise.js';
import { type PersonFacts, planConsultations } from './routing.js';
import { timeLimit } from './time-limit.js';
import type { Source } from './sources.js';

export interface LookupRequest {
  readonly cpr: string;
  readonly purposeOfUse: Purpose;
  readonly reason: string;
  readonly organisations: readonly string[];
  readonly kinds: readonly SourceKind[] | null;
  readonly deadlineMs: number;
}

export type SourceStatus = 'found' | 'not-found' | 'denied' | 'unavailable' | 'timeout' | 'error';

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
}

export interface LookupResponse {
  lookupId: string;
  requestId: string;
  personRegister: { status: PersonRegisterOutcome['status'] | 'timeout' | 'not-configured'; reason?: string };
  deadlineMs: number;
  durationMs: number;
  sources: SourceResult[];
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
}

const REQUESTED: readonly DataElement[] = ['case-existence', 'contact-details'];
/** Kept back from the deadline for the audit commit and the response. */
const ANSWER_RESERVE_MS = 50;
const MIN_SOURCE_BUDGET_MS = 50;

export function createLookupService(deps: LookupDependencies) {
  const sourcesById = new Map(deps.sources.map((s) => [s.config.id, s]));
  const now = deps.now ?? (() => new Date());

  async function askPersonRegister(cpr: string, requestId: string, deadline: AbortSignal) {
    if (!deps.personRegister) return { status: 'not-configured' as const, facts: null };
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
    const facts: PersonFacts = { gpPracticeSor: outcome.gpPracticeSor, municipalityCode: outcome.municipalityCode, regionCode: outcome.regionCode ?? null };
    return { status: 'found' as const, facts };
  }

  async function lookup(caller: Caller, request: LookupRequest, requestId: string, receivedAt = performance.now()): Promise<LookupResponse> {
    const started = receivedAt;
    const at = now();
    // The deadline counts from the request's arrival, and leaves room to write the audit record
    // and send the answer: the caller gets its answer within deadlineMs, not just the sources.
    const budget = Math.max(MIN_SOURCE_BUDGET_MS, Math.floor(request.deadlineMs - (performance.now() - receivedAt) - ANSWER_RESERVE_MS));
    const deadlineLimit = timeLimit(budget);
    const deadline = deadlineLimit.signal;
    try {
      return await run(caller, request, requestId, started, at, deadline);
    } finally {
      deadlineLimit.release();
    }
  }

  async function run(caller: Caller, request: LookupRequest, requestId: string, started: number, at: Date, deadline: AbortSignal): Promise<LookupResponse> {
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

    const results = await Promise.all(
      plan.map(async (p): Promise<SourceResult> => {
        const base = { sourceId: p.sourceId, kind: p.kind, organisation: { sor: p.targetSor, name: nameOf(p.targetSor) } };
        const decision = deps.decisions.decide({
          caller: { organisationSor: caller.organisationSor, role: caller.role as 'clinician' | 'caseworker', assurance: caller.assurance, purpose: request.purposeOfUse },
          action: REQUESTED,
          targetSor: p.targetSor,
          at,
        });
        // No agreement, no request: the source is never asked.
        if (decision.effect === 'deny') return { ...base, status: 'denied', deniedBecause: decision.reasons, reason: decision.detail };
        const source = sourcesById.get(p.sourceId) as Source;
        const { outcome, durationMs } = await consultSource(source, { cpr: request.cpr, requestId }, deadline, deps.breakers);
        const granted = { agreements: decision.agreements, dataElements: decision.dataElements, durationMs };
        return { ...base, ...granted, ...shape(outcome, p.kind, p.targetSor, register.facts, request.cpr, decision.dataElements, requestId) };
      }),
    );

    const durationMs = Math.round(performance.now() - started);
    const outcome = results.length > 0 && results.every((r) => r.status === 'denied')
      ? 'denied'
      : results.some((r) => r.status === 'unavailable' || r.status === 'timeout' || r.status === 'error') || register.status !== 'found'
        ? 'partial'
        : 'success';
    let lookupId: string;
    try {
      lookupId = await deps.audit.write({
        kind: 'lookup',
        outcome,
        occurredAt: at,
        requestId,
        actor: actorFromCaller(caller),
        purpose: request.purposeOfUse,
        reason: request.reason,
        patientCpr: request.cpr,
        details: {
          personRegister: { status: register.status },
          namedOrganisations: request.organisations,
          unservedOrganisations,
          kinds: request.kinds,
          deadlineMs: request.deadlineMs,
          durationMs,
          sources: results.map((r) => ({
            sourceId: r.sourceId,
            kind: r.kind,
            organisation: r.organisation.sor,
            status: r.status,
            reason: r.reason ?? null,
            deniedBecause: r.deniedBecause ?? null,
            agreements: r.agreements ?? [],
            dataElementsReturned: r.status === 'found' ? (r.dataElements ?? []) : [],
            cases: r.cases?.length ?? 0,
            durationMs: r.durationMs ?? null,
          })),
        },
      });
    } catch (error) {
      // Too many records waiting: 503 overloaded with Retry-After (src/http/errors.ts), not an audit failure.
      if (error instanceof GroupCommitOverloadedError) throw error;
      // Fail closed: what is not audited is not answered.
      deps.logger.error({ err: error, requestId }, 'audit write failed; lookup answered with 503');
      throw new ProblemError(503, 'audit-unavailable', 'Audit unavailable', { detail: 'the lookup could not be audited, so no data is returned; try again shortly', headers: { 'Retry-After': '5' } });
    }
    return {
      lookupId,
      requestId,
      personRegister: { status: register.status, ...('reason' in register && register.reason ? { reason: register.reason } : {}) },
      deadlineMs: request.deadlineMs,
      durationMs,
      sources: results,
      unservedOrganisations,
    };
  }

  function shape(
    outcome: ConsultationOutcome,
    kind: SourceKind,
    targetSor: string,
    person: PersonFacts | null,
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
    // A GP system serves many practices: keep only the child's own practice's course.
    const cases = kind === 'gp' && person?.gpPracticeSor
      ? outcome.cases.filter((c) => !c.responsibleUnit?.sor || c.responsibleUnit.sor === targetSor)
      : outcome.cases;
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
