/**
 * The access decision: may this caller, acting for this organisation, look up or write to that
 * organisation, now, for this purpose? Pure: reads only the index and the directory snapshot.
 *
 * A permit names every agreement that permits (overlaps are normal: a regional agreement and a
 * local one) and grants the union of their data elements within what was asked. A denial gives
 * the reasons of the nearest miss: the agreement between the two parties that failed the fewest
 * rules. It names only agreements the caller's own organisation is a party to, and never data.
 */
import { ASSURANCE_RANK } from '../identity/caller.js';
import type { AccessSubject } from '../identity/access-subject.js';
import type { Block } from '../citizen/blocks-rule.js';
import { type Consent, findCoveringConsent } from '../citizen/consent.js';
import { legalBasis } from './legal-basis.js';
import { PURPOSES, type AgreementRef, type DataElement, type PartySelector, type Purpose, type SideName } from './model.js';
import {
  ELEMENT_BIT,
  PURPOSE_BIT,
  ROLE_BIT,
  SIDE_A,
  SIDE_B,
  type DecisionIndex,
  type IndexedAgreement,
} from './decision-index.js';

export type ReasonCode =
  | 'no-agreement'
  | 'agreement-not-active'
  | 'purpose-not-covered'
  | 'action-not-covered'
  | 'role-not-allowed'
  | 'assurance-too-low'
  | 'organisation-closed'
  | 'organisation-unknown'
  /** The agreement rests on consent, and no valid consent for this purpose and these parties is recorded. */
  | 'no-consent'
  /** The citizen (or a custody-holder) has blocked the caller from the child's health data. */
  | 'citizen-block';

/**
 * What the citizen has said about the child, for a lookup: the consents from the consent service
 * and the blocks that stop this caller at this source (src/citizen/blocks-rule.ts). Absent (as in
 * correspondence): no consent is known, so consent-based agreements do not permit.
 */
export interface CitizenFacts {
  readonly consents: readonly Consent[];
  /** Blocks that stop this caller from this source's data; empty when none or the data is not health data. */
  readonly blocks: readonly Block[];
  /** The caller states an emergency override (værdispring) for this lookup; checked by src/citizen/override.ts. */
  readonly override: boolean;
}

export interface DecisionRequest {
  /** Made from the verified caller by accessSubject (src/identity/access-subject.ts), the one policy point. */
  readonly caller: AccessSubject;
  /** One action, or the data elements a lookup asks for (permitted if any one is granted). */
  readonly action: DataElement | readonly DataElement[];
  readonly targetSor: string;
  readonly at: Date;
  readonly citizen?: CitizenFacts;
}

export type Decision =
  | {
      readonly effect: 'permit';
      readonly agreements: readonly AgreementRef[];
      /** Granted elements: the union over the permitting agreements, limited to those asked. */
      readonly dataElements: readonly DataElement[];
      /** Consents (their ids at the consent service) the consent-based permitting agreements rely on. */
      readonly consents?: readonly string[];
      /** Blocks set aside by an emergency override: the lookup is answered and audited as an override. */
      readonly overriddenBlocks?: readonly string[];
    }
  | {
      readonly effect: 'deny';
      readonly reasons: readonly ReasonCode[];
      readonly detail: string;
      /** The agreement the reasons refer to, when one exists between the parties. */
      readonly nearestAgreement?: AgreementRef;
      /** For `citizen-block`: the blocks that stopped the lookup. */
      readonly blocks?: readonly string[];
    };

const ELEMENTS_BY_BIT: readonly [number, DataElement][] = [
  [1, 'case-existence'],
  [2, 'contact-details'],
  [4, 'correspondence'],
];

function elementsOf(mask: number): DataElement[] {
  const out: DataElement[] = [];
  for (const [bit, el] of ELEMENTS_BY_BIT) if (mask & bit) out.push(el);
  return out;
}

function requestedBits(action: DataElement | readonly DataElement[]): number {
  if (typeof action === 'string') return ELEMENT_BIT[action];
  let b = 0;
  for (const el of action) b |= ELEMENT_BIT[el];
  return b;
}

const REASON_ORDER: readonly ReasonCode[] = [
  'agreement-not-active',
  'action-not-covered',
  'purpose-not-covered',
  'role-not-allowed',
  'assurance-too-low',
  'no-consent',
];

interface Evaluation {
  readonly ia: IndexedAgreement;
  /** Bit per REASON_ORDER entry that failed. */
  readonly failed: number;
  readonly directionOk: boolean;
}

function evaluate(
  ia: IndexedAgreement,
  directionOk: boolean,
  caller: AccessSubject,
  wanted: number,
  t: number,
): number {
  let failed = 0;
  if (ia.agreement.status !== 'active' || t < ia.fromMs || t >= ia.toMs) failed |= 1;
  if (!directionOk || (ia.elementBits & wanted) === 0) failed |= 2;
  if ((ia.purposeBits & PURPOSE_BIT[caller.purpose]) === 0) failed |= 4;
  if ((ia.roleBits & ROLE_BIT[caller.role]) === 0) failed |= 8;
  if (ASSURANCE_RANK[caller.assurance] < ia.minimumAssuranceRank) failed |= 16;
  return failed;
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x !== 0; x &= x - 1) c++;
  return c;
}

function reasonsOf(failed: number): ReasonCode[] {
  return REASON_ORDER.filter((_, i) => (failed & (1 << i)) !== 0);
}

function ref(ia: IndexedAgreement): AgreementRef {
  return { id: ia.agreement.id, version: ia.agreement.version };
}

function compareRefs(x: AgreementRef, y: AgreementRef): number {
  return x.id < y.id ? -1 : x.id > y.id ? 1 : x.version - y.version;
}

function nearMissDetail(e: Evaluation, caller: AccessSubject, t: number): string {
  const a = e.ia.agreement;
  const parts: string[] = [];
  if (e.failed & 1) {
    parts.push(
      a.status !== 'active'
        ? `it is ${a.status}`
        : t < e.ia.fromMs
          ? `it is not valid until ${a.period.validFrom}`
          : `it ended at ${a.period.validTo ?? ''}`,
    );
  }
  if (e.failed & 2) parts.push(e.directionOk ? 'it does not cover the requested data' : 'it only lets the other party act');
  if (e.failed & 4) parts.push(`it does not cover the purpose ${caller.purpose}`);
  if (e.failed & 8) parts.push(`it does not allow the role ${caller.role}`);
  if (e.failed & 16) parts.push(`it requires NSIS assurance ${a.minimumAssurance}`);
  if (e.failed & 32) parts.push(`it rests on consent, and no valid consent for the purpose ${caller.purpose} and these organisations is recorded for the child`);
  return `An agreement between the organisations exists (${a.id} version ${a.version}), but ${parts.join('; ')}.`;
}

function deny(reasons: ReasonCode[], detail: string, nearest?: AgreementRef): Decision {
  return nearest ? { effect: 'deny', reasons, detail, nearestAgreement: nearest } : { effect: 'deny', reasons, detail };
}

export function decide(index: DecisionIndex, request: DecisionRequest): Decision {
  const { caller, targetSor, at } = request;
  const dir = index.directory;
  if (!dir.get(caller.organisationSor)) {
    return deny(['organisation-unknown'], "The caller's organisation is not in the directory.");
  }
  if (!dir.get(targetSor)) {
    return deny(['organisation-unknown'], 'The target organisation is not in the directory.');
  }
  if (!dir.isActive(caller.organisationSor, at)) {
    return deny(['organisation-closed'], "The caller's organisation is not active in the directory at this time.");
  }
  if (!dir.isActive(targetSor, at)) {
    return deny(['organisation-closed'], 'The target organisation is not active in the directory at this time.');
  }

  const wanted = requestedBits(request.action);
  const t = at.getTime();
  const cm = index.matchesOf(caller.organisationSor);
  const tm = index.matchesOf(targetSor);

  const permitting: IndexedAgreement[] = [];
  const consentsUsed = new Set<string>();
  const consentQuestion = { recipientSor: caller.organisationSor, custodianSor: targetSor, purpose: caller.purpose, at, isWithin: (sor: string, root: string) => dir.isWithin(sor, root) };
  // An agreement resting on consent permits only with a valid consent for this purpose and these parties.
  const consentFailure = (ia: IndexedAgreement): number => {
    if (legalBasis(ia.agreement.legalBasis.code)?.consentBased !== true) return 0;
    const consent = findCoveringConsent(request.citizen?.consents ?? [], consentQuestion);
    if (!consent) return 32;
    consentsUsed.add(consent.id);
    return 0;
  };
  let best: Evaluation | undefined;

  // Both slot arrays are ascending: a merge finds the agreements both parties fall under.
  let i = 0;
  let j = 0;
  while (i < cm.slots.length && j < tm.slots.length) {
    const cs = cm.slots[i] as number;
    const ts = tm.slots[j] as number;
    if (cs < ts) {
      i++;
      continue;
    }
    if (ts < cs) {
      j++;
      continue;
    }
    const callerSides = cm.sides[i] as number;
    const targetSides = tm.sides[j] as number;
    i++;
    j++;
    const ia = index.agreementAt(cs);
    if (!ia) continue;
    const forward = (callerSides & SIDE_A) !== 0 && (targetSides & SIDE_B) !== 0;
    const backward = (callerSides & SIDE_B) !== 0 && (targetSides & SIDE_A) !== 0;
    if (!forward && !backward) continue; // both on the same side: the agreement is not between them
    const directionOk = forward || ia.mutual;
    const failed = evaluate(ia, directionOk, caller, wanted, t) | consentFailure(ia);
    if (failed === 0) {
      permitting.push(ia);
      continue;
    }
    if (permitting.length > 0) continue;
    if (best === undefined || isNearer(failed, ia, best)) best = { ia, failed, directionOk };
  }

  if (permitting.length > 0) return permitUnlessBlocked(permitting, wanted, request.citizen, [...consentsUsed].sort());
  if (best === undefined) {
    return deny(['no-agreement'], 'No sharing agreement covers the two organisations.');
  }
  return deny(reasonsOf(best.failed), nearMissDetail(best, caller, t), ref(best.ia));
}

function permitOf(agreements: readonly IndexedAgreement[], wanted: number, consents: readonly string[], overriddenBlocks?: readonly string[]): Decision {
  let granted = 0;
  for (const ia of agreements) granted |= ia.elementBits & wanted;
  const refs = agreements.map(ref).sort(compareRefs);
  const relied = agreements.some((ia) => legalBasis(ia.agreement.legalBasis.code)?.consentBased === true) ? consents : [];
  return {
    effect: 'permit',
    agreements: refs,
    dataElements: elementsOf(granted),
    ...(relied.length > 0 ? { consents: relied } : {}),
    ...(overriddenBlocks ? { overriddenBlocks } : {}),
  };
}

/**
 * A citizen's block stops the permitting agreements, except those whose legal basis lets the data
 * be shared without consent (those still permit, alone); an emergency override sets it aside.
 */
function permitUnlessBlocked(permitting: readonly IndexedAgreement[], wanted: number, citizen: CitizenFacts | undefined, consents: readonly string[]): Decision {
  const blocks = citizen?.blocks ?? [];
  if (blocks.length === 0) return permitOf(permitting, wanted, consents);
  const exempt = permitting.filter((ia) => legalBasis(ia.agreement.legalBasis.code)?.withoutConsent === true);
  if (exempt.length > 0) return permitOf(exempt, wanted, consents);
  const ids = blocks.map((b) => b.id);
  if (citizen?.override === true) return permitOf(permitting, wanted, consents, ids);
  return {
    effect: 'deny',
    reasons: ['citizen-block'],
    detail:
      "The child's health data here is blocked for you: the child or a custody-holder has blocked your organisation or you. " +
      'In an emergency, a clinician with NSIS assurance high may override the block for one lookup by stating a reason; the override is audited and reviewed.',
    blocks: ids,
  };
}

/** Fewer failed rules is nearer; on a tie, an agreement in force beats one that is not, then id order. */
function isNearer(failed: number, ia: IndexedAgreement, best: Evaluation): boolean {
  const d = popcount(failed) - popcount(best.failed);
  if (d !== 0) return d < 0;
  const inForce = (failed & 1) === 0;
  const bestInForce = (best.failed & 1) === 0;
  if (inForce !== bestInForce) return inForce;
  return compareRefs(ref(ia), ref(best.ia)) < 0;
}

export interface ExplainCaller {
  readonly organisationSor: string;
  readonly role: AccessSubject['role'];
  readonly assurance: AccessSubject['assurance'];
  /** When given, agreements not covering it are reported with `purpose-not-covered`. */
  readonly purpose?: Purpose;
}

export interface ReachEntry {
  readonly agreement: AgreementRef & { readonly title: string };
  /** The side the caller's organisation falls under. */
  readonly side: SideName;
  /** The organisation groups on the other side. */
  readonly reach: readonly PartySelector[];
  readonly dataElements: readonly DataElement[];
  readonly purposes: readonly Purpose[];
  /** Empty when the caller can use the agreement now; otherwise why not. */
  readonly reasons: readonly ReasonCode[];
}

export interface Explanation {
  readonly organisationSor: string;
  /** Set when the caller's organisation itself blocks every lookup. */
  readonly blocked: 'organisation-unknown' | 'organisation-closed' | null;
  readonly entries: readonly ReachEntry[];
}

/** Everything the caller's organisation could reach, per agreement and side, with near misses. */
export function explain(index: DecisionIndex, caller: ExplainCaller, at: Date): Explanation {
  const dir = index.directory;
  const sor = caller.organisationSor;
  if (!dir.get(sor)) return { organisationSor: sor, blocked: 'organisation-unknown', entries: [] };
  const blocked = dir.isActive(sor, at) ? null : 'organisation-closed';
  const t = at.getTime();
  const m = index.matchesOf(sor);
  const entries: ReachEntry[] = [];
  for (let k = 0; k < m.slots.length; k++) {
    const ia = index.agreementAt(m.slots[k] as number);
    if (!ia) continue;
    const sides = m.sides[k] as number;
    const a = ia.agreement;
    for (const side of ['a', 'b'] as const) {
      if ((sides & (side === 'a' ? SIDE_A : SIDE_B)) === 0) continue;
      const canAct = side === 'a' || ia.mutual;
      const reasons: ReasonCode[] = [];
      if (a.status !== 'active' || t < ia.fromMs || t >= ia.toMs) reasons.push('agreement-not-active');
      if (!canAct) reasons.push('action-not-covered');
      if (caller.purpose !== undefined && (ia.purposeBits & PURPOSE_BIT[caller.purpose]) === 0) {
        reasons.push('purpose-not-covered');
      }
      if ((ia.roleBits & ROLE_BIT[caller.role]) === 0) reasons.push('role-not-allowed');
      if (ASSURANCE_RANK[caller.assurance] < ia.minimumAssuranceRank) reasons.push('assurance-too-low');
      if (blocked) reasons.push(blocked);
      entries.push({
        agreement: { id: a.id, version: a.version, title: a.title },
        side,
        reach: side === 'a' ? a.sideB.parties : a.sideA.parties,
        dataElements: a.dataElements,
        purposes: PURPOSES.filter((p) => a.purposes.includes(p)),
        reasons,
      });
    }
  }
  entries.sort((x, y) => compareRefs(x.agreement, y.agreement) || (x.side < y.side ? -1 : 1));
  return { organisationSor: sor, blocked, entries };
}
