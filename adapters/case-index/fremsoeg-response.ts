import { SourceRequestError } from '../source.js';
import { CPR_URN, CVR_URN, KLE_URN, ROLE } from './namespaces.js';
import { parseXmlTree } from './xml-tree.js';

/**
 * Fremsøg response -> index cases, or a classified failure. The XML is refused when it declares a
 * DTD (no entity tricks reach the parser), parsed strictly (not well-formed: refused), then read
 * by local name.
 * Values stay strings: a CPR or a case number keeps its leading zeros.
 */

export interface IndexCase {
  caseId: string;
  title: string | null;
  progress: { code: string; from: string | null; to: string | null }[];
  sensitivity: string | undefined;
  ownerCvr: string | null;
  ownerName: string | null;
  responsibleUnitName: string | null;
  caseworkerName: string | null;
  primaryPartyCpr: string | null;
  kle: string | null;
}

export type ParsedFremsoeg =
  | { kind: 'cases'; cases: IndexCase[] }
  | { kind: 'fault' }
  | { kind: 'status'; code: string };

export function parseFremsoegResponse(xml: string): ParsedFremsoeg {
  if (/<!DOCTYPE/i.test(xml)) throw new SourceRequestError('error', 'DTD not allowed');
  const doc: unknown = parseXmlTree(xml);
  const body = path(doc, 'Envelope', 'Body');
  if (body === undefined) throw new SourceRequestError('error', 'not a SOAP response');
  if (path(body, 'Fault') !== undefined) return { kind: 'fault' };
  const output = path(body, 'FremsoegResponse', 'FremsoegSagDokumentIndeksOutput') ?? path(body, 'FremsoegSagDokumentIndeksOutput');
  if (output === undefined) throw new SourceRequestError('error', 'not a Fremsøg response');
  const statusCode = text(path(output, 'StandardRetur', 'StatusKode'));
  if (statusCode && statusCode !== '20') return { kind: 'status', code: statusCode };
  return { kind: 'cases', cases: items(path(output, 'SagFiltreretOejebliksbillede')).map(readCase) };
}

/** True when a body is a SOAP Fault (a 500 from a SOAP service usually is). */
export function isSoapFault(xml: string): boolean {
  try {
    return parseFremsoegResponse(xml).kind === 'fault';
  } catch {
    return false;
  }
}

function readCase(snapshot: unknown): IndexCase {
  // The newest registration holds the current state.
  const reg = items(path(snapshot, 'Registrering')).at(-1);
  const props = path(reg, 'AttributListe', 'Egenskaber');
  const local = path(reg, 'AttributListe', 'LokalUdvidelseListe', 'Egenskaber');
  const relations = path(reg, 'RelationListe');
  const actors = items(path(relations, 'Sagsaktoer'));
  const owner = byRole(actors, ROLE.owner);
  const primaryClass = byRole(items(path(relations, 'Sagsklasse')), ROLE.primaryClass) ?? items(path(relations, 'Sagsklasse'))[0];
  const party = byRole(items(path(relations, 'Sagspart')), ROLE.primaryParty);
  const caseNumber = text(path(props, 'Sagsnummer')) ?? text(path(props, 'BrugervendtNoegle'));
  return {
    caseId: caseNumber ?? text(path(snapshot, 'ObjektType', 'UUIDIdentifikator')) ?? 'unknown',
    title: text(path(props, 'Titel')),
    progress: items(path(reg, 'TilstandListe', 'Fremdrift')).map((f) => ({
      code: text(path(f, 'FremdriftStatusKode')) ?? '',
      from: text(path(f, 'Virkning', 'FraTidspunkt', 'TidsstempelDatoTid')),
      to: text(path(f, 'Virkning', 'TilTidspunkt', 'TidsstempelDatoTid')),
    })),
    sensitivity: text(path(local, 'Foelsomhed')) ?? undefined,
    ownerCvr: text(path(owner, 'LokalUdvidelse', 'CVRNummer')) ?? urnValue(owner, CVR_URN),
    ownerName: text(path(owner, 'LokalUdvidelse', 'FuldtNavn')),
    responsibleUnitName: text(path(byRole(actors, ROLE.responsible), 'LokalUdvidelse', 'FuldtNavn')),
    caseworkerName: text(path(byRole(actors, ROLE.caseworker), 'LokalUdvidelse', 'FuldtNavn')),
    primaryPartyCpr: urnValue(party, CPR_URN),
    kle:
      text(path(primaryClass, 'LokalUdvidelse', 'BrugervendtNoegle')) ??
      urnValue(primaryClass, KLE_URN) ??
      (caseNumber ? (/^(\d{2}\.\d{2}\.\d{2})/.exec(caseNumber)?.[1] ?? null) : null),
  };
}

function byRole(relations: unknown[], role: string): unknown {
  return relations.find((r) => {
    const urn = text(path(r, 'Rolle', 'URNIdentifikator')) ?? text(path(r, 'Rolle', 'Label')) ?? '';
    return urn.toLowerCase().split(':').at(-1) === role;
  });
}

function urnValue(relation: unknown, prefix: string): string | null {
  const urn = text(path(relation, 'ReferenceID', 'URNIdentifikator'));
  return urn && urn.toLowerCase().startsWith(prefix) ? urn.slice(prefix.length).trim() : null;
}

function path(node: unknown, ...keys: string[]): unknown {
  let cur = node;
  for (const key of keys) {
    if (Array.isArray(cur)) cur = cur[0];
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function items(node: unknown): unknown[] {
  if (node === undefined || node === null || node === '') return [];
  return Array.isArray(node) ? node : [node];
}

function text(node: unknown): string | null {
  if (Array.isArray(node)) return text(node[0]);
  if (typeof node === 'string') return node.trim() === '' ? null : node.trim();
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return null;
}
