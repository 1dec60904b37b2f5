/**
 * Where a SOR snapshot comes from: a file, a URL, or the newest XML file in a drop directory.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { SorImportInput } from './sor-import.js';

export async function openSorSource(location: string): Promise<SorImportInput> {
  if (/^https?:\/\//i.test(location)) {
    const response = await fetch(location, { signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok || !response.body) throw new Error(`${location}: HTTP ${response.status}`);
    const length = Number(response.headers.get('content-length'));
    return { source: location, stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), totalBytes: Number.isFinite(length) && length > 0 ? length : null };
  }
  const info = await stat(location);
  if (info.isDirectory()) {
    const files = (await readdir(location)).filter((f) => f.toLowerCase().endsWith('.xml'));
    if (files.length === 0) throw new Error(`${location}: no .xml file to import`);
    const dated = await Promise.all(files.map(async (f) => ({ f, m: (await stat(path.join(location, f))).mtimeMs })));
    dated.sort((a, b) => b.m - a.m);
    return openSorSource(path.join(location, (dated[0] as { f: string }).f));
  }
  return { source: path.basename(location), stream: createReadStream(location, { highWaterMark: 256 * 1024 }), totalBytes: info.size };
}
