import { XmlLimitError, XmlParseError, XmlSecurityError } from './errors.js';
import { isObject } from './json.js';
import { childElements, parseXml, textContent, type XmlElement } from './xml-document.js';

export type MessageFormat = 'fhir-json' | 'fhir-xml' | 'vans-envelope' | 'legacy-oioxml' | 'unknown';

export interface DetectedFormat {
  readonly format: MessageFormat;
  /** Resource type for FHIR, statistical code for OIOXML (e.g. XDIS91, XCTL03), or why unknown. */
  readonly detail?: string;
}

export const VANS_NAMESPACE = 'urn:oio:medcom:vans-envelope:1.0.4';
const FHIR_NS = 'http://hl7.org/fhir';
/** OIOXML MedCom namespaces as the samples show them (…/sundcom.dk/medcom.dk/… and …/medcom.dk/…). */
const OIOXML_NS = /^http:\/\/rep\.oio\.dk\/(sundcom\.dk\/)?medcom\.dk\/xml\/schemas\//;

/** Identifies what a received payload is, without trusting any declared content type. */
export function detectMessageFormat(input: Uint8Array | string): DetectedFormat {
  const text = (typeof input === 'string' ? input : Buffer.from(input).toString('utf8')).replace(/^\ufeff/, '');
  const start = text.trimStart();
  if (start.startsWith('{')) {
    try {
      const json: unknown = JSON.parse(start);
      if (isObject(json) && typeof json['resourceType'] === 'string') return { format: 'fhir-json', detail: json['resourceType'] };
      return { format: 'unknown', detail: 'json-without-resource-type' };
    } catch {
      return { format: 'unknown', detail: 'malformed-json' };
    }
  }
  if (!start.startsWith('<')) return { format: 'unknown', detail: 'neither-json-nor-xml' };
  let root: XmlElement;
  try {
    root = parseXml(input).root;
  } catch (err) {
    if (err instanceof XmlSecurityError || err instanceof XmlParseError || err instanceof XmlLimitError) return { format: 'unknown', detail: err.code };
    throw err;
  }
  return classifyXmlRoot(root);
}

/** What an already parsed XML message is, by its root element (so a caller parses the bytes once). */
export function classifyXmlRoot(root: XmlElement): DetectedFormat {
  if (root.ns === FHIR_NS) return { format: 'fhir-xml', detail: root.name };
  if (root.ns === VANS_NAMESPACE && root.name === 'VANSEnvelope') return { format: 'vans-envelope' };
  if (root.name === 'Emessage' && OIOXML_NS.test(root.ns)) {
    return { format: 'legacy-oioxml', detail: oioxmlStatisticalCode(root) };
  }
  return { format: 'unknown', detail: 'unrecognised-xml-root' };
}

/** The StatisticalCode of an OIOXML Emessage's letter (XDIS91, XCTL03, XDIS22 …), or the body element's name. */
function oioxmlStatisticalCode(root: XmlElement): string | undefined {
  const body = childElements(root).find((e) => e.name !== 'Envelope');
  const letter = body ? childElements(body, 'Letter')[0] : undefined;
  const code = letter ? childElements(letter, 'StatisticalCode')[0] : undefined;
  return code ? textContent(code).trim() : body?.name;
}
