/**
 * The lookup sources: which systems the broker may ask, what they serve, and how to reach them.
 * Configuration is JSON (BROKER_SOURCES_FILE or, in demo mode, the simulators); secrets for a
 * source's authentication are named environment variables, never values in the file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createCaseIndexAdapter } from '../../adapters/case-index/index.js';
import { createFhirSourceAdapter, DEFAULT_MAX_CONNECTIONS } from '../../adapters/fhir/index.js';
import { createPersonRegister, type PersonRegister } from '../../adapters/person-register/index.js';
import type { SourceAdapter, SourceAuth, SourceKind } from '../../adapters/source.js';
import { sorCodeSchema } from '../http/schemas.js';

export const SOURCE_KINDS = ['gp', 'child-psychiatry', 'ppr', 'family'] as const satisfies readonly SourceKind[];

/** Open connections to the source at most: what its operator accepts. Requests beyond wait. */
const maxConnections = z.number().int().min(1).max(1024).default(DEFAULT_MAX_CONNECTIONS);
const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), tokenEnv: z.string().min(1) }),
  z.object({ type: z.literal('basic'), usernameEnv: z.string().min(1), passwordEnv: z.string().min(1) }),
]);

export const sourceConfigSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/),
  kind: z.enum(SOURCE_KINDS),
  protocol: z.enum(['fhir', 'case-index']),
  endpoint: z.url(),
  /** The organisation that holds the data: the agreement is checked against it (for GP systems, the child's practice). */
  ownerSor: sorCodeSchema,
  serves: z
    .object({
      /** GP systems: the practices (SOR codes, each with its subtree) whose patients the endpoint answers for. */
      practices: z.array(sorCodeSchema).default([]),
      /** Kommunekoder whose children the source holds cases for (PPR, family, psychiatry). */
      municipalities: z.array(z.string().regex(/^\d{3}$/)).default([]),
      /** Region codes (e.g. 1081) the source covers (psychiatry). */
      regions: z.array(z.string().regex(/^\d{4}$/)).default([]),
    })
    .default({ practices: [], municipalities: [], regions: [] }),
  auth: authSchema.default({ type: 'none' }),
  timeoutMs: z.number().int().min(50).max(30_000).default(2000),
  maxConnections,
  /** Case index: KLE numbers of this source's cases. */
  kle: z.array(z.string()).default([]),
  municipalityCvr: z.string().regex(/^\d{8}$/).optional(),
  closedCaseMonths: z.number().int().min(0).max(120).default(12),
});
export type SourceConfig = z.infer<typeof sourceConfigSchema>;

export const personRegisterConfigSchema = z.object({
  endpoint: z.url(),
  auth: authSchema.default({ type: 'none' }),
  timeoutMs: z.number().int().min(50).max(10_000).default(1000),
  maxConnections,
});
export type PersonRegisterConfig = z.infer<typeof personRegisterConfigSchema>;

export const sourcesFileSchema = z.object({
  personRegister: personRegisterConfigSchema.nullable().default(null),
  sources: z.array(sourceConfigSchema).default([]),
});
export type SourcesConfig = z.infer<typeof sourcesFileSchema>;

export function readSourcesFile(file: string): SourcesConfig {
  const parsed = sourcesFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const ids = new Set<string>();
  for (const s of parsed.data.sources) {
    if (ids.has(s.id)) throw new Error(`${file}: source id ${s.id} is listed twice`);
    ids.add(s.id);
  }
  return parsed.data;
}

export function resolveAuth(auth: z.infer<typeof authSchema>, env: NodeJS.ProcessEnv): SourceAuth {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} (source credentials) is not set`);
    return value;
  };
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'bearer':
      return { type: 'bearer', token: need(auth.tokenEnv) };
    case 'basic':
      return { type: 'basic', username: need(auth.usernameEnv), password: need(auth.passwordEnv) };
  }
}

export interface Source {
  readonly config: SourceConfig;
  readonly adapter: SourceAdapter;
}

export function createSources(config: SourcesConfig, env: NodeJS.ProcessEnv = process.env): { personRegister: (PersonRegister & { timeoutMs: number }) | null; sources: Source[] } {
  const personRegister = config.personRegister
    ? { ...createPersonRegister({ baseUrl: config.personRegister.endpoint, auth: resolveAuth(config.personRegister.auth, env), maxConnections: config.personRegister.maxConnections }), timeoutMs: config.personRegister.timeoutMs }
    : null;
  const sources = config.sources.map((c): Source => {
    const auth = resolveAuth(c.auth, env);
    const adapter =
      c.protocol === 'fhir'
        ? createFhirSourceAdapter({ baseUrl: c.endpoint, auth, maxConnections: c.maxConnections })
        : createCaseIndexAdapter({
            url: c.endpoint,
            auth,
            maxConnections: c.maxConnections,
            kle: c.kle,
            closedCaseMonths: c.closedCaseMonths,
            ...(c.municipalityCvr ? { municipalityCvr: c.municipalityCvr } : {}),
          });
    return { config: c, adapter };
  });
  return { personRegister, sources };
}
