/**
 * Agreement lifecycle as pure transitions over an agreement's versions. Each returns the new
 * record or a typed refusal; the caller persists the record and audits the change.
 *
 *   draft --submit--> awaiting-approval --approve A + approve B--> active
 *   active <--suspend/resume--> suspended;  active|suspended --expire (now >= validTo)--> expired
 *   any open version --revoke--> revoked
 *   active --amend--> new version awaiting-approval; the old one stays in force until the new one
 *   is approved by both sides, then it becomes superseded.
 */
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { type ApprovalRefusal, approverHasAuthority, judgeApproval } from './approval-rule.js';
import { isLegalBasisCode } from './legal-basis.js';
import type { Agreement, AgreementRecord, AgreementTerms, Approval, PartySelector, SideName } from './model.js';

export type DraftIssueCode =
  | 'unknown-organisation'
  | 'organisation-closed'
  /** The side's approving organisation is not a party or owner of every party of the side. */
  | 'approver-not-authorised'
  | 'invalid-date'
  | 'period-ends-before-start'
  | 'agreement-with-itself'
  | 'empty-side'
  | 'no-data-elements'
  | 'no-purposes'
  | 'no-roles'
  | 'unknown-legal-basis';

export interface DraftIssue {
  readonly code: DraftIssueCode;
  readonly detail: string;
  readonly side?: SideName;
  readonly sor?: string;
}

export type RefusalCode =
  | 'draft-invalid'
  | 'invalid-state'
  | 'version-not-found'
  | 'version-superseded'
  | 'not-approver'
  | 'approver-not-authorised'
  | 'approver-changed'
  | 'approved-other-side'
  | 'already-approved'
  | 'not-yet-expired'
  | 'amendment-pending';

export interface Refusal {
  readonly code: RefusalCode;
  readonly detail: string;
  /** For `draft-invalid`: every problem found, not just the first. */
  readonly issues?: readonly DraftIssue[];
}

export type Transition = { readonly ok: true; readonly record: AgreementRecord } | { readonly ok: false; readonly refusal: Refusal };

function refuse(code: RefusalCode, detail: string, issues?: readonly DraftIssue[]): Transition {
  return { ok: false, refusal: issues ? { code, detail, issues } : { code, detail } };
}

function withVersion(record: AgreementRecord, next: Agreement): AgreementRecord {
  const exists = record.versions.some((v) => v.version === next.version);
  return {
    id: record.id,
    versions: exists ? record.versions.map((v) => (v.version === next.version ? next : v)) : [...record.versions, next],
  };
}

function selectorKey(s: PartySelector): string {
  switch (s.kind) {
    case 'unit':
    case 'subtree':
      return `${s.kind}:${s.sor}`;
    case 'unit-type':
      return `unit-type:${s.unitType}:${s.area.kind}:${s.area.kind === 'region' ? s.area.regionCode : s.area.municipalityCode}`;
  }
}

/** Every problem with a draft's terms, checked against the directory at `at`. */
export function validateTerms(terms: AgreementTerms, directory: DecisionDirectoryView, at: Date): DraftIssue[] {
  const issues: DraftIssue[] = [];
  const checkSor = (sor: string, side: SideName, what: string): void => {
    if (!directory.get(sor)) {
      issues.push({ code: 'unknown-organisation', side, sor, detail: `${what} ${sor} is not in the directory` });
    } else if (!directory.isActive(sor, at)) {
      issues.push({ code: 'organisation-closed', side, sor, detail: `${what} ${sor} is closed` });
    }
  };
  for (const [side, s] of [['a', terms.sideA], ['b', terms.sideB]] as const) {
    if (s.parties.length === 0) issues.push({ code: 'empty-side', side, detail: `side ${side.toUpperCase()} names no parties` });
    for (const p of s.parties) if (p.kind !== 'unit-type') checkSor(p.sor, side, 'party');
    checkSor(s.approvingOrganisationSor, side, 'approving organisation');
    const known = directory.get(s.approvingOrganisationSor) && s.parties.every((p) => p.kind === 'unit-type' || directory.get(p.sor));
    if (known && s.parties.length > 0 && !approverHasAuthority(s, directory)) {
      issues.push({
        code: 'approver-not-authorised',
        side,
        sor: s.approvingOrganisationSor,
        detail: `approving organisation ${s.approvingOrganisationSor} is not a party or owner of every party of side ${side.toUpperCase()}`,
      });
    }
  }
  const keysA = new Set(terms.sideA.parties.map(selectorKey));
  const keysB = new Set(terms.sideB.parties.map(selectorKey));
  if (keysA.size > 0 && keysA.size === keysB.size && [...keysA].every((k) => keysB.has(k))) {
    issues.push({ code: 'agreement-with-itself', detail: 'both sides name the same parties' });
  }
  const from = Date.parse(terms.period.validFrom);
  const to = terms.period.validTo === null ? Number.POSITIVE_INFINITY : Date.parse(terms.period.validTo);
  if (Number.isNaN(from) || Number.isNaN(to)) {
    issues.push({ code: 'invalid-date', detail: 'validFrom or validTo is not an ISO 8601 date' });
  } else if (to <= from) {
    // validTo is exclusive: a period ending where it starts is empty.
    issues.push({ code: 'period-ends-before-start', detail: 'validTo is not after validFrom' });
  }
  if (terms.dataElements.length === 0) issues.push({ code: 'no-data-elements', detail: 'no data elements covered' });
  if (terms.purposes.length === 0) issues.push({ code: 'no-purposes', detail: 'no purposes of use' });
  if (terms.roles.length === 0) issues.push({ code: 'no-roles', detail: 'no roles allowed' });
  if (!isLegalBasisCode(terms.legalBasis.code)) {
    issues.push({ code: 'unknown-legal-basis', detail: `legal basis ${terms.legalBasis.code} is not in the list` });
  }
  return issues;
}

export function createDraft(id: string, terms: AgreementTerms): AgreementRecord {
  return { id, versions: [{ ...terms, id, version: 1, status: 'draft', approvals: [], amends: null }] };
}

/** The version that currently governs access, if any (active or suspended). */
export function versionInForce(record: AgreementRecord): Agreement | undefined {
  return record.versions.find((v) => v.status === 'active' || v.status === 'suspended');
}

function latest(record: AgreementRecord): Agreement | undefined {
  return record.versions.reduce<Agreement | undefined>((m, v) => (m === undefined || v.version > m.version ? v : m), undefined);
}

export function submit(record: AgreementRecord, directory: DecisionDirectoryView, at: Date): Transition {
  const draft = latest(record);
  if (!draft || draft.status !== 'draft') return refuse('invalid-state', 'there is no draft to submit');
  const issues = validateTerms(draft, directory, at);
  if (issues.length > 0) return refuse('draft-invalid', `the draft has ${issues.length} problem(s)`, issues);
  return { ok: true, record: withVersion(record, { ...draft, status: 'awaiting-approval' }) };
}

export interface ApproveCommand {
  readonly version: number;
  readonly side: SideName;
  /** The person approving, as `issuer#subject` (not a CPR number). */
  readonly approvedBy: string;
  readonly actingForSor: string;
  readonly at: Date;
}

const APPROVAL_REFUSALS: Readonly<Record<ApprovalRefusal, (side: string) => string>> = {
  'approver-not-authorised': (side) => `side ${side}'s approving organisation is not a party or owner of all its parties; revise the terms`,
  'not-approver': (side) => `your organisation does not approve for side ${side}`,
  'approver-changed': (side) => `this version moves side ${side}'s approval; side ${side}'s approver of the version in force must approve it`,
  'approved-other-side': (side) => `your organisation or you approved the other side; side ${side} must be approved by another organisation and person`,
  'already-approved': (side) => `side ${side} has already approved this version`,
};

export function approve(record: AgreementRecord, cmd: ApproveCommand, directory: DecisionDirectoryView): Transition {
  const v = record.versions.find((x) => x.version === cmd.version);
  if (!v) return refuse('version-not-found', `version ${cmd.version} does not exist`);
  if (v.status === 'superseded') return refuse('version-superseded', `version ${cmd.version} has been replaced by a later version`);
  if (v.status !== 'awaiting-approval') return refuse('invalid-state', `version ${cmd.version} is ${v.status}, not awaiting approval`);
  const previous = v.amends === null ? undefined : record.versions.find((x) => x.version === v.amends);
  const refusal = judgeApproval(
    { version: v, previous, side: cmd.side, actor: { organisationSor: cmd.actingForSor, user: cmd.approvedBy } },
    directory,
  );
  if (refusal) return refuse(refusal, APPROVAL_REFUSALS[refusal](cmd.side.toUpperCase()));
  const approval: Approval = {
    side: cmd.side,
    approvedBy: cmd.approvedBy,
    actingForSor: cmd.actingForSor,
    approvedAt: cmd.at.toISOString(),
    version: v.version,
  };
  const approvals = [...v.approvals, approval];
  const current = approvals.filter((a) => a.version === v.version);
  const bothSides = current.some((a) => a.side === 'a') && current.some((a) => a.side === 'b');
  if (!bothSides) return { ok: true, record: withVersion(record, { ...v, approvals }) };
  let next = withVersion(record, { ...v, approvals, status: 'active' });
  const old = previous === undefined ? undefined : next.versions.find((x) => x.version === previous.version);
  if (old && (old.status === 'active' || old.status === 'suspended')) {
    next = withVersion(next, { ...old, status: 'superseded' });
  }
  return { ok: true, record: next };
}

function move(record: AgreementRecord, from: Agreement['status'], to: Agreement['status'], verb: string): Transition {
  const v = versionInForce(record);
  if (!v || v.status !== from) return refuse('invalid-state', `cannot ${verb}: the agreement is not ${from}`);
  return { ok: true, record: withVersion(record, { ...v, status: to }) };
}

export function suspend(record: AgreementRecord): Transition {
  return move(record, 'active', 'suspended', 'suspend');
}

export function resume(record: AgreementRecord): Transition {
  return move(record, 'suspended', 'active', 'resume');
}

/** Revokes the version in force and any pending draft or amendment: nothing of it can start later. */
export function revoke(record: AgreementRecord): Transition {
  const open = new Set<Agreement['status']>(['draft', 'awaiting-approval', 'active', 'suspended']);
  if (!record.versions.some((v) => open.has(v.status))) return refuse('invalid-state', 'nothing to revoke');
  return {
    ok: true,
    record: { id: record.id, versions: record.versions.map((v) => (open.has(v.status) ? { ...v, status: 'revoked' } : v)) },
  };
}

/** Automatic expiry: the version in force expires once `now` reaches its (exclusive) validTo. */
export function expire(record: AgreementRecord, now: Date): Transition {
  const v = versionInForce(record);
  if (!v) return refuse('invalid-state', 'no version is in force');
  if (v.period.validTo === null || now.getTime() < Date.parse(v.period.validTo)) {
    return refuse('not-yet-expired', 'the validity period has not ended');
  }
  return { ok: true, record: withVersion(record, { ...v, status: 'expired' }) };
}

/** Amends an active agreement: a new version awaiting approval; the old one governs until then. */
export function amend(
  record: AgreementRecord,
  terms: AgreementTerms,
  directory: DecisionDirectoryView,
  at: Date,
): Transition {
  const current = versionInForce(record);
  if (!current || current.status !== 'active') return refuse('invalid-state', 'only an active agreement can be amended');
  if (record.versions.some((v) => v.status === 'awaiting-approval' || v.status === 'draft')) {
    return refuse('amendment-pending', 'an amendment already awaits approval');
  }
  const issues = validateTerms(terms, directory, at);
  if (issues.length > 0) return refuse('draft-invalid', `the amendment has ${issues.length} problem(s)`, issues);
  const version = (latest(record)?.version ?? 0) + 1;
  return {
    ok: true,
    record: withVersion(record, { ...terms, id: record.id, version, status: 'awaiting-approval', approvals: [], amends: current.version }),
  };
}
