#!/usr/bin/env node
// Builds the native kernel addon (runtime/kernels/native, C++17 N-API) with node-gyp, offline.
// Never fails an install: on any failure it prints ONE warning line and exits 0 (bitkit then runs on the TypeScript
// reference kernels). Flags: --verbose shows the compiler output; --strict exits 1 on failure (CI).
// node-gyp: the one npm runs scripts with ($npm_config_node_gyp), a local install, or the copy bundled with npm.
// Node headers: $npm_config_nodedir, else the headers installed next to this node binary (<prefix>/include/node).
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'runtime', 'kernels', 'native');
const verbose = process.argv.includes('--verbose');
const strict = process.argv.includes('--strict');

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // no local node-gyp
  }
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((p) => existsSync(p));
}

function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function warn(reason) {
  console.warn(`bitkit: native kernels not built (${reason}); the TypeScript reference kernels will be used ` +
    '(details: node scripts/build-native.mjs --verbose)');
  process.exit(strict ? 1 : 0);
}

const gyp = findNodeGyp();
if (gyp === undefined) warn('node-gyp not found');
const args = [gyp, 'rebuild', '-j', String(Math.max(1, availableParallelism())), ...nodeDirArgs()];
const t0 = Date.now();
const r = spawnSync(process.execPath, args, { cwd: dir, stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
if (r.error) warn(r.error.message);
if (r.status !== 0) {
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n');
  // the compiler's first error, else node-gyp's own reason ("gyp ERR! stack Error: ...")
  const compiler = out.find((l) => /\berror\b/i.test(l) && !l.startsWith('gyp '));
  const stack = out.find((l) => l.startsWith('gyp ERR! stack Error:'))?.slice('gyp ERR! stack Error:'.length);
  const reason = compiler ?? stack;
  warn(reason ? reason.trim().slice(0, 200) : `node-gyp exited with ${r.status}`);
}
const addon = join(dir, 'build', 'Release', 'bitkit_native.node');
if (!existsSync(addon)) warn(`${relative(root, addon)} missing after the build`);
console.log(`bitkit: native kernels built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${relative(root, addon)})`);
