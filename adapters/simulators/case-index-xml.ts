import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { MUNICIPALITIES, organisationByKey } from './organisations.js';
import { CPR_URN, CVR_URN, declareNamespaces, KLE_URN, NS, ROLE_URN } from '../case-index/namespaces.js';
import type { DemoChild, DemoMunicipalCase } from './demo-data.js';

/** Fremsøg responses and SOAP Faults as the simulated case index sends them. Pure. */

export function fremsoegResponseXml(cases: { child: DemoChild; c: DemoMunicipalCase }[]): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const output = declareNamespaces(doc.ele(NS.soap, 'soap:Envelope'))
    .ele(NS.soap, 'soap:Body')
    .ele(NS.sdi, 'sdi:FremsoegResponse')
    .ele(NS.sdi, 'sdi:FremsoegSagDokumentIndeksOutput');
  const retur = output.ele(NS.sd, 'sd:StandardRetur');
  retur.ele(NS.sd, 'sd:StatusKode').txt('20');
  retur.ele(NS.sd, 'sd:FejlbeskedTekst').txt('OK');
  for (const { child, c } of cases) appendCase(output, child, c);
  return doc.end({ prettyPrint: true });
}

function appendCase(output: XMLBuilder, child: DemoChild, c: DemoMunicipalCase): void {
  const unit = organisationByKey(c.unit);
  const snapshot = output.ele(NS.sdi, 'sdi:SagFiltreretOejebliksbillede');
  snapshot.ele(NS.sag, 'sag:ObjektType').ele(NS.sd, 'sd:UUIDIdentifikator').txt(c.uuid);
  const reg = snapshot.ele(NS.sag, 'sag:Registrering');
  const attributes = reg.ele(NS.sag, 'sag:AttributListe');
  const props = attributes.ele(NS.sag, 'sag:Egenskaber');
  props.ele(NS.sd, 'sd:BrugervendtNoegle').txt(c.caseNumber);
  props.ele(NS.sag, 'sag:Sagsnummer').txt(c.caseNumber);
  props.ele(NS.sag, 'sag:Titel').txt(c.title);
  attributes.ele(NS.sag, 'sag:LokalUdvidelseListe').ele(NS.si, 'si:Egenskaber').ele(NS.si, 'si:Foelsomhed').txt(c.sensitivity);
  const states = reg.ele(NS.sag, 'sag:TilstandListe');
  for (const p of c.progress) {
    const progress = states.ele(NS.sag, 'sag:Fremdrift');
    const validity = progress.ele(NS.sd, 'sd:Virkning');
    validity.ele(NS.sd, 'sd:FraTidspunkt').ele(NS.sd, 'sd:TidsstempelDatoTid').txt(`${p.from}T00:00:00+01:00`);
    const to = validity.ele(NS.sd, 'sd:TilTidspunkt');
    if (p.to) to.ele(NS.sd, 'sd:TidsstempelDatoTid').txt(`${p.to}T00:00:00+01:00`);
    else to.ele(NS.sd, 'sd:GraenseIndikator').txt('true');
    progress.ele(NS.sag, 'sag:FremdriftStatusKode').txt(p.code);
  }
  const relations = reg.ele(NS.sag, 'sag:RelationListe');
  const cvr = unit.municipalityCvr ?? '';
  actor(relations, ROLE_URN.owner, `${CVR_URN}${cvr}`, { CVRNummer: cvr, FuldtNavn: municipalityName(cvr, unit.name) });
  actor(relations, ROLE_URN.responsible, `urn:oio:organisationenhed:${unit.key}`, { CVRNummer: cvr, FuldtNavn: unit.name });
  if (c.caseworker) actor(relations, ROLE_URN.caseworker, `urn:oio:bruger:${c.uuid}`, { CVRNummer: cvr, FuldtNavn: c.caseworker });
  const party = relations.ele(NS.sag, 'sag:Sagspart');
  party.ele(NS.sd, 'sd:Rolle').ele(NS.sd, 'sd:URNIdentifikator').txt(ROLE_URN.primaryParty);
  party.ele(NS.sd, 'sd:ReferenceID').ele(NS.sd, 'sd:URNIdentifikator').txt(`${CPR_URN}${child.cpr}`);
  party.ele(NS.sag, 'sag:LokalUdvidelse').ele(NS.si, 'si:FuldtNavn').txt(`${child.given} ${child.family}`);
  const cls = relations.ele(NS.sag, 'sag:Sagsklasse');
  cls.ele(NS.sd, 'sd:Rolle').ele(NS.sd, 'sd:URNIdentifikator').txt(ROLE_URN.primaryClass);
  cls.ele(NS.sd, 'sd:ReferenceID').ele(NS.sd, 'sd:URNIdentifikator').txt(`${KLE_URN}${c.kle}`);
  cls.ele(NS.sag, 'sag:LokalUdvidelse').ele(NS.si, 'si:BrugervendtNoegle').txt(c.kle);
}

function actor(relations: XMLBuilder, role: string, ref: string, ext: Record<string, string>): void {
  const a = relations.ele(NS.sag, 'sag:Sagsaktoer');
  a.ele(NS.sd, 'sd:Rolle').ele(NS.sd, 'sd:URNIdentifikator').txt(role);
  a.ele(NS.sd, 'sd:ReferenceID').ele(NS.sd, 'sd:URNIdentifikator').txt(ref);
  const local = a.ele(NS.sag, 'sag:LokalUdvidelse');
  for (const [k, v] of Object.entries(ext)) local.ele(NS.si, `si:${k}`).txt(v);
}

function municipalityName(cvr: string, fallback: string): string {
  return Object.values(MUNICIPALITIES).find((m) => m.cvr === cvr)?.name ?? fallback;
}

export function soapFaultXml(code: 'soap:Client' | 'soap:Server', message: string): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const fault = doc.ele(NS.soap, 'soap:Envelope').ele(NS.soap, 'soap:Body').ele(NS.soap, 'soap:Fault');
  fault.ele('faultcode').txt(code);
  fault.ele('faultstring').txt(message);
  return doc.end({ prettyPrint: true });
}
