/**
 * The contract between the lookup sources' adapters and the orchestrator. One adapter per source
 * endpoint; `lookup` never throws for source trouble: it answers with one SourceOutcome, so a
 * fan-out gets one result per source (Metriport's habit). Reasons are short fixed phrases: never a
 * CPR number, never a response body.
 */

export type SourceKind = 'gp' | 'child-psychiatry' | 'ppr' | 'family';

export type CaseStatus = 'referred' | 'waiting' | 'assessment' | 'treatment' | 'open' | 'closed';

export type Sensitivity =
  | 'IKKE_FORTROLIGE_DATA'
  | 'FORTROLIGE_PERSONOPLYSNINGER'
  | 'FOELSOMME_PERSONOPLYSNINGER'
  | 'VIP_SAGER';

export interface SourceCase {
  caseId: string; // the source's own id
  subjectCpr: string; // the CPR the SOURCE says this case is about (used for the integrity check)
  status: CaseStatus;
  sourceStatus: string; // the source's own status code, verbatim
  since: string | null; // ISO date the current status started
  closedAt: string | null; // ISO date, for closed cases
  title: string | null; // case title (municipal) / episode type text; sensitive
  sensitivity: Sensitivity | null;
  kle: string | null; // KLE classification (municipal)
  responsibleUnit: {
    sor: string | null;
    name: string | null;
    ean: string | null;
    municipalityCvr?: string | null;
  } | null;
  contact: { name: string | null; role: string | null; phone: string | null; email: string | null } | null;
  /** Care team (psychiatry), when the source names one. */
  team?: string | null;
}

export type SourceOutcome =
  | { status: 'found'; cases: SourceCase[]; notes: string[] }
  | { status: 'not-found'; notes: string[] }
  | { status: 'unavailable'; reason: string; httpStatus?: number } // transient: 429, 500, 502, 503, 504, connection refused/reset, aborted
  | { status: 'error'; reason: string; httpStatus?: number }; // non-transient: 401/403, 404 endpoint, HTML, malformed, OperationOutcome error, SOAP Fault, oversize

export interface SourceQuery {
  cpr: string;
  requestId: string;
}

export interface SourceAdapter {
  readonly protocol: 'fhir' | 'case-index';
  lookup(query: SourceQuery, signal: AbortSignal): Promise<SourceOutcome>;
}

export type SourceAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string };

/** Default cap on one response body: larger answers become `error` 'response too large'. */
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** A failed exchange with a source, already classified. Its message is a fixed phrase. */
export class SourceRequestError extends Error {
  constructor(
    readonly outcome: 'unavailable' | 'error',
    readonly reason: string,
    readonly httpStatus?: number,
  ) {
    super(reason);
    this.name = 'SourceRequestError';
  }

  toOutcome(): SourceOutcome {
    return this.httpStatus === undefined
      ? { status: this.outcome, reason: this.reason }
      : { status: this.outcome, reason: this.reason, httpStatus: this.httpStatus };
  }
}

/**
 * HTTP status -> outcome. 500 counts as transient: a bare 500 from a source's gateway is most often
 * a passing fault, and the breaker should see it as unavailability (SOAP Faults on 500 are read
 * before this is consulted).
 */
export function classifyHttpStatus(status: number): SourceRequestError {
  if (status === 401) return new SourceRequestError('error', 'credentials refused', status);
  if (status === 403) return new SourceRequestError('error', 'access forbidden', status);
  if (status === 404) return new SourceRequestError('error', 'endpoint not found', status);
  if (status === 400 || status === 422) return new SourceRequestError('error', 'source rejected the request', status);
  if (status === 408 || status === 429) return new SourceRequestError('unavailable', 'source busy', status);
  if (status === 500) return new SourceRequestError('unavailable', 'source server error', status);
  if (status === 502 || status === 503 || status === 504) {
    return new SourceRequestError('unavailable', 'source unavailable', status);
  }
  if (status >= 500) return new SourceRequestError('unavailable', 'source server error', status);
  return new SourceRequestError('error', 'unexpected HTTP status', status);
}

export function authHeaders(auth: SourceAuth): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      };
  }
}

/** Turns anything caught during a lookup into an outcome, without leaking its message. */
export function outcomeFromFailure(err: unknown, signal: AbortSignal): SourceOutcome {
  if (err instanceof SourceRequestError) return err.toOutcome();
  if (signal.aborted) return { status: 'unavailable', reason: 'request aborted' };
  return { status: 'error', reason: 'adapter failure' };
}
