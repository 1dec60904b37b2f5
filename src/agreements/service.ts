/**
 * Agreement commands. Each runs in one transaction that locks the agreement, applies a pure
 * lifecycle transition, writes the versions and one change record (who, when, before, after),
 * and announces the change to every broker instance in that same transaction, so that no change
 * commits without its announcement (a failed announcement fails the change).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditActor } from '../audit/audit-event.js';
import type { Database } from '../../db/schema/index.js';
import type { DirectoryCache } from '../directory/directory-cache.js';
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { selectorUnitType } from '../directory/local-unit-types.js';
import { ProblemError } from '../http/problem.js';
import { announceChange, type ChangeFeed } from '../platform/change-feed.js';
import {
  approve as approveVersion,
  createDraft,
  expire,
  mayApprove,
  resume as resumeAgreement,
  revoke as revokeAgreement,
  submit as submitDraft,
  suspend as suspendAgreement,
  validateTerms,
  type DraftIssue,
  type Refusal,
  type Transition,
} from './lifecycle.js';
import type { AgreementRecord, AgreementTerms, SideName } from './model.js';
import { revise } from './revise.js';
import {
  changedVersions,
  dueForExpiry,
  insertAgreement,
  listAgreements,
  listedVersion,
  loadAgreement,
  loadHistory,
  recordChange,
  saveAgreement,
  unitTypeKey,
  type ChangeRow,
  type ListFilter,
  type ListOptions,
  type ListRow,
  type StoredAgreement,
} from './store.js';

/** Who acts: from the verified token. */
export interface Actor {
  readonly issuer: string;
  readonly subject: string;
  readonly organisationSor: string;
  readonly requestId: string | null;
  /** The caller as the audit record names it (role, assurance, name); absent for the system. */
  readonly audit?: AuditActor;
}

export const SYSTEM_ACTOR: Actor = { issuer: 'broker', subject: 'system', organisationSor: '', requestId: null };

export interface AgreementServiceDeps {
  readonly db: Kysely<Database>;
  readonly directory: Pick<DirectoryCache, 'view'>;
  readonly changes: Pick<ChangeFeed, 'refresh'>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface PartyFilter {
  readonly sor: string;
  readonly includeSubtree: boolean;
}

export interface AgreementQuery extends Omit<ListFilter, 'party' | 'now'> {
  readonly party?: PartyFilter;
}

export interface AgreementService {
  create(actor: Actor, terms: AgreementTerms): Promise<StoredAgreement>;
  update(actor: Actor, id: string, ifMatch: string | undefined, terms: AgreementTerms): Promise<StoredAgreement>;
  submit(actor: Actor, id: string, ifMatch: string | undefined): Promise<StoredAgreement>;
  approve(actor: Actor, id: string, version: number, ifMatch: string | undefined): Promise<StoredAgreement>;
  suspend(actor: Actor, id: string, ifMatch: string | undefined, reason: string | null): Promise<StoredAgreement>;
  resume(actor: Actor, id: string, ifMatch: string | undefined, reason: string | null): Promise<StoredAgreement>;
  revoke(actor: Actor, id: string, ifMatch: string | undefined, reason: string): Promise<StoredAgreement>;
  get(id: string): Promise<StoredAgreement>;
  history(id: string): Promise<ChangeRow[]>;
  list(query: AgreementQuery, options: ListOptions): Promise<ListRow[]>;
  /** Expires every version in force whose period has ended; returns how many agreements changed. */
  expireDue(): Promise<number>;
}

export const etagOf = (rowVersion: number): string => `"${rowVersion}"`;

/** If-Match: `*`, or a list of entity tags (weak ones compared by value, as clients send them). */
function matches(ifMatch: string, rowVersion: number): boolean {
  const want = etagOf(rowVersion);
  return ifMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === want;
  });
}

function checkPrecondition(ifMatch: string | undefined, rowVersion: number, required: boolean): void {
  if (ifMatch === undefined) {
    if (!required) return;
    throw new ProblemError(428, 'precondition-required', 'Precondition required', {
      detail: 'send If-Match with the ETag of the agreement as you last read it',
    });
  }
  if (!matches(ifMatch, rowVersion)) {
    throw new ProblemError(412, 'precondition-failed', 'Precondition failed', {
      detail: 'the agreement was changed since you read it; read it again and reapply your change',
      headers: { ETag: etagOf(rowVersion) },
    });
  }
}

export function invalidTerms(issues: readonly DraftIssue[]): ProblemError {
  return new ProblemError(422, 'agreement-invalid', 'Agreement terms are not valid', {
    detail: issues.map((i) => i.detail).join('; '),
    extensions: { issues },
  });
}

function refusalProblem(r: Refusal): ProblemError {
  switch (r.code) {
    case 'draft-invalid':
      return invalidTerms(r.issues ?? []);
    case 'version-not-found':
      return new ProblemError(404, 'version-not-found', 'Version not found', { detail: r.detail });
    case 'version-superseded':
      return new ProblemError(409, 'version-superseded', 'Version superseded', { detail: r.detail });
    case 'not-approver':
      return new ProblemError(403, 'approval-not-allowed', 'Approval not allowed', { detail: r.detail });
    case 'already-approved':
      return new ProblemError(409, 'already-approved', 'Already approved', { detail: r.detail });
    case 'amendment-pending':
      return new ProblemError(409, 'amendment-pending', 'An amendment is pending', { detail: r.detail });
    case 'not-yet-expired':
    case 'invalid-state':
      return new ProblemError(409, 'agreement-invalid-state', 'Not possible in the agreement\'s state', { detail: r.detail });
  }
}

const notFound = (): ProblemError =>
  new ProblemError(404, 'agreement-not-found', 'Agreement not found', { detail: 'no agreement has this id' });

/**
 * Deny by default: an administrator may act on an agreement only where its organisation (or an
 * organisation below it) is a party or the approving organisation on one side.
 */
export function involves(terms: AgreementTerms, organisationSor: string, dir: DecisionDirectoryView): boolean {
  for (const side of [terms.sideA, terms.sideB]) {
    if (dir.isWithin(side.approvingOrganisationSor, organisationSor)) return true;
    if (mayApprove(side.approvingOrganisationSor, organisationSor, dir)) return true;
    for (const p of side.parties) if (p.kind !== 'unit-type' && dir.isWithin(p.sor, organisationSor)) return true;
  }
  return false;
}

const notInvolved = (): ProblemError =>
  new ProblemError(403, 'agreement-not-party', 'Not a party to the agreement', {
    detail: 'your organisation is neither a party nor an approving organisation of this agreement',
  });

function snapshot(record: AgreementRecord): unknown {
  return record.versions;
}

export function createAgreementService(deps: AgreementServiceDeps): AgreementService {
  const now = deps.now ?? (() => new Date());

  /** This instance's own index follows at once; if that fails, its poller and reconciliation catch up. */
  async function refreshHere(): Promise<void> {
    await deps.changes.refresh();
  }

  async function run(
    actor: Actor,
    id: string,
    action: string,
    options: {
      ifMatch: string | undefined;
      ifMatchRequired: boolean;
      reason: string | null;
      authorise: (stored: StoredAgreement, dir: DecisionDirectoryView) => void;
      /** False when the caller refreshes this instance once for a batch. */
      refresh?: boolean;
    },
    transition: (record: AgreementRecord, dir: DecisionDirectoryView, at: Date) => Transition,
  ): Promise<StoredAgreement> {
    const at = now();
    const dir = deps.directory.view();
    const saved = await deps.db.transaction().execute(async (trx) => {
      const stored = await loadAgreement(trx, id, { lock: true });
      if (!stored) throw notFound();
      options.authorise(stored, dir);
      checkPrecondition(options.ifMatch, stored.rowVersion, options.ifMatchRequired);
      const result = transition(stored.record, dir, at);
      if (!result.ok) throw refusalProblem(result.refusal);
      const rowVersion = await saveAgreement(trx, stored.record, result.record, stored.rowVersion, at);
      if (rowVersion === null) {
        throw new ProblemError(412, 'precondition-failed', 'Precondition failed', { detail: 'the agreement was changed concurrently' });
      }
      const changed = changedVersions(stored.record, result.record);
      await recordChange(trx, {
        agreementId: id,
        version: Math.max(...changed.map((c) => c.after.version), listedVersion(result.record).version),
        action,
        at,
        actorIssuer: actor.issuer,
        actorSubject: actor.subject,
        actorOrganisation: actor.organisationSor || null,
        requestId: actor.requestId,
        reason: options.reason,
        before: changed.flatMap((c) => (c.before ? [c.before] : [])),
        after: changed.map((c) => c.after),
      }, actor.audit);
      await announceChange(trx, 'agreements');
      return { record: result.record, rowVersion, createdAt: stored.createdAt, updatedAt: at };
    });
    if (options.refresh !== false) await refreshHere();
    return saved;
  }

  const asParty = (actor: Actor) => (stored: StoredAgreement, dir: DecisionDirectoryView) => {
    if (!stored.record.versions.some((v) => involves(v, actor.organisationSor, dir))) throw notInvolved();
  };

  /** Suspend, resume and revoke: an approver of either side of the version in force. */
  const asApprover = (actor: Actor) => (stored: StoredAgreement, dir: DecisionDirectoryView) => {
    const v = listedVersion(stored.record);
    const ok = [v.sideA, v.sideB].some((s) => mayApprove(s.approvingOrganisationSor, actor.organisationSor, dir));
    if (!ok) {
      if (!involves(v, actor.organisationSor, dir)) throw notInvolved();
      throw new ProblemError(403, 'approval-not-allowed', 'Not an approving organisation', {
        detail: 'only an administrator of an approving organisation (or its institution owner) may do this',
      });
    }
  };

  return {
    async create(actor, terms) {
      const at = now();
      const dir = deps.directory.view();
      const issues = validateTerms(terms, dir, at);
      if (issues.length > 0) throw invalidTerms(issues);
      if (!involves(terms, actor.organisationSor, dir)) throw notInvolved();
      const record = createDraft(randomUUID(), terms);
      await deps.db.transaction().execute(async (trx) => {
        await insertAgreement(trx, record, at);
        await recordChange(trx, {
          agreementId: record.id,
          version: 1,
          action: 'create',
          at,
          actorIssuer: actor.issuer,
          actorSubject: actor.subject,
          actorOrganisation: actor.organisationSor,
          requestId: actor.requestId,
          reason: null,
          before: undefined,
          after: snapshot(record),
        }, actor.audit);
        await announceChange(trx, 'agreements');
      });
      await refreshHere();
      return { record, rowVersion: 1, createdAt: at, updatedAt: at };
    },

    update(actor, id, ifMatch, terms) {
      return run(
        actor,
        id,
        'update',
        {
          ifMatch,
          ifMatchRequired: true,
          reason: null,
          authorise: (stored, dir) => {
            asParty(actor)(stored, dir);
            // Nobody may write their own organisation out of an agreement they then cannot manage.
            if (!involves(terms, actor.organisationSor, dir)) throw notInvolved();
          },
        },
        (record, dir, at) => revise(record, terms, dir, at),
      );
    },

    submit(actor, id, ifMatch) {
      return run(actor, id, 'submit', { ifMatch, ifMatchRequired: false, reason: null, authorise: asParty(actor) }, (record, dir, at) =>
        submitDraft(record, dir, at),
      );
    },

    approve(actor, id, version, ifMatch) {
      return run(
        actor,
        id,
        'approve',
        {
          ifMatch,
          ifMatchRequired: false,
          reason: null,
          authorise: (stored, dir) => {
            const v = stored.record.versions.find((x) => x.version === version) ?? listedVersion(stored.record);
            const sides = [v.sideA, v.sideB].filter((s) => mayApprove(s.approvingOrganisationSor, actor.organisationSor, dir));
            if (sides.length === 0) {
              throw new ProblemError(403, 'approval-not-allowed', 'Approval not allowed', {
                detail: 'your organisation does not approve for either side of this agreement',
              });
            }
          },
        },
        (record, dir, at) => {
          const v = record.versions.find((x) => x.version === version);
          const candidates: SideName[] = v
            ? (['a', 'b'] as const).filter((s) =>
                mayApprove((s === 'a' ? v.sideA : v.sideB).approvingOrganisationSor, actor.organisationSor, dir),
              )
            : ['a'];
          // One organisation may approve for both sides (e.g. a region on both); one side per call.
          const side = candidates.find((s) => !v?.approvals.some((a) => a.side === s && a.version === version)) ?? candidates[0] ?? 'a';
          return approveVersion(record, { version, side, approvedBy: `${actor.issuer}#${actor.subject}`, actingForSor: actor.organisationSor, at }, dir);
        },
      );
    },

    suspend(actor, id, ifMatch, reason) {
      return run(actor, id, 'suspend', { ifMatch, ifMatchRequired: false, reason, authorise: asApprover(actor) }, (record) =>
        suspendAgreement(record),
      );
    },

    resume(actor, id, ifMatch, reason) {
      return run(actor, id, 'resume', { ifMatch, ifMatchRequired: false, reason, authorise: asApprover(actor) }, (record) =>
        resumeAgreement(record),
      );
    },

    revoke(actor, id, ifMatch, reason) {
      return run(actor, id, 'revoke', { ifMatch, ifMatchRequired: false, reason, authorise: asApprover(actor) }, (record) =>
        revokeAgreement(record),
      );
    },

    async get(id) {
      const stored = await loadAgreement(deps.db, id);
      if (!stored) throw notFound();
      return stored;
    },

    async history(id) {
      const stored = await loadAgreement(deps.db, id);
      if (!stored) throw notFound();
      return loadHistory(deps.db, id);
    },

    list(query, options) {
      const { party, ...rest } = query;
      return listAgreements(
        deps.db,
        { ...rest, ...(party ? { party: partyKeys(deps.directory.view(), party) } : {}), now: now() },
        options,
      );
    },

    async expireDue() {
      const at = now();
      let count = 0;
      for (const id of await dueForExpiry(deps.db, at)) {
        try {
          await run(
            SYSTEM_ACTOR,
            id,
            'expire',
            { ifMatch: undefined, ifMatchRequired: false, reason: 'validity period ended', authorise: () => undefined, refresh: false },
            (record) => expire(record, at),
          );
          count++;
        } catch (error) {
          // Another instance's job got there first (the row lock serialises them): nothing to do.
          if (error instanceof ProblemError && error.status === 409) continue;
          deps.logger.warn({ err: error, agreementId: id }, 'could not expire agreement');
        }
      }
      if (count > 0) await refreshHere();
      return count;
    },
  };
}

/**
 * Which stored selectors concern an organisation: a unit selector naming it, a subtree selector
 * rooted at it or above it, a unit-type selector covering it (its own type or an ancestor's, in
 * its area). With `includeSubtree`, the same for every organisation below it.
 */
export function partyKeys(dir: DecisionDirectoryView, filter: PartyFilter): { units: string[]; subtrees: string[]; typeKeys: string[] } {
  const units = new Set<string>([filter.sor]);
  const subtrees = new Set<string>([filter.sor]);
  const typeKeys = new Set<string>();
  const addTypes = (sor: string) => {
    const org = dir.get(sor);
    if (!org) return;
    for (const typed of [org, ...dir.ancestors(sor)]) {
      // The access decision's rule (decision-index.ts): a local unit counts only for municipal types.
      const unitType = selectorUnitType(org, typed);
      if (unitType === null) continue;
      const region = dir.regionOf(typed.sor);
      const municipality = dir.municipalityOf(typed.sor);
      if (region !== null) typeKeys.add(unitTypeKey({ kind: 'unit-type', unitType, area: { kind: 'region', regionCode: region } }));
      if (municipality !== null) {
        typeKeys.add(unitTypeKey({ kind: 'unit-type', unitType, area: { kind: 'municipality', municipalityCode: municipality } }));
      }
    }
  };
  for (const a of dir.ancestors(filter.sor)) subtrees.add(a.sor);
  addTypes(filter.sor);
  if (filter.includeSubtree) {
    const stack = [...dir.children(filter.sor)];
    const seen = new Set<string>([filter.sor]);
    while (stack.length > 0) {
      const o = stack.pop();
      if (!o || seen.has(o.sor)) continue;
      seen.add(o.sor);
      units.add(o.sor);
      subtrees.add(o.sor);
      addTypes(o.sor);
      stack.push(...dir.children(o.sor));
    }
  }
  return { units: [...units], subtrees: [...subtrees], typeKeys: [...typeKeys] };
}
