import { SaxesParser } from 'saxes';
import { SourceRequestError } from '../source.js';

/**
 * A SOAP response as a plain tree keyed by local element name (namespace prefixes dropped,
 * attributes ignored, text trimmed; a name that repeats becomes an array). Read with saxes, a
 * streaming parser that expands no entities beyond XML's own five and fetches nothing; a DOCTYPE
 * is refused outright. Four to five times cheaper than the DOM-style parser it replaced, which
 * mattered: every lookup parses two of these.
 */
export type XmlTree = { [name: string]: XmlTree | string | Array<XmlTree | string> };

interface Frame {
  readonly tree: XmlTree;
  readonly name: string;
  text: string;
  hasChildren: boolean;
}

export function parseXmlTree(xml: string): XmlTree {
  const parser = new SaxesParser();
  const root: XmlTree = {};
  const stack: Frame[] = [{ tree: root, name: '', text: '', hasChildren: true }];
  const top = () => stack[stack.length - 1] as Frame;
  parser.on('doctype', () => {
    throw new SourceRequestError('error', 'DTD not allowed');
  });
  parser.on('opentag', (tag) => {
    top().hasChildren = true;
    stack.push({ tree: {}, name: tag.name.slice(tag.name.indexOf(':') + 1), text: '', hasChildren: false });
  });
  parser.on('text', (text) => {
    top().text += text;
  });
  parser.on('cdata', (text) => {
    top().text += text;
  });
  parser.on('closetag', () => {
    const frame = stack.pop() as Frame;
    const parent = top().tree;
    const value = frame.hasChildren ? frame.tree : frame.text.trim();
    const existing = parent[frame.name];
    if (existing === undefined) parent[frame.name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else parent[frame.name] = [existing, value];
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof SourceRequestError) throw error;
    throw new SourceRequestError('error', 'malformed XML');
  }
  return root;
}
