// Bundles the VS Code extension: extension/extension.ts -> dist/extension.cjs (CommonJS: VS Code loads extensions
// with require(); the package is ESM, hence .cjs). 'vscode' is provided by the editor.
// Usage: node extension/esbuild.mjs [--watch]   (the top esbuild.mjs imports `extensionBuild` from here)
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const extensionBuild = {
  absWorkingDir: root,
  entryPoints: ['extension/extension.ts'],
  outfile: 'dist/extension.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'info',
  // import.meta.url in bundled runtime modules (createRequire for the example dataset) has no CJS meaning:
  // point it at the bundle's own file.
  define: { 'import.meta.url': '__bitkitImportMetaUrl' },
  banner: { js: "const __bitkitImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--watch')) await (await esbuild.context(extensionBuild)).watch();
  else await esbuild.build(extensionBuild);
}
