import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { XmlLimitError, XmlParseError, XmlSecurityError } from './errors.js';
import { fhirXmlToJson } from './fhir-xml.js';
import { fixtureBytes } from '../../test/helpers/medcom-samples.js';
import { childElements, decodeXmlBytes, parseXml, textContent } from './xml-document.js';

describe('XML safety', () => {
  let server: Server;
  let hits = 0;
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      res.end('<!ENTITY leak "fetched">');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/evil.dtd`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses an external entity and fetches nothing', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const xml = `<?xml version="1.0"?><!DOCTYPE Bundle [<!ENTITY xxe SYSTEM "${url}">]><Bundle xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Bundle>`;
    expect(() => fhirXmlToJson(xml)).toThrow(XmlSecurityError);
    expect(() => parseXml(Buffer.from(xml))).toThrow(XmlSecurityError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hits).toBe(0);
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });

  it('refuses an external DTD reference without internal subset', () => {
    const xml = `<!DOCTYPE Bundle SYSTEM "${url}"><Bundle xmlns="http://hl7.org/fhir"/>`;
    expect(() => parseXml(xml)).toThrow(XmlSecurityError);
  });

  it('refuses entity-expansion bombs before expanding anything', () => {
    const xml =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(() => parseXml(xml)).toThrow(XmlSecurityError);
  });

  it('reports malformed XML with a typed error that echoes no content', () => {
    try {
      parseXml('<Bundle><id value="2509479989"></Bundle>');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(XmlParseError);
      expect(String(err)).not.toContain('2509479989');
    }
  });
});

describe('decoding XML bytes', () => {
  it('reads UTF-8 bytes declared as iso-8859-1 as UTF-8 and notes the mismatch', () => {
    const { root, notes } = parseXml(fixtureBytes('Flow1-XDIS91_Ex_to_FHIR.xml'));
    expect(root.name).toBe('Emessage');
    const text = JSON.stringify(root);
    expect(text).toContain('Hindb\u00e6rvej');
    expect(text).not.toContain('\u00c3'); // no mojibake from decoding UTF-8 as latin-1
    expect(notes.join(' ')).toMatch(/declared encoding iso-8859-1/);
  });

  it('reads real ISO-8859-1 bytes when so declared', () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>Hiller\u00f8d</a>', 'latin1');
    expect(textContent(parseXml(bytes).root)).toBe('Hiller\u00f8d');
  });

  it('strips a byte-order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>x</a>')]);
    const decoded = decodeXmlBytes(bytes);
    expect(decoded.text).toBe('<a>x</a>');
    expect(parseXml(bytes).root.name).toBe('a');
  });

  it('keeps namespaces and element order', () => {
    const { root } = parseXml('<r xmlns="urn:x"><a/><b/><a/></r>');
    expect(root.ns).toBe('urn:x');
    expect(childElements(root).map((e) => e.name)).toEqual(['a', 'b', 'a']);
  });
});

describe('XML tree limits', () => {
  it('stops at the depth limit with XmlLimitError, before building the tree', () => {
    const deep = `<a>${'<b>'.repeat(100_000)}${'</b>'.repeat(100_000)}</a>`;
    expect(() => parseXml(deep)).toThrow(XmlLimitError);
    expect(() => parseXml(`<a>${'<b>'.repeat(10)}${'</b>'.repeat(10)}</a>`, { maxDepth: 10 })).toThrow(/nests deeper than 10/);
    expect(parseXml(`<a>${'<b>'.repeat(9)}${'</b>'.repeat(9)}</a>`, { maxDepth: 10 }).root.name).toBe('a');
  });

  it('stops at the node limit: a body of tiny elements cannot become a huge tree', () => {
    expect(() => parseXml(`<a>${'<b/>'.repeat(60_000)}</a>`)).toThrow(/more than 50000 nodes/);
    expect(() => parseXml(`<a>${'<b/>x'.repeat(60)}</a>`, { maxNodes: 100 })).toThrow(XmlLimitError);
    expect(childElements(parseXml(`<a>${'<b/>'.repeat(99)}</a>`, { maxNodes: 100 }).root)).toHaveLength(99);
  });

  it('reads every real sample within the default limits', () => {
    for (const name of ['Systematic_ColumnaCis.xml', 'Flow1-CareCommunication_Ex_from_OIOXML.xml']) expect(() => fhirXmlToJson(fixtureBytes(name))).not.toThrow();
  });
});
