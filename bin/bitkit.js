#!/usr/bin/env node
// Launches the bitkit CLI: the esbuild bundle (dist/cli.js, built by `npm install` / `npm run build`) when it
// exists, otherwise the TypeScript sources through tsx (a development checkout that has not been built).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (existsSync(bundle) && !process.env.BITKIT_FROM_SOURCE) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../runtime/cli/entry.ts', import.meta.url).href);
}
