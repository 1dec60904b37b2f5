/**
 * Consent as a legal basis: the consents recorded for a child in the national consent service
 * (Digitalt Samtykke), in the broker's words, and the pure rule of when one counts for a lookup.
 * The consents come from adapters/consent per lookup (never cached), so a withdrawal counts from
 * the next decision on every instance.
 */

/** Who gave the consent: a custody-holder, or the young person (from 15) for themself. */
export interface ConsentGiver {
  readonly relationship: 'custody-holder' | 'self' | 'unknown';
  /** The giver's name as the consent service records it, for the citizen's own view. */
  readonly name: string | null;
}

export interface Consent {
  /** The consent service's id of the consent. */
  readonly id: string;
  readonly givenBy: ConsentGiver;
  /** Purposes of use (the broker's vocabulary, src/identity/caller.ts) the consent covers. */
  readonly purposes: readonly string[];
  /** Organisations (SOR, each with its subtree) that may receive the data. */
  readonly recipients: readonly string[];
  /** Organisations (SOR, each with its subtree) that may disclose it. */
  readonly custodians: readonly string[];
  /** Inclusive start; ISO 8601 instant. */
  readonly validFrom: string;
  /** Exclusive end, or null when open. */
  readonly validTo: string | null;
  /** When the consent was withdrawn, or null. A withdrawn consent counts for nothing from then on. */
  readonly withdrawnAt: string | null;
}

export interface ConsentQuestion {
  /** The caller's organisation: it must be within a recipient. */
  readonly recipientSor: string;
  /** The organisation whose data is asked for: it must be within a custodian. */
  readonly custodianSor: string;
  /** The purpose the lookup is made for, which the agreement covers. */
  readonly purpose: string;
  readonly at: Date;
  readonly isWithin: (sor: string, rootSor: string) => boolean;
}

function instant(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? Number.NaN : ms;
}

/**
 * Whether this consent permits this disclosure now. A consent that cannot be read (a date that
 * is not a date) never counts: deny by default.
 */
export function consentCovers(consent: Consent, q: ConsentQuestion): boolean {
  const t = q.at.getTime();
  const from = instant(consent.validFrom);
  const to = instant(consent.validTo);
  const withdrawn = instant(consent.withdrawnAt);
  if (from === null || Number.isNaN(from) || t < from) return false;
  if (to !== null && (Number.isNaN(to) || t >= to)) return false;
  if (withdrawn !== null && (Number.isNaN(withdrawn) || t >= withdrawn)) return false;
  // A consent for another purpose than the one the lookup is made for (and the agreement covers) does not count.
  if (!consent.purposes.includes(q.purpose)) return false;
  if (!consent.recipients.some((root) => q.isWithin(q.recipientSor, root))) return false;
  if (!consent.custodians.some((root) => q.isWithin(q.custodianSor, root))) return false;
  return true;
}

/** The first consent that permits the disclosure, if any. */
export function findCoveringConsent(consents: readonly Consent[], q: ConsentQuestion): Consent | undefined {
  return consents.find((c) => consentCovers(c, q));
}
