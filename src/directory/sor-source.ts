/**
 * Where a SOR snapshot comes from: a file, a URL, or the newest XML file in a drop directory.
 * A URL's user information is sent as HTTP Basic credentials and never kept: the source the
 * import log, the audit record and error messages name is the redacted one.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { auditSorImportFailure, importSorSnapshot, type SorImportInput, type SorImportOptions, type SorImportResult } from './sor-import.js';
import { redactSourceLocation } from './source-location.js';

export async function openSorSource(location: string): Promise<SorImportInput> {
  if (/^https?:\/\//i.test(location)) {
    const shown = redactSourceLocation(location);
    const url = new URL(location);
    const headers: Record<string, string> = {};
    if (url.username || url.password) {
      // fetch refuses URLs with credentials; send them as Basic authentication instead.
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok || !response.body) throw new Error(`${shown}: HTTP ${response.status}`);
    const length = Number(response.headers.get('content-length'));
    return { source: shown, stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), totalBytes: Number.isFinite(length) && length > 0 ? length : null };
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

/**
 * Opens `location` and imports it. A source that cannot even be opened (HTTP error, missing
 * file) is audited as a failed import too; importSorSnapshot audits everything after that.
 */
export async function importSorFrom(db: Kysely<Database>, location: string, options: SorImportOptions): Promise<SorImportResult> {
  let input: SorImportInput;
  try {
    input = await openSorSource(location);
  } catch (error) {
    const source = /^https?:\/\//i.test(location) ? redactSourceLocation(location) : path.basename(location);
    await auditSorImportFailure(db, { source, rawSource: location, options, error, sha256: null, bytes: 0 });
    throw error;
  }
  return importSorSnapshot(db, input, options);
}
