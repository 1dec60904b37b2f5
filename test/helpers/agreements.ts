/**
 * Shared set-up for the agreement tests: the North Jutland directory, one national test STS that
 * may speak for every organisation in it, and small request helpers over real HTTP.
 */
import { expect } from 'vitest';
import type { DatabaseHandle } from '../../db/connection.js';
import { PROBLEM_BASE } from '../../src/http/problem.js';
import type { Organisation } from '../../src/directory/model.js';
import { insertOrganisations, northJutlandOrganisations } from './directory.js';
import { type TestIssuer, createTestIssuer } from './issuers.js';
import type { TestBroker } from './broker.js';

/** SOR codes from fixtures/sor/north-jutland.md. */
export const NJ = {
  region: '9500011000016001',
  childPsychiatry: '9500031000016003',
  teamAalborg: '9500041000016004',
  teamHjoerring: '9500051000016005',
  teamThisted: '9500061000016006',
  teamFrederikshavnClosed: '9500101000016000',
  gpOwner: '9510011000016001',
  gpPractice: '9510021000016002',
  gpClinic: '9510031000016003',
  aalborg: '9520011000016001',
  aalborgPpr: '9520041000016004',
  aalborgFamily: '9520051000016005',
  hjoerring: '9520311000016001',
  hjoerringPpr: '9520341000016004',
  hjoerringFamily: '9520351000016005',
  laesoePpr: '9520541000016004',
} as const;

export const UNKNOWN_SOR = '9599991000016009';

export async function seedNorthJutland(database: DatabaseHandle): Promise<Organisation[]> {
  const orgs = await northJutlandOrganisations();
  await insertOrganisations(database.db, orgs);
  return orgs;
}

export async function nationalIssuer(orgs: readonly Organisation[]): Promise<TestIssuer> {
  return createTestIssuer({ issuer: 'https://sts.test.example', organisations: orgs.filter((o) => o.parentSor === null).map((o) => o.sor) });
}

export interface TermsOptions {
  readonly title?: string;
  readonly sideA?: unknown;
  readonly sideB?: unknown;
  readonly purposes?: string[];
  readonly dataElements?: string[];
  readonly validFrom?: string;
  readonly validTo?: string | null;
  readonly legalBasis?: string;
  readonly direction?: 'a-to-b' | 'mutual';
}

/** Child psychiatry (subtree, approved by the region) and Aalborg PPR (approved by Aalborg). */
export function terms(o: TermsOptions = {}) {
  return {
    title: o.title ?? 'BUP og PPR Aalborg',
    sideA: o.sideA ?? { parties: [{ kind: 'subtree', sor: NJ.childPsychiatry }], approvingOrganisationSor: NJ.region },
    sideB: o.sideB ?? { parties: [{ kind: 'unit', sor: NJ.aalborgPpr }], approvingOrganisationSor: NJ.aalborg },
    dataElements: o.dataElements ?? ['case-existence', 'contact-details'],
    direction: o.direction ?? 'mutual',
    purposes: o.purposes ?? ['child-welfare-concern', 'coordinated-care'],
    roles: ['clinician', 'caseworker'],
    minimumAssurance: 'substantial',
    legalBasis: { code: o.legalBasis ?? 'barnets-lov-early-preventive-exchange', reference: 'j.nr. 2026-001' },
    period: { validFrom: o.validFrom ?? '2025-01-01', validTo: o.validTo === undefined ? null : o.validTo },
  };
}

export interface AgreementBody {
  id: string;
  status: string;
  etag: string;
  inForceVersion: number | null;
  pendingVersion: number | null;
  versions: { version: number; status: string; approvals: { side: string; actingForSor: string }[]; purposes: string[] }[];
}

export function client(broker: TestBroker, issuer: TestIssuer) {
  async function call(
    method: string,
    path: string,
    as: { org: string; role?: 'agreement-admin' | 'auditor' | 'clinician' },
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const token = await issuer.token({ organisationSor: as.org, role: as.role ?? 'agreement-admin', subject: `admin-${as.org}` });
    return broker.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function ok<T = AgreementBody>(response: Response, status = 200): Promise<T> {
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    call,
    ok,
    create: async (org: string, t: unknown) => ok(await call('POST', '/v1/agreements', { org }, t), 201),
    submit: async (org: string, id: string) => ok(await call('POST', `/v1/agreements/${id}/submit`, { org })),
    approve: async (org: string, id: string, version: number) => ok(await call('POST', `/v1/agreements/${id}/approve`, { org }, { version })),
    get: async (id: string) => ok(await call('GET', `/v1/agreements/${id}`, { org: NJ.region, role: 'auditor' })),
    /** Create, submit and approve by the region (side A) and Aalborg (side B). */
    async activate(t: unknown = terms()): Promise<AgreementBody> {
      const created = await this.create(NJ.region, t);
      await this.submit(NJ.region, created.id);
      await this.approve(NJ.region, created.id, 1);
      return this.approve(NJ.aalborg, created.id, 1);
    },
  };
}

export async function expectProblem(response: Response, status: number, slug: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.type).toBe(PROBLEM_BASE + slug);
  return body;
}

/** Retries an assertion until it passes (the decision index follows the database asynchronously). */
export async function eventually(check: () => void, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
