// Test support (never built into dist): reads the byte-exact MedCom samples in fixtures/medcom.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fhirXmlToJson } from '../../adapters/medcom/fhir-xml.js';
import { isObject, type JsonObject } from '../../adapters/medcom/json.js';

const dir = fileURLToPath(new URL('../../fixtures/medcom/', import.meta.url));

export function fixtureBytes(name: string): Buffer {
  return readFileSync(`${dir}${name}`);
}

export function fixtureBundle(name: string): JsonObject {
  if (name.endsWith('.xml')) return fhirXmlToJson(fixtureBytes(name)).resource;
  const json: unknown = JSON.parse(fixtureBytes(name).toString('utf8'));
  if (!isObject(json)) throw new Error(`fixture ${name} is not a JSON object`);
  return json;
}

export const CARE_COMMUNICATION_SAMPLES = [
  'EG_Clinea.json',
  'Systematic_ColumnaCura.json',
  'Systematic_ColumnaCis.xml',
  'Flow1-CareCommunication_Ex_from_OIOXML.xml',
] as const;

export const ACKNOWLEDGEMENT_SAMPLES = [
  'ack/Ack_3.3.1.1_A-AA.xml',
  'ack/Ack_3.3.2.1_A_AE.xml',
  'ack/Ack_3.4.4_A_AE.json',
  'Flow2-Acknowledgement_Ex_to_OIOXML.xml',
] as const;

/** Deterministic UUIDs for builders: v4-shaped, counting up. */
export function sequentialIds(prefix = 'a'): () => string {
  let n = 0;
  return () => {
    n += 1;
    const hex = n.toString(16).padStart(12, '0');
    return `${prefix.repeat(8).slice(0, 8)}-0000-4000-8000-${hex}`;
  };
}

export const fixedClock = (): Date => new Date('2026-11-23T10:00:00Z');

/** MedCom's CareCommunication 5.0 test-protocol examples (fixtures/medcom/testprotocol, see its README). */
export function protocolExampleName(direction: 'receive' | 'send', id: string): string {
  const files = readdirSync(`${dir}testprotocol/${direction}`);
  const found = files.find((f) => f.startsWith(`Bundle-${id}-`));
  if (!found) throw new Error(`no test-protocol example ${id}`);
  return `testprotocol/${direction}/${found}`;
}
