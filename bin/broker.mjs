#!/usr/bin/env node
// The `broker` command. From a source checkout it runs the TypeScript directly (tsx); an image
// built by the Dockerfile holds only the compiled dist/ and runs that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/src/cli.js', import.meta.url).href);
}
