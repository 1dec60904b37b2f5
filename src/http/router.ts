import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { ProblemError } from './problem.js';
import type { AppEnv } from './types.js';

/**
 * A validation failure as problem+json. Messages name the field and the rule, never the value,
 * so a mistyped CPR number is not echoed back (nor logged).
 */
export function validationProblem(error: ZodError, target: string): ProblemError {
  return new ProblemError(400, 'validation-failed', 'Request validation failed', {
    detail: `the request ${target} is not valid`,
    extensions: {
      errors: error.issues.map((issue) => ({
        in: target,
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    },
  });
}

/** Every capability router is made here, so all share one validation-error mapping. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationProblem(result.error, result.target);
    },
  });
}

/** Common OpenAPI response for errors. */
export const problemResponses = {
  400: { description: 'Invalid request (problem+json)' },
  401: { description: 'Missing or invalid bearer token (problem+json)' },
  403: { description: 'Not allowed (problem+json)' },
} as const;
