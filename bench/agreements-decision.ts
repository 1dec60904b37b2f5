/**
 * Access-decision benchmark: a synthetic national directory (50,000 SOR entities) and 10,000
 * sharing agreements (unit, subtree and unit-type-in-area selectors), then decisions per second
 * on one core for a mix of permits and denials.
 *
 *   npx tsx bench/agreements-decision.ts [--requests 200000] [--runs 5]
 *
 * Add `--expose-gc` via NODE_OPTIONS for steadier memory figures.
 */
import { performance } from 'node:perf_hooks';
import { createMemoryDirectoryView } from '../src/directory/memory-view.js';
import type { Organisation } from '../src/directory/model.js';
import { buildDecisionIndex } from '../src/agreements/decision-index.js';
import { decide, type DecisionRequest } from '../src/agreements/decision.js';
import { organisation } from '../test/helpers/organisations.js';
import {
  PURPOSES,
  type Agreement,
  type AgreementStatus,
  type DataElement,
  type PartySelector,
  type Purpose,
} from '../src/agreements/model.js';
import type { AssuranceLevel, DataRole } from '../src/identity/caller.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const ENTITIES = arg('entities', 50_000);
const AGREEMENTS = arg('agreements', 10_000);
const REQUESTS = arg('requests', 200_000);
const RUNS = arg('runs', 5);
const AT = new Date('2026-11-23T12:00:00Z');

// Seeded PRNG (mulberry32): the same directory and agreements on every run.
let seed = 0x5eed;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);
function pick<T>(list: readonly T[]): T {
  const v = list[int(list.length)];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
}
function some<T>(list: readonly T[], min = 1): T[] {
  const out = list.filter(() => rnd() < 0.5);
  while (out.length < min) {
    const v = pick(list);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

// --- Directory ---------------------------------------------------------------------------
const REGIONS = ['1081', '1082', '1083', '1084', '1085'];
const MUNICIPALITIES = Array.from({ length: 98 }, (_, i) => String(101 + i * 8).padStart(3, '0'));
const REGION_UNIT_TYPES = ['child-psychiatry', 'psychiatry', 'paediatrics', 'hospital-department'];
const MUNICIPAL_UNIT_TYPES = ['ppr', 'children-family', 'health-visitor', 'school-health'];
const PRIVATE_UNIT_TYPES = ['general-practice', 'specialist', 'dentist', 'physiotherapy'];

const orgs: Organisation[] = [];
let nextSor = 100_000_000_000_000n;
function add(parentSor: string | null, extra: Partial<Organisation>): string {
  const sor = String(nextSor++);
  orgs.push(
    organisation(sor, parentSor, {
      level: 'organisational-unit',
      name: `Entity ${sor}`,
      validFrom: '2010-01-01',
      // About 1 % of entities are closed: lookups to them are denied.
      validTo: rnd() < 0.01 ? '2024-01-01' : null,
      ...extra,
    }),
  );
  return sor;
}

const regionRoots: string[] = [];
const hospitals: string[] = [];
const departments: string[] = [];
const municipalityRoots: string[] = [];
for (const regionCode of REGIONS) {
  const root = add(null, { level: 'institution-owner', ownerType: 'region', regionCode });
  regionRoots.push(root);
  for (let h = 0; h < 10; h++) {
    const hospital = add(root, { level: 'health-institution', unitType: 'hospital' });
    hospitals.push(hospital);
    for (let d = 0; d < 40; d++) {
      const dept = add(hospital, { unitType: pick(REGION_UNIT_TYPES) });
      departments.push(dept);
      for (let s = 0; s < 5; s++) add(dept, { unitType: pick(REGION_UNIT_TYPES) });
    }
  }
}
for (const municipalityCode of MUNICIPALITIES) {
  const root = add(null, { level: 'institution-owner', ownerType: 'municipality', municipalityCode });
  municipalityRoots.push(root);
  for (let a = 0; a < 10; a++) {
    const admin = add(root, { level: 'health-institution', unitType: pick(MUNICIPAL_UNIT_TYPES) });
    for (let u = 0; u < 14; u++) add(admin, { unitType: pick(MUNICIPAL_UNIT_TYPES) });
  }
}
// Private practices fill the rest: owner -> practice (-> a unit now and then).
while (orgs.length < ENTITIES) {
  const regionCode = pick(REGIONS);
  const municipalityCode = pick(MUNICIPALITIES);
  const unitType = rnd() < 0.4 ? 'general-practice' : pick(PRIVATE_UNIT_TYPES);
  const owner = add(null, { level: 'institution-owner', ownerType: 'private' });
  const practice = add(owner, { level: 'health-institution', unitType, regionCode, municipalityCode });
  if (rnd() < 0.3 && orgs.length < ENTITIES) add(practice, { unitType });
}
const directory = createMemoryDirectoryView(orgs);

const children = new Map<string, string[]>();
const byTypeArea = new Map<string, string[]>();
for (const o of orgs) {
  if (o.parentSor !== null) children.set(o.parentSor, [...(children.get(o.parentSor) ?? []), o.sor]);
  if (o.unitType === null) continue;
  for (const key of [`${o.unitType}|r:${directory.regionOf(o.sor)}`, `${o.unitType}|m:${directory.municipalityOf(o.sor)}`]) {
    const list = byTypeArea.get(key);
    if (list) list.push(o.sor);
    else byTypeArea.set(key, [o.sor]);
  }
}
const typeAreaKeys = [...byTypeArea.keys()];

// --- Agreements --------------------------------------------------------------------------
const leafish = orgs.filter((o) => o.level !== 'institution-owner').map((o) => o.sor);

function selector(): PartySelector {
  const r = rnd();
  if (r < 0.4) return { kind: 'unit', sor: pick(leafish) };
  if (r < 0.7) {
    const q = rnd();
    const root = q < 0.05 ? pick(regionRoots) : q < 0.4 ? pick(municipalityRoots) : q < 0.55 ? pick(hospitals) : pick(departments);
    return { kind: 'subtree', sor: root };
  }
  const key = pick(typeAreaKeys);
  const [unitType = '', area = ''] = key.split('|');
  return area.startsWith('r:')
    ? { kind: 'unit-type', unitType, area: { kind: 'region', regionCode: area.slice(2) } }
    : { kind: 'unit-type', unitType, area: { kind: 'municipality', municipalityCode: area.slice(2) } };
}

const ELEMENTS: DataElement[] = ['case-existence', 'contact-details', 'correspondence'];
const agreements: Agreement[] = [];
for (let i = 0; i < AGREEMENTS; i++) {
  const s = rnd();
  const status: AgreementStatus = s < 0.9 ? 'active' : s < 0.95 ? 'suspended' : 'expired';
  const sideA = Array.from({ length: 1 + int(2) }, selector);
  const sideB = Array.from({ length: 1 + int(2) }, selector);
  agreements.push({
    id: `ag-${i}`,
    version: 1,
    status,
    approvals: [],
    amends: null,
    title: `Agreement ${i}`,
    sideA: { parties: sideA, approvingOrganisationSor: pick(municipalityRoots) },
    sideB: { parties: sideB, approvingOrganisationSor: pick(regionRoots) },
    dataElements: some(ELEMENTS),
    direction: rnd() < 0.6 ? 'mutual' : 'a-to-b',
    purposes: some(PURPOSES, 2),
    roles: rnd() < 0.7 ? ['clinician', 'caseworker'] : [pick(['clinician', 'caseworker'] as const)],
    minimumAssurance: rnd() < 0.8 ? 'substantial' : 'low',
    legalBasis: { code: 'barnets-lov-early-preventive-exchange', reference: 'bench' },
    period: rnd() < 0.03 ? { validFrom: '2020-01-01', validTo: '2025-01-01' } : { validFrom: '2024-01-01', validTo: null },
  });
}

// --- Requests: 80 % drawn from an agreement's parties (mostly permits), 20 % random pairs ---
function member(sel: PartySelector): string {
  switch (sel.kind) {
    case 'unit':
      return sel.sor;
    case 'subtree': {
      let sor = sel.sor;
      for (let depth = 0; depth < 3 && rnd() < 0.8; depth++) {
        const kids = children.get(sor);
        if (!kids || kids.length === 0) break;
        sor = pick(kids);
      }
      return sor;
    }
    case 'unit-type': {
      const key = `${sel.unitType}|${sel.area.kind === 'region' ? `r:${sel.area.regionCode}` : `m:${sel.area.municipalityCode}`}`;
      return pick(byTypeArea.get(key) ?? [sel.unitType]);
    }
  }
}

const requests: DecisionRequest[] = [];
for (let i = 0; i < REQUESTS; i++) {
  let caller: string;
  let target: string;
  if (rnd() < 0.8) {
    const a = pick(agreements);
    const forward = a.direction === 'a-to-b' || rnd() < 0.5;
    caller = member(pick(forward ? a.sideA.parties : a.sideB.parties));
    target = member(pick(forward ? a.sideB.parties : a.sideA.parties));
  } else {
    caller = pick(leafish);
    target = pick(leafish);
  }
  const action: DataElement | DataElement[] = rnd() < 0.7 ? pick(ELEMENTS) : ['case-existence', 'contact-details'];
  requests.push({
    caller: {
      organisationSor: caller,
      role: (rnd() < 0.5 ? 'clinician' : 'caseworker') as DataRole,
      assurance: (rnd() < 0.9 ? 'substantial' : 'low') as AssuranceLevel,
      purpose: pick(PURPOSES) as Purpose,
    },
    action,
    targetSor: target,
    at: AT,
  });
}

// --- Measurements ------------------------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

const heapBefore = heapMb();
const buildTimes: number[] = [];
let index = buildDecisionIndex(agreements, directory);
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  index = buildDecisionIndex(agreements, directory);
  buildTimes.push(performance.now() - t0);
}
const heapIndex = heapMb();

// Cold pass: the per-organisation memo fills as organisations are first seen.
let t0 = performance.now();
const counts = new Map<string, number>();
for (const req of requests) {
  const d = decide(index, req);
  const key = d.effect === 'permit' ? 'permit' : `deny:${d.reasons[0] ?? ''}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
const coldRate = requests.length / ((performance.now() - t0) / 1000);
const heapWarm = heapMb();

const warmRates: number[] = [];
let sink = 0;
for (let r = 0; r < RUNS; r++) {
  t0 = performance.now();
  for (const req of requests) if (decide(index, req).effect === 'permit') sink++;
  warmRates.push(requests.length / ((performance.now() - t0) / 1000));
}

const lat = new Float64Array(requests.length);
for (let i = 0; i < requests.length; i++) {
  const s = process.hrtime.bigint();
  decide(index, requests[i] as DecisionRequest);
  lat[i] = Number(process.hrtime.bigint() - s) / 1000;
}
lat.sort();

// Incremental refresh: replacing one agreement, then the first decisions refill the memo.
const replaceTimes: number[] = [];
for (let r = 0; r < 200; r++) {
  const a = pick(agreements);
  const s = performance.now();
  index.replace(a.id, [{ ...a, version: a.version + 1 }]);
  replaceTimes.push(performance.now() - s);
}

const permits = counts.get('permit') ?? 0;
const rows: [string, string][] = [
  ['directory entities', String(directory.size)],
  ['agreements indexed', String(index.size)],
  ['requests per run', String(requests.length)],
  ['mix', [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((100 * n) / requests.length).toFixed(1)}%`).join(', ')],
  ['index build (median of runs)', `${median(buildTimes).toFixed(1)} ms`],
  ['replace one agreement (median)', `${(median(replaceTimes) * 1000).toFixed(0)} µs`],
  ['decisions/s, cold memo (1st pass)', Math.round(coldRate).toLocaleString('en')],
  [`decisions/s, warm (median of ${RUNS})`, Math.round(median(warmRates)).toLocaleString('en')],
  ['latency p50 / p99 / max', `${quantile(lat, 0.5).toFixed(2)} / ${quantile(lat, 0.99).toFixed(2)} / ${(lat[lat.length - 1] ?? 0).toFixed(1)} µs`],
  ['heap: directory+agreements', `${heapBefore.toFixed(0)} MB`],
  ['heap: + index', `${(heapIndex - heapBefore).toFixed(1)} MB`],
  ['heap: + memo after cold pass', `${(heapWarm - heapIndex).toFixed(1)} MB`],
  ['gc exposed', gc ? 'yes' : 'no (heap figures approximate)'],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\nAccess decision benchmark (node ${process.version}, one thread)\n`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
console.log(`\n(permits counted in warm runs: ${sink / RUNS === permits ? 'consistent' : 'MISMATCH'})`);
