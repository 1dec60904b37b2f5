/**
 * Withheld from the custody-holders' view (Barnets lov: an investigation may concern the
 * parents themselves). Pure rules: who may mark an access, and for how long.
 */

export const WITHHOLDING_ROLES = ['caseworker'] as const;

/** Months after `from`, on the calendar (UTC). */
export function addMonths(from: Date, months: number): Date {
  const d = new Date(from);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

export type PeriodCheck = { readonly ok: true } | { readonly ok: false; readonly problem: 'in-the-past' | 'too-long' };

/** A mark runs from now to `until`: after now, and no longer than the configured maximum. */
export function checkWithholdingPeriod(now: Date, until: Date, maxMonths: number): PeriodCheck {
  if (until.getTime() <= now.getTime()) return { ok: false, problem: 'in-the-past' };
  if (until.getTime() > addMonths(now, maxMonths).getTime()) return { ok: false, problem: 'too-long' };
  return { ok: true };
}

/** Only staff of the organisation that made the access may withhold it, and only an access to a person's data. */
export function mayWithhold(caller: { readonly organisationSor: string; readonly role: string }, access: { readonly actorOrganisation: string | null; readonly kind: string }, kinds: readonly string[]): boolean {
  return (WITHHOLDING_ROLES as readonly string[]).includes(caller.role) && access.actorOrganisation === caller.organisationSor && kinds.includes(access.kind);
}
