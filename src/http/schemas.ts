/**
 * Request-field schemas shared by the API's capabilities, so that a CPR number or a SOR code is
 * validated, and refused, the same way everywhere. Messages name the rule, never the value.
 */
import { z } from '@hono/zod-openapi';
import { isOrganisationCode, parsePersonIdentifier } from '../../domain/identifiers.js';

const canonicalAs = (kind: 'cpr' | 'replacement-cpr') => (v: string): boolean => {
  const parsed = parsePersonIdentifier(v);
  return parsed?.kind === kind && parsed.value === v;
};

/** A SOR code, or the code of a municipality's local unit. */
export const sorCodeSchema = z.string().refine(isOrganisationCode, 'must be a SOR code');

/** A CPR or replacement CPR number (format and date checked, not modulus 11): bodies only, never URLs. */
export const personIdentifierSchema = z
  .string()
  .max(20)
  .refine((v) => parsePersonIdentifier(v) !== null, 'must be a CPR number (DDMMYYSSSS, a real date) or a replacement CPR number');

/** A CPR number exactly as it is stored and sent: ten digits, a real date. */
export const cprSchema = z.string().max(10).refine(canonicalAs('cpr'), 'must be a CPR number (DDMMYYSSSS, a real date)');

/** A replacement CPR number exactly as it is stored and sent (upper case). */
export const replacementCprSchema = z.string().max(10).refine(canonicalAs('replacement-cpr'), 'must be a replacement CPR number (a real day and month, then four digits or capital letters, one at least a letter)');

/** A CPR or replacement CPR number in its canonical form, as it is stored. */
export const storedPersonIdentifierSchema = z
  .string()
  .max(10)
  .refine((v) => canonicalAs('cpr')(v) || canonicalAs('replacement-cpr')(v), 'must be a CPR or replacement CPR number, ten characters');
