/**
 * The citizen's scope for one request: asks the person register about custody only when the
 * request is about someone else, within a time limit, and turns the decision into the answer
 * every citizen route gives (403 refused, 503 unavailable). Each citizen route audits the
 * refusal itself, under its own audit kind.
 */
import type { CustodyRegister } from '../../adapters/person-register/index.js';
import { ProblemError } from '../http/problem.js';
import type { CitizenCaller } from '../identity/caller.js';
import { type CitizenScope, type CustodyFact, decideCitizenScope, needsCustody } from './scope.js';

export interface CitizenScopeService {
  resolve(citizen: CitizenCaller, requestedCpr: string, requestId: string): Promise<CitizenScope>;
}

export interface CitizenScopeOptions {
  /** The person register's custody data; null: none configured, so custody is never known. */
  readonly custody: CustodyRegister | null;
  readonly timeoutMs: number;
  readonly now?: () => Date;
}

const copenhagenDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: '2-digit', day: '2-digit' });

/** `YYYY-MM-DD` in Copenhagen: a birthday and a custody period turn at Danish midnight. */
export const copenhagenDate = (at: Date): string => copenhagenDay.format(at);

export function createCitizenScopeService(options: CitizenScopeOptions): CitizenScopeService {
  const now = options.now ?? (() => new Date());
  return {
    async resolve(citizen, requestedCpr, requestId) {
      const question = { callerCpr: citizen.cpr, assurance: citizen.assurance, requestedCpr, today: copenhagenDate(now()) };
      // Decide first without the register: a refusal that needs no custody data asks nobody.
      const early = decideCitizenScope(question, null);
      if (early.kind !== 'unavailable' || !needsCustody(question)) return early;
      let fact: CustodyFact = { kind: 'unknown' };
      if (options.custody) {
        const outcome = await options.custody.custodyOf({ childCpr: requestedCpr, requestId }, AbortSignal.timeout(options.timeoutMs));
        if (outcome.status === 'found') fact = { kind: 'known', holders: outcome.holders };
      }
      return decideCitizenScope(question, fact);
    },
  };
}

/** The answer to a scope that is not self or custody; says no more than the citizen knew. */
export function citizenScopeProblem(scope: Extract<CitizenScope, { kind: 'refused' | 'unavailable' }>): ProblemError {
  if (scope.kind === 'unavailable') {
    return new ProblemError(503, 'custody-unavailable', 'Custody unknown', {
      detail: 'the person register could not confirm custody just now; nothing is shown until it can',
      headers: { 'Retry-After': '30' },
    });
  }
  switch (scope.reason) {
    case 'insufficient-assurance':
      return new ProblemError(403, 'insufficient-assurance', 'Assurance too low', { detail: 'the citizen routes need NSIS assurance substantial or high (MitID substantial)' });
    case 'own-view-too-young':
      return new ProblemError(403, 'citizen-scope-refused', 'Not yours to see', { detail: 'a person sees their own log from the age of 15; until then their custody-holders do', extensions: { reason: scope.reason } });
    case 'not-own-or-custody':
      return new ProblemError(403, 'citizen-scope-refused', 'Not yours to see', { detail: 'you may see your own data or that of a child in your custody', extensions: { reason: scope.reason } });
  }
}
