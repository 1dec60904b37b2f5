/**
 * Test directory: organisation rows inserted straight into the `organisation` table (the SOR
 * import is not needed to test agreements). Insert before starting a broker, or reload its
 * directory cache afterwards.
 */
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { parseSorFile, toOrganisation } from '../../adapters/sor/index.js';
import type { Organisation } from '../../src/directory/model.js';
import { organisation as baseOrganisation } from './organisations.js';

export const NORTH_JUTLAND_XML = fileURLToPath(new URL('../../fixtures/sor/north-jutland.xml', import.meta.url));
const SNAPSHOT = '2026-11-23';

/** Every organisation in the North Jutland SOR fixture. */
export async function northJutlandOrganisations(): Promise<Organisation[]> {
  const out: Organisation[] = [];
  for await (const record of parseSorFile(NORTH_JUTLAND_XML)) out.push(toOrganisation(record, SNAPSHOT));
  return out;
}

/** A minimal organisation: only what the row needs; everything else null. */
export const organisation = (sor: string, parentSor: string | null, extra: Partial<Organisation> = {}): Organisation =>
  baseOrganisation(sor, parentSor, { name: `Organisation ${sor}`, validFrom: '2010-01-01', ...extra });

export async function insertOrganisations(db: Kysely<Database>, orgs: readonly Organisation[]): Promise<void> {
  const parents = new Map(orgs.map((o) => [o.sor, o.parentSor]));
  const pathOf = (sor: string): string => {
    const chain: string[] = [];
    for (let s: string | null | undefined = sor; s && !chain.includes(s); s = parents.get(s)) chain.unshift(s);
    return `/${chain.join('/')}/`;
  };
  const now = new Date();
  for (let i = 0; i < orgs.length; i += 200) {
    await db
      .insertInto('organisation')
      .values(
        orgs.slice(i, i + 200).map((o) => ({
          sor: o.sor,
          parent_sor: o.parentSor,
          level: o.level,
          name: o.name,
          unit_type: o.unitType,
          owner_type: o.ownerType,
          region_code: o.regionCode,
          municipality_code: o.municipalityCode,
          ydernummer: o.ydernummer,
          shak_code: o.shakCode,
          own_eans: [],
          valid_from: o.validFrom,
          valid_to: o.validTo,
          local: o.local,
          path: pathOf(o.sor),
          details: JSON.stringify({ addresses: [], phones: [], emails: [], websites: [], specialities: [], replacedBy: [], eans: [] }),
          content_hash: `test-${o.sor}`,
          removed_at: null,
          recorded_at: now,
        })),
      )
      .execute();
  }
}
