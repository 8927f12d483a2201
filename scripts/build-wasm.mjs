#!/usr/bin/env node
// Builds the WASM kernel module (runtime/kernels/wasm/assembly, AssemblyScript) with the assemblyscript package's
// compiler API, offline, into runtime/kernels/wasm/build/bitkit-kernels.wasm (git-ignored). The module is
// import-free: --runtime stub (no GC), --use abort= (no abort import), SIMD128 and bulk memory enabled.
// Never fails an install: on any failure it prints ONE warning line and exits 0 (bitkit then runs on the other
// kernel sets). Flags: --verbose shows the compiler output; --strict exits 1 on failure (CI).
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'runtime', 'kernels', 'wasm');
const entry = join(dir, 'assembly', 'index.ts');
const outDir = join(dir, 'build');
const out = join(outDir, 'bitkit-kernels.wasm');
const verbose = process.argv.includes('--verbose');
const strict = process.argv.includes('--strict');

function warn(reason) {
  console.warn(`bitkit: WASM kernels not built (${reason}); the other kernel sets will be used ` +
    '(details: node scripts/build-wasm.mjs --verbose)');
  process.exit(strict ? 1 : 0);
}

const t0 = Date.now();
let asc;
try {
  asc = await import('assemblyscript/asc');
} catch (err) {
  warn(`the assemblyscript package is not installed: ${err.message.split('\n')[0]}`);
}

const tmp = `${out}.${process.pid}.tmp`;
const args = [
  relative(root, entry), '--outFile', relative(root, tmp),
  '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=', '--enable', 'simd', '--enable', 'bulk-memory',
];
let log = '';
const sink = { write(chunk) { log += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; } };
try {
  mkdirSync(outDir, { recursive: true });
  const prev = process.cwd();
  process.chdir(root);
  let result;
  try {
    result = await asc.main(args, { stdout: sink, stderr: sink });
  } finally {
    process.chdir(prev);
  }
  if (verbose && log) process.stderr.write(log);
  if (result.error) {
    rmSync(tmp, { force: true });
    const first = log.split('\n').find((l) => /ERROR|error/.test(l));
    warn((first ?? String(result.error.message ?? result.error)).trim().slice(0, 200));
  }
  renameSync(tmp, out);
} catch (err) {
  rmSync(tmp, { force: true });
  warn(String(err?.message ?? err).split('\n')[0].slice(0, 200));
}
console.log(`bitkit: WASM kernels built in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
  `(${relative(root, out)}, ${(statSync(out).size / 1024).toFixed(1)} KiB)`);
