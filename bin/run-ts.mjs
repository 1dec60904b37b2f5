#!/usr/bin/env node
// Runs a TypeScript file (benchmarks, generators) with tsx: `node bin/run-ts.mjs bench/run.ts`.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: run-ts <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...rest];
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(path.resolve(file)).href);
