import { create } from 'xmlbuilder2';
import { CPR_URN, declareNamespaces, KLE_URN, NS, ROLE_URN } from './namespaces.js';

/**
 * SOAP 1.1 envelope for Fremsøg: cases whose primary party is the child, restricted to the KLE
 * numbers configured for the source (PPR, children/family). The CPR travels only in the body.
 */
export interface FremsoegQuery {
  cpr: string;
  kle: readonly string[];
  /** The authority the call is made for (AuthorityContext), when the platform requires one. */
  municipalityCvr?: string;
  maxResults?: number;
}

export function buildFremsoegRequest(q: FremsoegQuery): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const envelope = declareNamespaces(doc.ele(NS.soap, 'soap:Envelope'));
  const header = envelope.ele(NS.soap, 'soap:Header');
  if (q.municipalityCvr) {
    header.ele(NS.ac, 'ac:AuthorityContext').ele(NS.ac, 'ac:MunicipalityCVR').txt(q.municipalityCvr);
  }
  const input = envelope
    .ele(NS.soap, 'soap:Body')
    .ele(NS.sdi, 'sdi:FremsoegRequest')
    .ele(NS.sdi, 'sdi:FremsoegSagDokumentIndeksInput');
  const search = input.ele(NS.sdi, 'sdi:SoegUdtryk').ele(NS.sdi, 'sdi:SoegSag');
  const relations = search.ele(NS.sag, 'sag:RelationListe');
  const party = relations.ele(NS.sag, 'sag:Sagspart');
  party.ele(NS.sd, 'sd:Rolle').ele(NS.sd, 'sd:URNIdentifikator').txt(ROLE_URN.primaryParty);
  party.ele(NS.sd, 'sd:ReferenceID').ele(NS.sd, 'sd:URNIdentifikator').txt(`${CPR_URN}${q.cpr}`);
  for (const kle of q.kle) {
    const cls = relations.ele(NS.sag, 'sag:Sagsklasse');
    cls.ele(NS.sd, 'sd:Rolle').ele(NS.sd, 'sd:URNIdentifikator').txt(ROLE_URN.primaryClass);
    cls.ele(NS.sd, 'sd:ReferenceID').ele(NS.sd, 'sd:URNIdentifikator').txt(`${KLE_URN}${kle}`);
  }
  const filter = input.ele(NS.sdi, 'sdi:Filter');
  for (const vis of ['sagspart', 'fremdrift', 'sagsaktoer', 'sagsklasse']) {
    filter.ele(NS.sdi, 'sdi:SagVis').ele(NS.sdi, 'sdi:Vis').txt(vis);
  }
  input.ele(NS.sdi, 'sdi:MaksimalAntalKvantitet').txt(String(q.maxResults ?? 100));
  return doc.end({ prettyPrint: false });
}
