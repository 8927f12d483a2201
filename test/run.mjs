// Runs every test/**/*.test.ts file with Node's built-in runner (Node 20's --test takes no globs), TypeScript
// loaded by tsx. Extra arguments are passed to node (e.g. --test-name-pattern=...); BITKIT_TEST_FILTER=substr
// restricts the files.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.env.BITKIT_TEST_FILTER ?? '';

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...collect(p));
    else if (entry.name.endsWith('.test.ts') && p.includes(filter)) out.push(relative(root, p));
  }
  return out.sort();
}

const files = collect(join(root, 'test'));
if (files.length === 0) {
  console.error(`no test files found${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}
const reporter = process.stdout.isTTY ? 'spec' : 'spec';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, ...process.argv.slice(2), ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
