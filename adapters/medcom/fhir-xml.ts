import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { MedComFormatError, XmlSecurityError } from './errors.js';
import { isRepeatingElement, primitiveFromXml } from './fhir-repeating-elements.js';
import { isObject, type JsonObject, type JsonValue } from './json.js';
import { childElements, parseXml, serializeXml, type XmlElement } from './xml-document.js';

export const FHIR_NS = 'http://hl7.org/fhir';
export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

export interface FhirXmlReadResult {
  readonly resource: JsonObject;
  /** Oddities of the encoding (BOM, a wrong encoding declaration); never content. */
  readonly notes: string[];
}

/** Reads FHIR XML (bytes or text) into the FHIR JSON shape. Refuses DTDs and entity declarations. */
export function fhirXmlToJson(input: Uint8Array | string): FhirXmlReadResult {
  const { root, notes } = parseXml(input);
  return { resource: fhirXmlRootToJson(root), notes };
}

/** The FHIR JSON shape of an already parsed FHIR XML resource. */
export function fhirXmlRootToJson(root: XmlElement): JsonObject {
  if (root.ns !== FHIR_NS) throw new MedComFormatError('not-fhir-xml', 'the XML root is not in the FHIR namespace');
  return resourceFromXml(root);
}

function resourceFromXml(element: XmlElement): JsonObject {
  const out: JsonObject = { resourceType: element.name };
  readChildren(element, out, element.name, true);
  return out;
}

function readChildren(element: XmlElement, out: JsonObject, parentName: string, parentIsResource: boolean): void {
  for (const child of childElements(element)) {
    const name = child.name;
    if (name === 'div' && child.ns === XHTML_NS) {
      out['div'] = serializeXml(child);
      continue;
    }
    if (child.ns !== FHIR_NS) continue;
    const repeats = isRepeatingElement(name, parentName, parentIsResource);
    const rawValue = child.attrs['value'];
    if (rawValue !== undefined) {
      const primitive = primitiveFromXml(name, rawValue);
      const extra = primitiveExtras(child);
      if (repeats) {
        const list = ensureArray(out, name);
        const index = list.length;
        list.push(primitive);
        const existing = out[`_${name}`];
        if (extra || Array.isArray(existing)) {
          // FHIR JSON keeps _name aligned with name, null where an item has no id or extension.
          const extras = ensureArray(out, `_${name}`);
          while (extras.length < index) extras.push(null);
          extras[index] = extra ?? null;
        }
      } else {
        out[name] = primitive;
        if (extra) out[`_${name}`] = extra;
      }
      continue;
    }
    let value: JsonObject;
    if (name === 'resource' || name === 'contained') {
      const inner = childElements(child)[0];
      if (!inner) continue;
      value = resourceFromXml(inner);
    } else {
      value = {};
      if (child.attrs['id'] !== undefined) value['id'] = child.attrs['id'];
      if (child.attrs['url'] !== undefined) value['url'] = child.attrs['url'];
      readChildren(child, value, name, false);
    }
    if (repeats) ensureArray(out, name).push(value);
    else out[name] = value;
  }
}

function primitiveExtras(element: XmlElement): JsonObject | undefined {
  const extensions = childElements(element, 'extension');
  const id = element.attrs['id'];
  if (extensions.length === 0 && id === undefined) return undefined;
  const extra: JsonObject = {};
  if (id !== undefined) extra['id'] = id;
  if (extensions.length > 0) readChildren(element, extra, element.name, false);
  return extra;
}

function ensureArray(out: JsonObject, name: string): JsonValue[] {
  const existing = out[name];
  if (Array.isArray(existing)) return existing;
  const list: JsonValue[] = [];
  out[name] = list;
  return list;
}

const RESOURCE_HEAD = ['id', 'meta', 'implicitRules', 'language', 'text', 'contained', 'extension', 'modifierExtension'];
const ELEMENT_HEAD = ['extension', 'modifierExtension'];

/** Serializes a FHIR JSON resource (e.g. our Bundle) to FHIR XML, for receivers configured for XML. */
export function fhirJsonToXml(resource: JsonObject, options: { prettyPrint?: boolean } = {}): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  writeResource(doc, resource);
  const xml = doc.end({ prettyPrint: options.prettyPrint ?? false });
  // xmlbuilder2 writes line breaks in attributes literally, and parsers turn those into spaces;
  // FHIR wants &#xA; there. Values carry a marker for them, swapped for character references here.
  return xml.replace(LINE_BREAK_MARKER_PATTERN, (m) => LINE_BREAK_REFERENCE[m] ?? m);
}

// Private-use characters (not allowed to occur in our values, see attributeValue) mark breaks.
const LINE_BREAK_MARKER: Readonly<Record<string, string>> = { '\n': '\uf8f0', '\r': '\uf8f1', '\t': '\uf8f2' };
const LINE_BREAK_REFERENCE: Readonly<Record<string, string>> = { '\uf8f0': '&#xA;', '\uf8f1': '&#xD;', '\uf8f2': '&#x9;' };
const LINE_BREAK_MARKER_PATTERN = /[\uf8f0-\uf8f2]/g;

function attributeValue(value: string): string {
  if (/[\uf8f0-\uf8f2]/.test(value)) {
    throw new MedComFormatError('private-use-character', 'a value holds a private-use character that cannot be written');
  }
  return value.replace(/[\n\r\t]/g, (c) => LINE_BREAK_MARKER[c] ?? c);
}

function writeResource(parent: XMLBuilder, resource: JsonObject): void {
  const type = resource['resourceType'];
  if (typeof type !== 'string' || !/^[A-Z][A-Za-z]+$/.test(type)) {
    throw new MedComFormatError('no-resource-type', 'a resource without a valid resourceType cannot be written as XML');
  }
  const element = parent.ele(FHIR_NS, type);
  writeChildren(element, resource, true, type);
}

function orderedKeys(value: JsonObject, isResource: boolean): string[] {
  const head = isResource ? RESOURCE_HEAD : ELEMENT_HEAD;
  const keys = Object.keys(value).filter((k) => !k.startsWith('_') && k !== 'resourceType');
  return [...head.filter((k) => keys.includes(k)), ...keys.filter((k) => !head.includes(k))];
}

function writeChildren(element: XMLBuilder, value: JsonObject, isResource: boolean, elementName: string): void {
  for (const key of orderedKeys(value, isResource)) {
    if (!isResource && key === 'id') continue; // an attribute on elements
    if (key === 'url' && (elementName === 'extension' || elementName === 'modifierExtension')) continue;
    const raw = value[key];
    if (raw === undefined || raw === null) continue;
    const items = Array.isArray(raw) ? raw : [raw];
    const extrasRaw = value[`_${key}`];
    const extras = Array.isArray(extrasRaw) ? extrasRaw : [extrasRaw];
    items.forEach((item, index) => {
      if (key === 'div' && typeof item === 'string') {
        writeNarrative(element, item);
        return;
      }
      if (item === null) return;
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const child = element.ele(key).att('value', attributeValue(String(item)));
        const extra = extras[index];
        if (isObject(extra)) writeElementBody(child, extra, key);
        return;
      }
      if (Array.isArray(item)) return;
      const child = element.ele(key);
      if (typeof item['resourceType'] === 'string') writeResource(child, item);
      else writeElementBody(child, item, key);
    });
  }
}

function writeElementBody(child: XMLBuilder, item: JsonObject, name: string): void {
  if (typeof item['id'] === 'string') child.att('id', item['id']);
  if ((name === 'extension' || name === 'modifierExtension') && typeof item['url'] === 'string') {
    child.att('url', item['url']);
  }
  writeChildren(child, item, false, name);
}

function writeNarrative(parent: XMLBuilder, div: string): void {
  // The narrative is XHTML we import as a fragment; declarations there are refused like anywhere else.
  if (/<!/.test(div)) throw new XmlSecurityError('narrative with a declaration or CDATA is refused');
  const xhtml = div.includes('xmlns=') ? div : div.replace(/^<div/, `<div xmlns="${XHTML_NS}"`);
  try {
    parent.import(create(xhtml));
  } catch {
    throw new MedComFormatError('narrative-not-xhtml', 'the narrative is not well-formed XHTML');
  }
}
