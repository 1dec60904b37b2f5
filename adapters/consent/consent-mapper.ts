import { isRecord, list, rec, str, type Json } from '../fhir/fhir-json.js';
import { isPersonSystem, SOR_SYSTEM, sameSystem } from '../fhir/identifiers.js';
import { ACTOR_ROLE, CONSENT_SYSTEMS, type ConsentRecord } from './consent-record.js';

export type MappedConsent =
  | { readonly ok: true; readonly consent: ConsentRecord; readonly patientCpr: string }
  /** Not usable: a draft, a rejected or erroneous entry, or one that cannot be read safely. */
  | { readonly ok: false; readonly note: string };

function codes(cc: unknown, system: string): string[] {
  return list(cc, 'coding').filter((c) => sameSystem(str(c, 'system'), system)).map((c) => str(c, 'code')).filter((c): c is string => c !== undefined);
}

function sorOf(reference: unknown): string | null {
  const identifier = rec(reference, 'identifier');
  if (!identifier || !sameSystem(str(identifier, 'system'), SOR_SYSTEM)) return null;
  return str(identifier, 'value')?.trim() ?? null;
}

/**
 * One FHIR R4 Consent to a ConsentRecord. `active` is a consent in force; `inactive` is a withdrawn
 * one, withdrawn at `meta.lastUpdated` (when the service recorded the change). Only a `permit`
 * provision is read; a consent that names no purpose, recipient or custodian is not usable.
 */
export function mapConsent(resource: Json): MappedConsent {
  const id = str(resource, 'id');
  if (!id) return { ok: false, note: 'consent without id ignored' };
  const status = str(resource, 'status');
  if (status !== 'active' && status !== 'inactive') return { ok: false, note: `consent with status ${status ?? 'none'} ignored` };
  const patientIdentifier = rec(rec(resource, 'patient'), 'identifier');
  const patientCpr = patientIdentifier && isPersonSystem(str(patientIdentifier, 'system')) ? (str(patientIdentifier, 'value')?.trim() ?? null) : null;
  if (!patientCpr) return { ok: false, note: 'consent without a person identifier ignored' };
  const provision = rec(resource, 'provision');
  if (!provision || str(provision, 'type') !== 'permit') return { ok: false, note: 'consent without a permit provision ignored' };
  const period = rec(provision, 'period');
  const validFrom = str(period, 'start') ?? str(resource, 'dateTime');
  if (!validFrom) return { ok: false, note: 'consent without a start ignored' };
  const withdrawnAt = status === 'inactive' ? (str(rec(resource, 'meta'), 'lastUpdated') ?? validFrom) : null;
  const recipients: string[] = [];
  const custodians: string[] = [];
  for (const actor of list(provision, 'actor')) {
    const role = codes(rec(actor, 'role'), CONSENT_SYSTEMS.participationType);
    const sor = sorOf(rec(actor, 'reference'));
    if (!sor) continue;
    if (role.includes(ACTOR_ROLE.recipient)) recipients.push(sor);
    if (role.includes(ACTOR_ROLE.custodian)) custodians.push(sor);
  }
  const purposes = list(provision, 'purpose').filter((c) => sameSystem(str(c, 'system'), CONSENT_SYSTEMS.purposeOfUse)).map((c) => str(c, 'code')).filter((c): c is string => c !== undefined);
  if (purposes.length === 0 || recipients.length === 0 || custodians.length === 0) {
    return { ok: false, note: 'consent without purposes, recipients or custodians ignored' };
  }
  const performer = list(resource, 'performer')[0];
  const performerType = str(performer, 'type') ?? str(performer, 'reference')?.split('/')[0];
  const relationship = performerType === 'RelatedPerson' ? 'custody-holder' : performerType === 'Patient' ? 'self' : 'unknown';
  const name = isRecord(performer) ? (str(performer, 'display') ?? null) : null;
  return {
    ok: true,
    patientCpr,
    consent: { id, givenBy: { relationship, name }, purposes, recipients, custodians, validFrom, validTo: str(period, 'end') ?? null, withdrawnAt },
  };
}
