/**
 * Names modelled on KOMBIT's SF1470 Sags- og dokumentindeks, version 6 (OIO SagDok 3.0 base types,
 * `oio.sts.sagdok.sag._6`, `sagdokumentindeks._6`). The parser matches local names, so a source that
 * uses other prefixes or the 1.2.4 namespaces is read the same way.
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  sdi: 'urn:oio:sts:sagdok:sagdokumentindeks:6',
  sag: 'urn:oio:sts:sagdok:sag:6',
  si: 'urn:oio:sts:sagdok:sagindeks:6',
  sd: 'urn:oio:sagdok:3.0.0',
  ac: 'http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/',
} as const;

export const FREMSOEG_SOAP_ACTION = 'http://serviceplatformen.dk/xml/wsdl/soap11/SagDokumentIndeks/6/fremsoeg';

/** URN prefixes for references: parties by CPR, authorities by CVR, classes by KLE number. */
export const CPR_URN = 'urn:oio:cpr-nr:';
export const CVR_URN = 'urn:oio:cvr-nr:';
export const KLE_URN = 'urn:oio:kle:';

/** Role URNs end in these names (SagDok roles; the real index uses role UUIDs with these labels). */
export const ROLE = {
  owner: 'ejer',
  responsible: 'ansvarlig',
  caseworker: 'primaerbehandler',
  primaryParty: 'primaerpart',
  primaryClass: 'primaerklasse',
} as const;
export const ROLE_URN = {
  owner: 'urn:oio:sagdok:sagsaktoerrolle:ejer',
  responsible: 'urn:oio:sagdok:sagsaktoerrolle:ansvarlig',
  caseworker: 'urn:oio:sagdok:sagsaktoerrolle:primaerbehandler',
  primaryParty: 'urn:oio:sagdok:sagspartrolle:primaerpart',
  primaryClass: 'urn:oio:sagdok:sagsklasserolle:primaerklasse',
} as const;

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Declares every prefix once on the envelope, instead of on each element. */
export function declareNamespaces<T extends { att(ns: string, name: string, value: string): T }>(envelope: T): T {
  for (const [prefix, uri] of Object.entries(NS)) {
    if (prefix !== 'soap') envelope.att(XMLNS, `xmlns:${prefix}`, uri);
  }
  return envelope;
}
