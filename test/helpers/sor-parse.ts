/** Shared by the SOR parser's tests (adapters/sor/*.test.ts): parse from a path, a string, or a string cut into chunks. */
import { fileURLToPath } from 'node:url';
import { parseSorFile } from '../../adapters/sor/read-file.js';
import { parseSorStream } from '../../adapters/sor/parser.js';
import type { SorEntityRecord } from '../../adapters/sor/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/sor/', import.meta.url));

export async function collect(gen: AsyncIterable<SorEntityRecord>): Promise<SorEntityRecord[]> {
  const out: SorEntityRecord[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

export function parseFixture(relative: string): Promise<SorEntityRecord[]> {
  return collect(parseSorFile(FIXTURES + relative));
}

/** Feeds `xml` as UTF-8 bytes in chunks of `size` bytes (splitting multi-byte characters). */
export function parseXml(xml: string, size = 7): Promise<SorEntityRecord[]> {
  const bytes = new TextEncoder().encode(xml);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  return collect(parseSorStream(chunks()));
}

/** A SorTree document around `body`; line 1 is the declaration, entities start on line 4. */
export function sorDoc(body: string, root = '<SorTree xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0">'): string {
  return `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n${root}\n<SnapshotDate>2026-11-23</SnapshotDate>\n${body}\n</SorTree>\n`;
}

/** A minimal owner entity with one line per element, so line numbers are easy to predict. */
export function owner(sor: string, inner = '', name = 'Owner'): string {
  return [
    '<InstitutionOwnerEntity>',
    '<InstitutionOwner>',
    `<SorIdentifier>${sor}</SorIdentifier>`,
    `<EntityName>${name}</EntityName>`,
    '</InstitutionOwner>',
    inner,
    '</InstitutionOwnerEntity>',
  ].join('\n');
}
