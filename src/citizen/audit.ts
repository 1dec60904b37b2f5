import type { AuditActor } from '../audit/audit-event.js';
import type { CitizenCaller } from '../identity/caller.js';

/** A citizen as an audit actor: no organisation, their identity provider's subject; the CPR asked about is the record's patient. */
export function citizenActor(citizen: CitizenCaller): AuditActor {
  return {
    issuer: citizen.issuer,
    subject: citizen.subject,
    displayName: citizen.displayName,
    role: citizen.role,
    organisationSor: null,
    assurance: citizen.assurance,
    callingSystem: null,
  };
}
