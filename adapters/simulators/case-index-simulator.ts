import { parseXmlTree, type XmlTree } from '../case-index/xml-tree.js';
import { kleMatches } from '../case-index/case-status.js';
import { CPR_URN, KLE_URN } from '../case-index/namespaces.js';
import { DEFAULT_HUGE_BYTES, readBody, send, sendHuge, type SimulatorBehaviour } from './behaviour.js';
import { fremsoegResponseXml, soapFaultXml } from './case-index-xml.js';
import { anotherChild, findChild, type DemoChild, type DemoMunicipalCase } from './demo-data.js';
import { startHttpSimulator, type RunningSimulator } from './http-server.js';

/**
 * The municipal case index (SF1470-like Fremsøg, SOAP 1.1) on loopback, holding the demo
 * children's PPR and children/family cases. The KLE numbers in the request select which.
 */
const XML = 'text/xml; charset=utf-8';

export async function startCaseIndexSimulator(children: readonly DemoChild[], behaviour: SimulatorBehaviour = {}): Promise<RunningSimulator> {
  // The demo data never changes, so an answer is built once per child and KLE filter: building
  // SOAP with xmlbuilder2 was most of the simulator's CPU, which the benchmark's broker shares.
  const answers = new Map<string, string>();
  return startHttpSimulator(
    async (req, res, url, b) => {
      if (req.method !== 'POST' || url.pathname !== '/sagdokumentindeks/6') {
        return send(res, 404, 'text/plain', 'Not Found');
      }
      const body = await readBody(req);
      let request: XmlTree;
      try {
        request = parseXmlTree(body);
      } catch {
        return send(res, 500, XML, soapFaultXml('soap:Client', 'Ugyldig forespørgsel'));
      }
      const { cpr, kle } = readRequest(request);
      if (!cpr) return send(res, 500, XML, soapFaultXml('soap:Client', 'Sagspart mangler i søgeudtrykket'));
      if (b.failure === 'malformed') return send(res, 200, XML, '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Fremsoeg');
      const inScope = (c: DemoMunicipalCase) => kle.length === 0 || kleMatches(c.kle, kle);
      if (b.failure === 'huge') {
        const sample = children.flatMap((child) => child.municipalCases.map((c) => ({ child, c }))).slice(0, 1);
        const one = fremsoegResponseXml(sample);
        const [head, rest] = splitAt(one, '<sdi:SagFiltreretOejebliksbillede>');
        const [item, tail] = splitAt(rest, '</sdi:SagFiltreretOejebliksbillede>');
        const unit = `<sdi:SagFiltreretOejebliksbillede>${item}</sdi:SagFiltreretOejebliksbillede>`;
        return sendHuge(res, XML, head, unit, tail.replace(/^<\/sdi:SagFiltreretOejebliksbillede>/, ''), b.hugeBytes ?? DEFAULT_HUGE_BYTES);
      }
      const child =
        b.failure === 'wrong-child'
          ? anotherChild(children, cpr, (c) => c.municipalCases.some((m) => inScope(m) && isOpen(m)))
          : findChild(children, cpr);
      const key = `${child?.cpr ?? '-'}|${kle.join(',')}`;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = fremsoegResponseXml((child?.municipalCases ?? []).filter(inScope).map((c) => ({ child: child as DemoChild, c })));
        if (answers.size >= 1000) answers.clear(); // KLE filters come from callers: keep the memo bounded
        answers.set(key, answer);
      }
      return send(res, 200, XML, answer);
    },
    behaviour,
    '/sagdokumentindeks/6',
  );
}

/** Wrong-child picks an open case, which no adapter filter hides. */
function isOpen(c: DemoMunicipalCase): boolean {
  return c.progress.every((p) => p.code.toUpperCase() !== 'AFSLUTTET');
}

function readRequest(doc: unknown): { cpr: string | undefined; kle: string[] } {
  const urns: string[] = [];
  collect(doc, 'URNIdentifikator', urns);
  const cpr = urns.find((u) => u.startsWith(CPR_URN))?.slice(CPR_URN.length);
  const kle = urns.filter((u) => u.startsWith(KLE_URN)).map((u) => u.slice(KLE_URN.length));
  return { cpr, kle };
}

function collect(node: unknown, key: string, out: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, key, out);
  } else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === key && typeof v === 'string') out.push(v.trim());
      else if (k === key && Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'));
      else collect(v, key, out);
    }
  }
}

function splitAt(s: string, marker: string): [string, string] {
  const i = s.indexOf(marker);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + marker.length)];
}
