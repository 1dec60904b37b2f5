/** Parses a SOR XML file from disk in 64 KiB chunks. */
import { createReadStream } from 'node:fs';
import { parseSorStream } from './parser.js';
import type { SorEntityRecord, SorParseOptions } from './types.js';

export function parseSorFile(path: string, opts: SorParseOptions = {}): AsyncGenerator<SorEntityRecord, void, undefined> {
  return parseSorStream(createReadStream(path, { highWaterMark: 64 * 1024 }), { fileName: path, ...opts });
}
