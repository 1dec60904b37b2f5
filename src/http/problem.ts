/**
 * RFC 9457 problem details. Every error the broker returns is one of these, with a stable
 * `type` from PROBLEM_TYPES so that integrations can branch on it. Details never carry a CPR
 * number, a token or other personal data: callers see what went wrong, not whose data it was.
 */

export const PROBLEM_BASE = 'https://broker.example.dk/problems/';

export type ProblemSlug =
  | 'validation-failed'
  | 'malformed-json'
  | 'body-too-large'
  | 'unsupported-media-type'
  | 'not-found'
  | 'method-not-allowed'
  | 'unauthenticated'
  | 'invalid-token'
  | 'token-expired'
  | 'token-replayed'
  | 'untrusted-issuer'
  | 'organisation-out-of-issuer-scope'
  | 'role-out-of-issuer-scope'
  | 'gateway-identity-refused'
  | 'forbidden-role'
  | 'access-denied'
  | 'conflict'
  | 'precondition-failed'
  | 'precondition-required'
  | 'unavailable'
  | 'audit-unavailable'
  | 'database-unavailable'
  | 'internal-error'
  | (string & {});

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly slug: ProblemSlug;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    slug: ProblemSlug,
    title: string,
    options: {
      detail?: string;
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(options.detail ? `${title}: ${options.detail}` : title, { cause: options.cause });
    this.name = 'ProblemError';
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: PROBLEM_BASE + this.slug,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const problemType = (slug: ProblemSlug): string => PROBLEM_BASE + slug;
