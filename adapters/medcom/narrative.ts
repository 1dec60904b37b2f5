import { escapeXmlText } from './xml-document.js';
import type { JsonObject } from './json.js';

/** A generated narrative: MedCom requires Resource.text on every resource exchanged. */
export function narrative(lines: readonly (readonly [label: string, value: string | undefined])[]): JsonObject {
  const body = lines
    .filter((l): l is readonly [string, string] => l[1] !== undefined && l[1] !== '')
    .map(([label, value]) => `<p><b>${escapeXmlText(label)}</b>: ${escapeXmlText(value).replace(/\n/g, '<br/>')}</p>`)
    .join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}
