/**
 * Request-field schemas shared by the API's capabilities, so that a CPR number or a SOR code is
 * validated, and refused, the same way everywhere. Messages name the rule, never the value.
 */
import { z } from '@hono/zod-openapi';
import { parsePersonIdentifier } from '../lookup/cpr.js';

export const sorCodeSchema = z.string().regex(/^\d{6,18}$/, 'must be a SOR code');

/** A CPR or replacement CPR number (format and date checked, not modulus 11): bodies only, never URLs. */
export const personIdentifierSchema = z
  .string()
  .max(20)
  .refine((v) => parsePersonIdentifier(v) !== null, 'must be a CPR number (DDMMYYSSSS, a real date) or a replacement CPR number');
