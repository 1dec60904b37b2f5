import { SaxesParser } from 'saxes';
import { XmlLimitError, XmlParseError, XmlSecurityError } from './errors.js';

/** A parsed XML element: local name, namespace, attributes by qualified name, children in order. */
export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly qname: string;
  readonly ns: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlNode[];
}
export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
}
export type XmlNode = XmlElement | XmlText;

export interface DecodedXml {
  readonly text: string;
  /** What was odd about the bytes (BOM, a declared encoding that the bytes contradict). */
  readonly notes: string[];
}

const DECLARED_ENCODING = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i;

/**
 * Bytes to text. Real senders declare iso-8859-1 on UTF-8 bytes, so valid UTF-8 wins over the
 * declaration; bytes that are not UTF-8 are read as latin-1 only when so declared.
 */
export function decodeXmlBytes(input: Uint8Array | string): DecodedXml {
  const notes: string[] = [];
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const head = new TextDecoder('latin1').decode(input.subarray(0, 200));
    const declared = DECLARED_ENCODING.exec(head.replace(/^\u00ef\u00bb\u00bf/, ''))?.[1]?.toLowerCase();
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
      if (declared && declared !== 'utf-8' && declared !== 'utf8') {
        notes.push(`declared encoding ${declared} but the bytes are UTF-8; read as UTF-8`);
      }
    } catch {
      if (declared === 'iso-8859-1' || declared === 'latin1' || declared === 'windows-1252') {
        text = new TextDecoder('latin1').decode(input);
      } else {
        throw new XmlParseError('the XML bytes are neither UTF-8 nor a declared ISO-8859-1 encoding');
      }
    }
  }
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    notes.push('byte-order mark removed');
  }
  return { text, notes };
}

/** Refuses any document type or entity declaration before parsing: nothing is fetched or expanded. */
export function assertNoDtd(text: string): void {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text) || /<!ELEMENT/i.test(text) || /<!ATTLIST/i.test(text)) {
    throw new XmlSecurityError('XML with a DOCTYPE or entity declaration is refused');
  }
}

export interface XmlLimits {
  /** Element nesting (default 64; a CareCommunication with its narrative needs about 15). */
  readonly maxDepth?: number;
  /** Elements and text nodes in all (default 50,000; a message has a few thousand; attachments are attribute values, not nodes). */
  readonly maxNodes?: number;
}

export const DEFAULT_XML_LIMITS = { maxDepth: 64, maxNodes: 50_000 } as const;

/**
 * Parses XML text into an element tree with a namespace-aware, non-validating parser. The tree is
 * bounded: past `maxDepth` or `maxNodes` parsing stops with XmlLimitError, so a body of tiny
 * elements cannot become gigabytes of tree, nor deep nesting exhaust the stack of a tree walk.
 */
export function parseXml(input: Uint8Array | string, limits: XmlLimits = {}): { root: XmlElement; notes: string[] } {
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const maxNodes = limits.maxNodes ?? DEFAULT_XML_LIMITS.maxNodes;
  let nodes = 0;
  const count = (): void => {
    nodes += 1;
    if (nodes > maxNodes) throw new XmlLimitError(`the XML holds more than ${maxNodes} nodes`);
  };
  const { text, notes } = decodeXmlBytes(input);
  assertNoDtd(text);
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.on('doctype', () => {
    failure ??= new XmlSecurityError('XML with a DOCTYPE or entity declaration is refused');
  });
  parser.on('opentag', (tag) => {
    count();
    if (stack.length >= maxDepth) throw new XmlLimitError(`the XML nests deeper than ${maxDepth} elements`);
    const attrs: Record<string, string> = {};
    for (const [qname, attr] of Object.entries(tag.attributes)) attrs[qname] = attr.value;
    const element: XmlElement = { kind: 'element', name: tag.local, qname: tag.name, ns: tag.uri, attrs, children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (t: string): void => {
    count();
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push({ kind: 'text', text: t });
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(text).close();
  } catch (err) {
    failure ??= err instanceof Error ? err : new Error('unknown');
  }
  if (failure instanceof XmlSecurityError || failure instanceof XmlLimitError) throw failure;
  if (failure || !root) throw new XmlParseError('the XML is not well-formed');
  return { root, notes };
}

export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (c): c is XmlElement => c.kind === 'element' && (name === undefined || c.name === name),
  );
}

export function textContent(element: XmlElement): string {
  return element.children.map((c) => (c.kind === 'text' ? c.text : textContent(c))).join('');
}

export function escapeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(value: string): string {
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;').replace(/\t/g, '&#x9;');
}

/** Serializes an element subtree back to XML text (used to keep FHIR narrative as an XHTML string). */
export function serializeXml(element: XmlElement, declareNs = true): string {
  const attrs = { ...element.attrs };
  if (declareNs && element.ns && !element.qname.includes(':')) attrs['xmlns'] = element.ns;
  const attrText = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`)
    .join('');
  if (element.children.length === 0) return `<${element.qname}${attrText}/>`;
  const inner = element.children
    .map((c) => (c.kind === 'text' ? escapeXmlText(c.text) : serializeXml(c, c.ns !== element.ns)))
    .join('');
  return `<${element.qname}${attrText}>${inner}</${element.qname}>`;
}
