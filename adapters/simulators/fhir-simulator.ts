import type { ServerResponse } from 'node:http';
import { organisationByKey } from './organisations.js';
import { DEFAULT_HUGE_BYTES, readBody, send, sendHuge, type SimulatorBehaviour } from './behaviour.js';
import { anotherChild, findChild, type DemoChild } from './demo-data.js';
import {
  dedupe,
  entry,
  episodeEntries,
  organisationResource,
  patientResource,
  relatedPersonResource,
  searchBundle,
  type BundleEntry,
} from './fhir-resources.js';
import { startHttpSimulator, type RunningSimulator } from './http-server.js';

/**
 * A FHIR R4 server on loopback: `EpisodeOfCare` search (a GP-system vendor endpoint serving several
 * practices, or a region's child psychiatry EHR) and `Patient` search (the person register).
 * Searches by POST `_search` (form body) or GET; pages are served from an opaque token, so page
 * links never hold a CPR.
 */
export type FhirSimulatorKind = 'gp' | 'child-psychiatry' | 'person-register';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export async function startFhirSimulator(
  kind: FhirSimulatorKind,
  children: readonly DemoChild[],
  behaviour: SimulatorBehaviour = {},
): Promise<RunningSimulator> {
  const pages = new Map<string, BundleEntry[][]>();
  let base = '';
  const sim = await startHttpSimulator(
    async (req, res, url, b) => {
      const path = url.pathname.replace(/^\/fhir/, '');
      if (req.method === 'GET' && path === '/metadata') return sendJson(res, 200, capabilityStatement());
      if (req.method === 'GET' && path === '/EpisodeOfCare/_page') return servePage(res, url, pages);
      const type = /^\/(EpisodeOfCare|Patient|RelatedPerson)(\/_search)?$/.exec(path);
      if (!type || (req.method === 'POST') !== !!type[2] || (req.method !== 'GET' && req.method !== 'POST')) {
        return sendJson(res, 404, outcome('error', 'not-found', 'Unknown resource or operation'));
      }
      const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
      const resourceType = type[1] === 'Patient' ? 'Patient' : type[1] === 'RelatedPerson' ? 'RelatedPerson' : 'EpisodeOfCare';
      if (resourceType === 'RelatedPerson' && kind !== 'person-register') return sendJson(res, 404, outcome('error', 'not-found', 'Unknown resource or operation'));
      const idParam = params.get(resourceType === 'Patient' ? 'identifier' : 'patient.identifier');
      const cpr = idParam?.split('|').at(-1);
      if (!cpr) return sendJson(res, 400, outcome('error', 'required', 'Missing identifier parameter'));
      if (b.failure === 'malformed') {
        return send(res, 200, FHIR_JSON, '{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":');
      }
      if (b.failure === 'huge') return sendHugeBundle(res, base, children, b.hugeBytes ?? DEFAULT_HUGE_BYTES);
      const includes = new Set(params.getAll('_include'));
      if (resourceType === 'Patient') {
        const child = b.failure === 'wrong-child' ? anotherChild(children, cpr, () => true) : findChild(children, cpr);
        const entries = child ? patientEntries(base, child, includes) : [];
        return sendJson(res, 200, searchBundle(entries, child ? 1 : 0, [{ relation: 'self', url: `${base}/Patient` }]));
      }
      if (resourceType === 'RelatedPerson') {
        // The person register's custody data: every adult related to the child, custody coded GUARD.
        const child = b.failure === 'wrong-child' ? anotherChild(children, cpr, (c) => c.relatedPersons.length > 0) : findChild(children, cpr);
        const entries = (child?.relatedPersons ?? []).map((p, i) => entry(base, relatedPersonResource(child as DemoChild, p, i), 'match'));
        return sendJson(res, 200, searchBundle(entries, entries.length, [{ relation: 'self', url: `${base}/RelatedPerson` }]));
      }
      const hasEpisodes = (c: DemoChild) => c.episodes.some((e) => e.source === kind);
      const child = b.failure === 'wrong-child' ? anotherChild(children, cpr, hasEpisodes) : findChild(children, cpr);
      const groups = (child?.episodes ?? []).filter((e) => e.source === kind).map((e) => episodeEntries(base, child as DemoChild, e, includes));
      return sendFirstPage(res, base, groups, b.pageSize ?? 50, pages);
    },
    behaviour,
    '/fhir',
  );
  base = sim.url;
  const close = sim.close;
  return { ...sim, close: async () => { pages.clear(); await close(); } };
}

function patientEntries(base: string, child: DemoChild, includes: ReadonlySet<string>): BundleEntry[] {
  const entries = [entry(base, patientResource(child), 'match')];
  if (child.gpPractice && includes.has('Patient:general-practitioner')) {
    entries.push(entry(base, organisationResource(organisationByKey(child.gpPractice)), 'include'));
  }
  return entries;
}

function sendFirstPage(res: ServerResponse, base: string, groups: BundleEntry[][], pageSize: number, pages: Map<string, BundleEntry[][]>): void {
  const chunks: BundleEntry[][] = [];
  for (let i = 0; i < groups.length; i += pageSize) chunks.push(dedupe(groups.slice(i, i + pageSize).flat()));
  const total = groups.length;
  const links = [{ relation: 'self', url: `${base}/EpisodeOfCare` }];
  if (chunks.length > 1) {
    const token = crypto.randomUUID();
    if (pages.size > 1000) pages.delete(pages.keys().next().value ?? '');
    pages.set(token, chunks);
    links.push({ relation: 'next', url: `${base}/EpisodeOfCare/_page?token=${token}&page=2` });
  }
  sendJson(res, 200, { ...searchBundle(chunks[0] ?? [], total, links) });
}

function servePage(res: ServerResponse, url: URL, pages: Map<string, BundleEntry[][]>): void {
  const token = url.searchParams.get('token') ?? '';
  const page = Number(url.searchParams.get('page') ?? '0');
  const chunks = pages.get(token);
  const chunk = chunks?.[page - 1];
  if (!chunks || !chunk) return sendJson(res, 410, outcome('error', 'not-found', 'Page expired or unknown'));
  const base = url.origin + '/fhir';
  const links = [{ relation: 'self', url: `${base}/EpisodeOfCare/_page?token=${token}&page=${page}` }];
  if (page < chunks.length) links.push({ relation: 'next', url: `${base}/EpisodeOfCare/_page?token=${token}&page=${page + 1}` });
  sendJson(res, 200, searchBundle(chunk, chunks.reduce((n, c) => n + c.filter((e) => e.search.mode === 'match').length, 0), links));
}

async function sendHugeBundle(res: ServerResponse, base: string, children: readonly DemoChild[], bytes: number): Promise<void> {
  const child = children.find((c) => c.episodes.length > 0);
  const first = child?.episodes[0];
  const filler = child && first ? episodeEntries(base, child, first, new Set())[0] : undefined;
  const unit = JSON.stringify(filler ?? { resource: { resourceType: 'Basic' } });
  await sendHuge(res, FHIR_JSON, '{"resourceType":"Bundle","type":"searchset","entry":[', `${unit},`, `${unit}]}`, bytes);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, FHIR_JSON, JSON.stringify(body));
}

export function outcome(severity: 'error' | 'fatal' | 'warning' | 'information', code: string, text: string): Record<string, unknown> {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics: text }] };
}

function capabilityStatement(): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{ mode: 'server', resource: [{ type: 'EpisodeOfCare' }, { type: 'Patient' }, { type: 'RelatedPerson' }] }],
  };
}

