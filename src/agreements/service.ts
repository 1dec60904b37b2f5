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
import { actsForApprover, approvableSides, approverHasAuthority, hasAuthorityOver, mayDraft, standsFor } from './approval-rule.js';
import {
  approve as approveVersion,
  createDraft,
  expire,
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
import { type PartyFilter, partyKeys, recordVisible, viewerKeys } from './visibility.js';
import {
  changedVersions,
  dueForExpiry,
  insertAgreement,
  listAgreements,
  latestVersion,
  lastChangeOrganisation,
  listedVersion,
  loadAgreement,
  loadHistory,
  loadVersions,
  recordChange,
  saveAgreement,
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
  /** SOR codes of national oversight organisations: they read every agreement (and change none). */
  readonly nationalOversightOrgs?: readonly string[];
}

export type { PartyFilter } from './visibility.js';

export interface AgreementQuery extends Omit<ListFilter, 'party' | 'viewer' | 'now'> {
  readonly party?: PartyFilter;
}

export interface AgreementService {
  create(actor: Actor, terms: AgreementTerms): Promise<StoredAgreement>;
  update(actor: Actor, id: string, ifMatch: string | undefined, terms: AgreementTerms): Promise<StoredAgreement>;
  submit(actor: Actor, id: string, ifMatch: string | undefined): Promise<StoredAgreement>;
  /** `side`: the side to approve for, when the actor's organisation could approve either. */
  approve(actor: Actor, id: string, version: number, ifMatch: string | undefined, side?: SideName): Promise<StoredAgreement>;
  suspend(actor: Actor, id: string, ifMatch: string | undefined, reason: string | null): Promise<StoredAgreement>;
  resume(actor: Actor, id: string, ifMatch: string | undefined, reason: string | null): Promise<StoredAgreement>;
  revoke(actor: Actor, id: string, ifMatch: string | undefined, reason: string): Promise<StoredAgreement>;
  /** Reads answer 404 for an agreement the actor's organisation may not see, as for none. */
  get(actor: Actor, id: string): Promise<StoredAgreement>;
  history(actor: Actor, id: string): Promise<ChangeRow[]>;
  list(actor: Actor, query: AgreementQuery, options: ListOptions): Promise<ListRow[]>;
  /** Of `ids`, those the actor's organisation may see. */
  visibleIds(actor: Actor, ids: readonly string[]): Promise<Set<string>>;
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
    case 'approver-not-authorised':
    case 'approver-changed':
    case 'approved-other-side':
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

/** Deny by default: an administrator may act on an agreement only for a side it stands for. */
export function involves(terms: AgreementTerms, organisationSor: string, dir: DecisionDirectoryView): boolean {
  return mayDraft(organisationSor, terms, dir);
}

const notInvolved = (): ProblemError =>
  new ProblemError(403, 'agreement-not-party', 'Not a party to the agreement', {
    detail: 'your organisation is neither a party nor an owner of a party on either side of this agreement',
  });

function snapshot(record: AgreementRecord): unknown {
  return record.versions;
}

export function createAgreementService(deps: AgreementServiceDeps): AgreementService {
  const now = deps.now ?? (() => new Date());
  const oversight = deps.nationalOversightOrgs ?? [];

  async function readable(actor: Actor, id: string): Promise<StoredAgreement> {
    const stored = await loadAgreement(deps.db, id);
    if (!stored || !recordVisible(viewerKeys(deps.directory.view(), actor.organisationSor, oversight), stored.record)) throw notFound();
    return stored;
  }

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
      authorise: (stored: StoredAgreement, dir: DecisionDirectoryView, trx: Kysely<Database>) => void | Promise<void>;
      /** False when the caller refreshes this instance once for a batch. */
      refresh?: boolean;
    },
    transition: (record: AgreementRecord, dir: DecisionDirectoryView, at: Date) => Transition,
  ): Promise<StoredAgreement> {
    const at = now();
    const dir = deps.directory.view();
    const saved = await deps.db.transaction().execute(async (trx) => {
      const stored = await loadAgreement(trx, id, { lock: true });
      // An agreement the actor may not see is answered as one that does not exist.
      if (!stored || (actor !== SYSTEM_ACTOR && !recordVisible(viewerKeys(dir, actor.organisationSor, oversight), stored.record))) throw notFound();
      await options.authorise(stored, dir, trx);
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

  /** Update and submit: an organisation standing for a side of the version in force or the latest. */
  const asParty = (actor: Actor) => (stored: StoredAgreement, dir: DecisionDirectoryView) => {
    const relevant = [listedVersion(stored.record), latestVersion(stored.record)];
    if (!relevant.some((v) => involves(v, actor.organisationSor, dir))) throw notInvolved();
  };

  /**
   * Suspend, resume and revoke: an administrator acting for the approving organisation (or an
   * owner above it) of either side of the version in force; either side may withdraw alone.
   * Where a side's named approver has no authority over it (approved before the approval rule),
   * a party or owner of one of its parties may withdraw it instead.
   */
  const asApprover = (actor: Actor) => (stored: StoredAgreement, dir: DecisionDirectoryView) => {
    const v = listedVersion(stored.record);
    const ok = [v.sideA, v.sideB].some((s) =>
      approverHasAuthority(s, dir)
        ? actsForApprover(actor.organisationSor, s, dir)
        : s.parties.some((p) => hasAuthorityOver(actor.organisationSor, p, dir)),
    );
    if (!ok) {
      throw new ProblemError(403, 'approval-not-allowed', 'Not an approving organisation', {
        detail: 'only an administrator of an approving organisation (or an owner above it) may do this',
      });
    }
  };

  return {
    async create(actor, terms) {
      const at = now();
      const dir = deps.directory.view();
      const issues = validateTerms(terms, dir, at);
      // Who drafts is checked first: a stranger learns nothing from the validation of its terms.
      if (!involves(terms, actor.organisationSor, dir)) throw notInvolved();
      if (issues.length > 0) throw invalidTerms(issues);
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

    approve(actor, id, version, ifMatch, requestedSide) {
      const user = `${actor.issuer}#${actor.subject}`;
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
            if (![v.sideA, v.sideB].some((s) => standsFor(actor.organisationSor, s, dir))) {
              throw new ProblemError(403, 'approval-not-allowed', 'Approval not allowed', {
                detail: 'your organisation does not approve for either side of this agreement',
              });
            }
          },
        },
        (record, dir, at) => {
          const v = record.versions.find((x) => x.version === version);
          const previous = v?.amends == null ? undefined : record.versions.find((x) => x.version === v.amends);
          // Without a requested side: one the actor can approve now; else one naming it that is
          // still unapproved, so the refusal says why; else side A.
          const names = (s: SideName): boolean => v !== undefined && actsForApprover(actor.organisationSor, s === 'a' ? v.sideA : v.sideB, dir);
          const open = (s: SideName): boolean => v !== undefined && !v.approvals.some((a) => a.side === s && a.version === v.version);
          const side: SideName =
            requestedSide ??
            (v ? approvableSides(actor.organisationSor, user, v, previous, dir)[0] : undefined) ??
            (['a', 'b'] as const).find((s) => names(s) && open(s)) ??
            (['a', 'b'] as const).find(names) ??
            'a';
          return approveVersion(record, { version, side, approvedBy: user, actingForSor: actor.organisationSor, at }, dir);
        },
      );
    },

    suspend(actor, id, ifMatch, reason) {
      return run(actor, id, 'suspend', { ifMatch, ifMatchRequired: false, reason, authorise: asApprover(actor) }, (record) =>
        suspendAgreement(record),
      );
    },

    resume(actor, id, ifMatch, reason) {
      /** Only the side that suspended may resume: the other side cannot override a withdrawal. */
      const authorise = async (stored: StoredAgreement, dir: DecisionDirectoryView, trx: Kysely<Database>) => {
        asApprover(actor)(stored, dir);
        const v = listedVersion(stored.record);
        // Not suspended: the transition refuses it for its state.
        if (v.status !== 'suspended') return;
        const suspender = await lastChangeOrganisation(trx, id, 'suspend');
        if (suspender === null) return;
        const sameSide = [v.sideA, v.sideB].some(
          (s) => approverHasAuthority(s, dir) && actsForApprover(suspender, s, dir) && actsForApprover(actor.organisationSor, s, dir),
        );
        if (!sameSide) {
          throw new ProblemError(403, 'approval-not-allowed', 'Not the suspending side', {
            detail: 'only an approving organisation of the side that suspended the agreement may resume it',
          });
        }
      };
      return run(actor, id, 'resume', { ifMatch, ifMatchRequired: false, reason, authorise }, (record) => resumeAgreement(record));
    },

    revoke(actor, id, ifMatch, reason) {
      return run(actor, id, 'revoke', { ifMatch, ifMatchRequired: false, reason, authorise: asApprover(actor) }, (record) =>
        revokeAgreement(record),
      );
    },

    get(actor, id) {
      return readable(actor, id);
    },

    async history(actor, id) {
      await readable(actor, id);
      return loadHistory(deps.db, id);
    },

    list(actor, query, options) {
      const { party, ...rest } = query;
      const dir = deps.directory.view();
      const viewer = viewerKeys(dir, actor.organisationSor, oversight);
      return listAgreements(
        deps.db,
        { ...rest, ...(party ? { party: partyKeys(dir, party) } : {}), ...(viewer ? { viewer } : {}), now: now() },
        options,
      );
    },

    async visibleIds(actor, ids) {
      const keys = viewerKeys(deps.directory.view(), actor.organisationSor, oversight);
      const out = new Set<string>();
      for (const [id, versions] of await loadVersions(deps.db, ids)) if (recordVisible(keys, { id, versions })) out.add(id);
      return out;
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
