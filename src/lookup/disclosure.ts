/**
 * What a lookup's caller is told, source by source: the audit record keeps the whole truth, the
 * caller gets only what its agreements open and what it already knew. Pure.
 *
 * - A permitted source is shown in full (organisation, agreements, cases as minimised).
 * - A denied source the caller knew (it named the organisation, or it is the caller's own) is
 *   shown with its organisation and the rule that denied it.
 * - A denied source the caller did not know was chosen from the person register: naming it would
 *   tell where the child lives or who her GP is. It is shown by kind only, one entry per kind, with
 *   a generic reason (the precise reasons differ by organisation, so they would tell it too).
 * - A caller denied everywhere is not told the register's answer, not even through the shape of
 *   the answer: it gets its known entries and one generic denial per kind it asked for, the same
 *   whether or not the register knows the child.
 * - A child with name and address protection: a register-chosen source that holds no case for her
 *   is shown by kind only, even when permitted; one that holds a case is shown, as its contact is
 *   what the agreement shares.
 */
import type { SourceKind } from '../../adapters/source.js';
import type { ReasonCode } from '../agreements/decision.js';
import type { SourceResult, SourceStatus } from './lookup-service.js';

export type DisclosedSource = Omit<SourceResult, 'sourceId' | 'organisation'> & {
  sourceId?: string;
  organisation?: SourceResult['organisation'];
};

export type RegisterStatus = 'found' | 'not-found' | 'unavailable' | 'error' | 'timeout' | 'not-configured';

export interface DisclosedRegister {
  status: RegisterStatus | 'withheld';
  reason?: string;
  addressProtected?: true;
}

export interface ConsultationResult extends SourceResult {
  /** Why the source was consulted: chosen from the person register, or named by the caller. */
  readonly via: 'person-register' | 'named';
}

export interface DisclosureInput {
  readonly results: readonly ConsultationResult[];
  readonly register: { readonly status: RegisterStatus; readonly reason?: string; readonly addressProtected: boolean };
  /** The kinds the caller asked for (all when it named none), in a fixed order. */
  readonly askedKinds: readonly SourceKind[];
  /** True for an organisation that is the caller's own (its acting organisation or below). */
  readonly callerOwns: (sor: string) => boolean;
}

export const WITHHELD_DENIAL_REASON =
  'No agreement of yours permits a lookup at a source of this kind for this child. Name an organisation to be told the rule that applies to it.';
const WITHHELD_REASONS: readonly ReasonCode[] = ['no-agreement'];
/** Register answers that say something about the child; the others are about the register. */
const ABOUT_THE_CHILD: ReadonlySet<RegisterStatus> = new Set(['found', 'not-found', 'error']);

const byKind = (kind: SourceKind): DisclosedSource => ({ kind, status: 'denied', deniedBecause: WITHHELD_REASONS, reason: WITHHELD_DENIAL_REASON });

export function discloseLookup(input: DisclosureInput): { personRegister: DisclosedRegister; sources: DisclosedSource[] } {
  const known = (r: ConsultationResult) => r.via === 'named' || input.callerOwns(r.organisation.sor);
  const full = ({ via: _via, ...r }: ConsultationResult): DisclosedSource => r;
  const permittedAnywhere = input.results.some((r) => r.status !== 'denied');

  if (!permittedAnywhere) {
    const shown = input.results.filter(known).map(full).sort(compareSources);
    const kindsShown = new Set(shown.map((s) => s.kind));
    const { status, reason } = input.register;
    // Only an answer about the child needs hiding; a register that did not answer told nothing.
    const generic = ABOUT_THE_CHILD.has(status) ? input.askedKinds.filter((k) => !kindsShown.has(k)).map(byKind) : [];
    return {
      personRegister: ABOUT_THE_CHILD.has(status) ? { status: 'withheld' } : { status, ...(reason ? { reason } : {}) },
      sources: [...shown, ...generic],
    };
  }

  const sources: DisclosedSource[] = [];
  const seen = new Set<string>();
  const once = (key: string, source: DisclosedSource) => {
    if (seen.has(key)) return;
    seen.add(key);
    sources.push(source);
  };
  for (const r of input.results) {
    if (known(r)) sources.push(full(r));
    else if (r.status === 'denied') once(`denied|${r.kind}`, byKind(r.kind));
    else if (input.register.addressProtected && r.status !== 'found') once(`${r.status}|${r.kind}`, withoutIdentity(r.kind, r.status, r.reason));
    else sources.push(full(r));
  }
  const { status, reason } = input.register;
  return {
    personRegister: { status, ...(reason ? { reason } : {}), ...(input.register.addressProtected ? { addressProtected: true as const } : {}) },
    sources,
  };
}

/** Kind and outcome only: no source id, organisation or agreements, which would name where. */
function withoutIdentity(kind: SourceKind, status: SourceStatus, reason: string | undefined): DisclosedSource {
  return { kind, status, ...(reason && status !== 'not-found' ? { reason } : {}) };
}

const KIND_ORDER: readonly SourceKind[] = ['gp', 'child-psychiatry', 'ppr', 'family'];

/** A fixed order that does not depend on which sources the register led to. */
function compareSources(a: DisclosedSource, b: DisclosedSource): number {
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (k !== 0) return k;
  const x = `${a.organisation?.sor ?? ''}|${a.sourceId ?? ''}`;
  const y = `${b.organisation?.sor ?? ''}|${b.sourceId ?? ''}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
