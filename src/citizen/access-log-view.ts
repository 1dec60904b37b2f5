/**
 * One audit record as the citizen sees it: when, which organisation (its name and the kind of
 * authority it is), the role, purpose and reason; the member of staff's name unless their
 * organisation (or one above it in SOR) protects its staff names. Pure.
 */
import type { Organisation } from '../directory/model.js';

/** The audit kinds that are an access to the person's data by staff. */
export const CITIZEN_LOG_KINDS = ['lookup', 'correspondence-sent', 'correspondence-read'] as const;
export type CitizenLogKind = (typeof CITIZEN_LOG_KINDS)[number];

export const ENTRY_KINDS: Readonly<Record<CitizenLogKind, 'lookup' | 'message-sent' | 'message-read'>> = {
  lookup: 'lookup',
  'correspondence-sent': 'message-sent',
  'correspondence-read': 'message-read',
};

export type AuthorityKind = 'region' | 'municipality' | 'general-practice' | 'state' | 'private';

export interface AccessLogRow {
  readonly id: string;
  readonly occurredAt: Date;
  readonly kind: CitizenLogKind;
  readonly outcome: string;
  readonly actorName: string | null;
  readonly actorRole: string | null;
  readonly actorOrganisation: string | null;
  readonly purpose: string | null;
  readonly reason: string | null;
  readonly emergencyOverride: boolean;
}

export interface AccessLogEntry {
  readonly id: string;
  readonly occurredAt: string;
  readonly kind: 'lookup' | 'message-sent' | 'message-read';
  readonly outcome: string;
  readonly organisation: { readonly sor: string; readonly name: string | null; readonly authority: AuthorityKind | null } | null;
  readonly role: string | null;
  readonly purpose: string | null;
  readonly reason: string | null;
  /** Null when not recorded or when the organisation protects its staff names (then `staffNameProtected`). */
  readonly staffName: string | null;
  readonly staffNameProtected: boolean;
  readonly emergencyOverride: boolean;
}

export interface DirectoryLookup {
  get(sor: string): Organisation | undefined;
  ancestors(sor: string): readonly Organisation[];
}

/** What kind of authority an organisation is, from its institution owner in SOR. */
export function authorityKind(org: Organisation | undefined, ancestors: readonly Organisation[]): AuthorityKind | null {
  if (!org) return null;
  const chain = [org, ...ancestors];
  const owner = chain.find((o) => o.level === 'institution-owner') ?? chain.find((o) => o.ownerType !== null);
  switch (owner?.ownerType) {
    case 'region':
      return 'region';
    case 'municipality':
      return 'municipality';
    case 'state':
      return 'state';
    case 'private':
      // A GP practice is privately owned and has a ydernummer; other private owners stay `private`.
      return chain.some((o) => o.ydernummer !== null) ? 'general-practice' : 'private';
    default:
      return null;
  }
}

/** A mark on the organisation or on any organisation above it protects the names. */
export function namesProtected(sor: string, ancestors: readonly Organisation[], protectedOrgs: ReadonlySet<string>): boolean {
  return protectedOrgs.has(sor) || ancestors.some((a) => protectedOrgs.has(a.sor));
}

export function toAccessLogEntry(row: AccessLogRow, directory: DirectoryLookup, protectedOrgs: ReadonlySet<string>): AccessLogEntry {
  const sor = row.actorOrganisation;
  const org = sor ? directory.get(sor) : undefined;
  const ancestors = sor ? directory.ancestors(sor) : [];
  const hidden = sor !== null && namesProtected(sor, ancestors, protectedOrgs);
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    kind: ENTRY_KINDS[row.kind],
    outcome: row.outcome,
    organisation: sor ? { sor, name: org?.name ?? null, authority: authorityKind(org, ancestors) } : null,
    role: row.actorRole,
    purpose: row.purpose,
    reason: row.reason,
    staffName: hidden ? null : row.actorName,
    staffNameProtected: hidden,
    emergencyOverride: row.emergencyOverride,
  };
}
