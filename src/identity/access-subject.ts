/**
 * The one policy point where a verified caller becomes the subject of an access decision about a
 * child's data. Lookups and correspondence both go through here before the agreements are asked,
 * so that a role that never sees child data, a purpose the broker does not know, or a request
 * stating another purpose than the token are refused the same way everywhere.
 */
import { ProblemError } from '../http/problem.js';
import { type AssuranceLevel, type Caller, type DataRole, PURPOSES, type Purpose, isDataRole } from './caller.js';

/** What the access decision weighs: never the user, always the organisation acted for. */
export interface AccessSubject {
  readonly organisationSor: string;
  readonly role: DataRole;
  readonly assurance: AssuranceLevel;
  readonly purpose: Purpose;
}

export type SubjectRefusal =
  /** The caller's role never sees child data (an administrator, an auditor, the gateway). */
  | 'role-not-allowed'
  /** The token's purpose of use is not one the agreements can cover. */
  | 'purpose-not-covered'
  /** The request states another purpose than the identity provider asserted for the session. */
  | 'purpose-mismatch';

export type SubjectResult =
  | { readonly ok: true; readonly subject: AccessSubject }
  | { readonly ok: false; readonly refusal: SubjectRefusal; readonly detail: string };

const isPurpose = (value: string): value is Purpose => (PURPOSES as readonly string[]).includes(value);

/**
 * The subject of a decision for this caller. `statedPurpose` is the purpose a request body names
 * (a lookup does); it must equal the token's, which is the one the identity provider vouched for.
 */
export function accessSubject(caller: Caller, statedPurpose?: string): SubjectResult {
  if (!isDataRole(caller.role)) {
    return { ok: false, refusal: 'role-not-allowed', detail: `the role ${caller.role} does not see data about children` };
  }
  if (statedPurpose !== undefined && statedPurpose !== caller.purposeOfUse) {
    return { ok: false, refusal: 'purpose-mismatch', detail: 'the stated purpose must be the purpose_of_use your identity provider asserted for this session' };
  }
  if (!isPurpose(caller.purposeOfUse)) {
    return { ok: false, refusal: 'purpose-not-covered', detail: 'the purpose_of_use of the token is not a purpose any agreement can cover' };
  }
  return {
    ok: true,
    subject: { organisationSor: caller.organisationSor, role: caller.role, assurance: caller.assurance, purpose: caller.purposeOfUse },
  };
}

/** The problem a refused subject answers with; the same for every capability. */
export function subjectRefusalProblem(result: Extract<SubjectResult, { ok: false }>): ProblemError {
  if (result.refusal === 'purpose-mismatch') {
    return new ProblemError(403, 'purpose-mismatch', 'Purpose does not match the token', { detail: result.detail });
  }
  return new ProblemError(403, 'access-denied', 'Access denied', { detail: result.detail, extensions: { reasons: [result.refusal] } });
}
