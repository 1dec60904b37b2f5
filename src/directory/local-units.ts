/**
 * Local municipal units: PPR and children/family departments are often not in SOR, yet they
 * must be parties to agreements and receive correspondence. An administrator registers them
 * below the municipality's SOR entity; they are marked local and SOR imports leave them alone.
 * A local unit may only carry a municipal unit type (local-unit-types.ts), and every
 * registration and closure is audited in the same transaction as the change.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { isValidGln, localUnitCode } from '../../domain/identifiers.js';
import type { Database, OrganisationDetails } from '../../db/schema/index.js';
import type { AuditActor } from '../audit/audit-event.js';
import type { DirectoryChangeRecord } from '../audit/audit-record.js';
import { appendAuditInTransaction } from '../audit/audit-writer.js';
import { ProblemError } from '../http/problem.js';
import { MUNICIPAL_LOCAL_UNIT_TYPES, isMunicipalLocalUnitType } from './local-unit-types.js';

export interface LocalUnitInput {
  readonly parentSor: string;
  readonly name: string;
  /** A municipal unit type: a SOR (SNOMED CT) code or broker code from MUNICIPAL_LOCAL_UNIT_TYPES. */
  readonly unitType: string;
  readonly municipalityCode: string;
  readonly kombitOrganisationUuid?: string | null | undefined;
  readonly ean?: string | null | undefined;
  readonly phones?: readonly string[] | undefined;
  readonly emails?: readonly string[] | undefined;
  readonly address?: { street?: string | null; postalCode?: string | null; district?: string | null } | null | undefined;
  readonly validFrom?: string | undefined;
}

/** Local codes: 18 digits starting 99, outside SOR's namespace so they can never collide. */
export const isLocalUnitCode = (sor: string) => /^99\d{16}$/.test(sor);

const invalid = (detail: string) => new ProblemError(422, 'local-unit-invalid', 'Local unit not valid', { detail });

/** Who registers or closes a unit: the verified caller, as checked and as audited. */
export interface LocalUnitActor {
  readonly by: string;
  readonly actingOrganisation: string;
  readonly within: (sor: string, root: string) => boolean;
  readonly audit: AuditActor;
  readonly requestId: string | null;
}

function detailsOf(input: LocalUnitInput): OrganisationDetails {
  return {
    addresses: input.address
      ? [{ kind: 'postal', street: input.address.street ?? null, postalCode: input.address.postalCode ?? null, district: input.address.district ?? null, municipalityCode: input.municipalityCode, countryCode: 'DK' }]
      : [],
    phones: [...(input.phones ?? [])],
    emails: [...(input.emails ?? [])],
    websites: [],
    specialities: [],
    replacedBy: [],
    eans: input.ean ? [{ ean: input.ean, systemSupplier: null, ediAdministrator: null, onlyInternal: null, nonActive: null, validFrom: null, validTo: null }] : [],
    kombitOrganisationUuid: input.kombitOrganisationUuid ?? null,
  };
}

export async function registerLocalUnit(
  db: Kysely<Database>,
  input: LocalUnitInput,
  actor: LocalUnitActor,
  at: Date = new Date(),
): Promise<string> {
  if (input.ean && !isValidGln(input.ean)) throw invalid('ean is not a valid GLN (GS1 check digit)');
  if (!isMunicipalLocalUnitType(input.unitType)) {
    throw invalid(`unitType must be a municipal unit type: ${MUNICIPAL_LOCAL_UNIT_TYPES.map((t) => t.code).join(', ')}`);
  }
  return db.transaction().execute(async (trx) => {
    const parent = await trx.selectFrom('organisation').selectAll().where('sor', '=', input.parentSor).executeTakeFirst();
    if (!parent || parent.removed_at) throw invalid('parentSor is not an organisation in the directory');
    const ancestorCodes = parent.path.split('/').filter(Boolean);
    const owner = await trx
      .selectFrom('organisation')
      .select(['sor', 'owner_type', 'municipality_code'])
      .where('sor', '=', ancestorCodes[0] ?? parent.sor)
      .executeTakeFirst();
    if (owner?.owner_type !== 'municipality') throw invalid('local units are registered below a municipality');
    // Deny by default: only an administrator acting for that municipality may add to it.
    if (!actor.within(actor.actingOrganisation, owner.sor)) {
      throw new ProblemError(403, 'access-denied', 'Not allowed', { detail: "only the municipality's own administrators may register units below it" });
    }
    // Another municipality's kommunekode would put the unit under that municipality's unit-type selectors.
    if (owner.municipality_code !== null && input.municipalityCode !== owner.municipality_code) {
      throw invalid("municipalityCode must be the owning municipality's own kommunekode");
    }
    const { n } = (await sql<{ n: string }>`select nextval('local_unit_seq')::text as n`.execute(trx)).rows[0] as { n: string };
    const sor = localUnitCode(n);
    const details = detailsOf(input);
    const record = { sor, parentSor: parent.sor, name: input.name, unitType: input.unitType, municipalityCode: input.municipalityCode, local: true, ...details };
    await trx
      .insertInto('organisation')
      .values({
        sor, parent_sor: parent.sor, level: 'organisational-unit', name: input.name, unit_type: input.unitType,
        owner_type: 'municipality', region_code: parent.region_code, municipality_code: input.municipalityCode,
        ydernummer: null, shak_code: null, own_eans: input.ean ? [input.ean] : [],
        valid_from: input.validFrom ?? at.toISOString().slice(0, 10), valid_to: null, local: true,
        path: `${parent.path}${sor}/`, details: JSON.stringify(details),
        content_hash: createHash('sha256').update(JSON.stringify(record)).digest('base64url'), recorded_at: at,
      })
      .execute();
    await trx
      .insertInto('organisation_version')
      .values({ sor, change: 'added', recorded_from: at, import_id: null, changed_by: actor.by, record: JSON.stringify(record) })
      .execute();
    await appendAuditInTransaction(
      trx,
      directoryChange(actor, at, {
        change: 'local-unit-registered', sor, parentSor: parent.sor, municipalitySor: owner.sor, name: input.name,
        unitType: input.unitType, municipalityCode: input.municipalityCode, validFrom: input.validFrom ?? at.toISOString().slice(0, 10),
      }),
    );
    return sor;
  });
}

export async function closeLocalUnit(
  db: Kysely<Database>,
  sor: string,
  validTo: string,
  actor: LocalUnitActor,
  at: Date = new Date(),
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('organisation').selectAll().where('sor', '=', sor).executeTakeFirst();
    if (!row?.local) throw new ProblemError(404, 'not-found', 'Not found', { detail: 'no local unit with this code' });
    const owner = row.path.split('/').filter(Boolean)[0] ?? sor;
    if (!actor.within(actor.actingOrganisation, owner)) {
      throw new ProblemError(403, 'access-denied', 'Not allowed', { detail: "only the municipality's own administrators may close its units" });
    }
    if (validTo < row.valid_from) throw invalid('validTo is before the unit became valid');
    await trx.updateTable('organisation_version').set({ recorded_to: at }).where('sor', '=', sor).where('recorded_to', 'is', null).execute();
    await trx
      .insertInto('organisation_version')
      .values({ sor, change: 'changed', recorded_from: at, import_id: null, changed_by: actor.by, record: JSON.stringify({ sor, name: row.name, local: true, validTo }) })
      .execute();
    await trx.updateTable('organisation').set({ valid_to: validTo, recorded_at: at }).where('sor', '=', sor).execute();
    await appendAuditInTransaction(
      trx,
      directoryChange(actor, at, { change: 'local-unit-closed', sor, municipalitySor: owner, name: row.name, unitType: row.unit_type, validTo }),
    );
  });
}

/** The audit record of a local-unit change; written in the change's own transaction. */
function directoryChange(actor: LocalUnitActor, at: Date, details: DirectoryChangeRecord['details']): DirectoryChangeRecord {
  return {
    kind: 'directory-change',
    outcome: 'success',
    occurredAt: at,
    requestId: actor.requestId,
    actor: actor.audit,
    purpose: null,
    reason: null,
    patientCpr: null,
    details,
  };
}
