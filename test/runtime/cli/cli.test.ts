/**
 * The `bitkit` command as a user runs it: a child process, its exit code, stdout and stderr.
 * Bad input must give one clear message naming the file and the place, exit code 2, no stack trace, and no
 * partial checkpoint.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeTinyRun } from '../../helpers/tiny-task.js';

const BIN = fileURLToPath(new URL('../../../bin/bitkit.js', import.meta.url));
const env = { ...process.env, BITKIT_FROM_SOURCE: '1' };
const scratch = mkdtempSync(join(tmpdir(), 'bitkit-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function bitkit(args: string[], cwd = scratch) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertBadInput(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
}

function writeRecipe(name: string, text: string): string {
  const p = join(scratch, name);
  writeFileSync(p, text);
  return p;
}

test('--help for every command, and the global help', () => {
  const global = bitkit(['--help']);
  assert.equal(global.code, 0);
  for (const cmd of ['distill', 'eval', 'example', 'check']) {
    assert.match(global.stdout, new RegExp(`\\b${cmd}\\b`));
    const r = bitkit([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`usage: bitkit ${cmd}`));
  }
});

test('unknown command and unknown option are usage errors (exit 2)', () => {
  assertBadInput(bitkit(['distil']), /unknown command "distil"/);
  assertBadInput(bitkit(['distill', '--frobnicate']), /--frobnicate/);
});

test('bitkit example writes a recipe that bitkit check accepts', () => {
  const dir = join(scratch, 'ex');
  const r = bitkit(['example', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'example.bitkit.yaml')));
  assertBadInput(bitkit(['example', dir]), /already exists/);
  const c = bitkit(['check', join(dir, 'example.bitkit.yaml')]);
  assert.equal(c.code, 0, c.stdout + c.stderr);
});

test('a recipe with a YAML syntax error names file, line and column', () => {
  const p = writeRecipe('syntax.bitkit.yaml', 'version: 1\nname: x\nstages:\n  - name: a\n   teacher: b\n');
  assertBadInput(bitkit(['distill', p]), /syntax\.bitkit\.yaml:\d+:\d+: error BK1\d\d\d/);
});

test('a recipe with an unknown key names the key, its place and the nearest valid key', () => {
  const tiny = writeTinyRun();
  const text = readFileSync(tiny.recipe, 'utf8').replace('batchSize: 8\n    lr: 0.001\n  - name: w1a1', 'batchSize: 8\n    lr: 0.001\n    epocs: 3\n  - name: w1a1');
  writeFileSync(tiny.recipe, text);
  const line = text.split('\n').findIndex((l) => l.includes('epocs')) + 1;
  const r = bitkit(['distill', tiny.recipe]);
  assertBadInput(r, new RegExp(`tiny\\.bitkit\\.yaml:${line}:5: error BK2\\d\\d\\d: .*epocs`));
  assert.match(r.stderr, /epochs/);
  assert.ok(!existsSync(join(tiny.dir, 'run')), 'nothing written');
});

test('a cycle in teachers is reported on the stage', () => {
  const tiny = writeTinyRun();
  writeFileSync(tiny.recipe, readFileSync(tiny.recipe, 'utf8').replace('teacher: teacher\n    bits: W1A2', 'teacher: w1a1\n    bits: W1A2'));
  assertBadInput(bitkit(['distill', tiny.recipe]), /tiny\.bitkit\.yaml:\d+:\d+: error BK3\d\d\d/);
});

test('a missing data file is named with the recipe line that points to it', () => {
  const tiny = writeTinyRun();
  rmSync(join(tiny.dir, 'dev.tsv'));
  assertBadInput(bitkit(['distill', tiny.recipe]), /tiny\.bitkit\.yaml:\d+:\d+: error BK5\d\d\d: .*dev\.tsv/);
});

test('a TSV with wrong columns, a bad label, or no rows is named with file and line', () => {
  const tiny = writeTinyRun();
  writeFileSync(join(tiny.dir, 'train.tsv'), 'sentence\tlabel\na fine film\t1\nno label column here\n');
  assertBadInput(bitkit(['distill', tiny.recipe]), /train\.tsv:3/);
  writeFileSync(join(tiny.dir, 'train.tsv'), 'sentence\tlabel\na fine film\t1\na bad film\tmaybe\n');
  assertBadInput(bitkit(['distill', tiny.recipe]), /train\.tsv:3.*maybe/);
  writeFileSync(join(tiny.dir, 'train.tsv'), 'sentence\tlabel\n');
  assertBadInput(bitkit(['distill', tiny.recipe]), /train\.tsv.*(empty|no examples)/i);
  assert.ok(!existsSync(join(tiny.dir, 'run', 'teacher', 'best.safetensors')), 'no checkpoint written');
});

test('distill, eval; a truncated or corrupt checkpoint is a clear error; SIGTERM saves and --resume finishes', async () => {
  const tiny = writeTinyRun({ epochs: 3 });
  // Start the run, wait for the w1a2 stage to make progress, then send SIGTERM as the VS Code extension's cancel does.
  const child = spawn(process.execPath, [BIN, 'distill', tiny.recipe, '--events', 'jsonl'], { cwd: tiny.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: { type: string; stage?: string; step?: number }[] = [];
  let sent = false;
  for await (const line of createInterface({ input: child.stdout! })) {
    const e = JSON.parse(line) as { type: string; stage?: string; step?: number };
    events.push(e);
    if (!sent && e.type === 'progress' && e.stage === 'w1a2' && (e.step ?? 0) >= 2) {
      child.kill('SIGTERM');
      sent = true;
    }
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 130);
  const cancelled = events.find((e) => e.type === 'cancelled');
  assert.ok(cancelled && cancelled.stage === 'w1a2', JSON.stringify(events.slice(-3)));
  assert.ok(events.some((e) => e.type === 'stage-end'), 'the teacher stage finished before the cancel');

  const resumed = bitkit(['distill', tiny.recipe, '--resume', '--quiet'], tiny.dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /\| w1a1 +\| W1A1/);
  const best = join(tiny.dir, 'run', 'w1a1', 'best.safetensors');
  assert.ok(existsSync(best));
  assert.deepEqual(readdirSync(join(tiny.dir, 'run', 'w1a1')).filter((f) => f.includes('.tmp')), []);

  const ev = bitkit(['eval', best, '--data', join(tiny.dir, 'dev.tsv'), '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const result = JSON.parse(ev.stdout) as { metrics: { accuracy: number }; examples: number };
  assert.equal(result.examples, 16);
  assert.ok(result.metrics.accuracy >= 0 && result.metrics.accuracy <= 1);

  const bytes = readFileSync(best);
  const truncated = join(scratch, 'truncated.safetensors');
  writeFileSync(truncated, bytes);
  truncateSync(truncated, bytes.length - 100);
  assertBadInput(bitkit(['eval', truncated, '--data', join(tiny.dir, 'dev.tsv')]), /truncated\.safetensors.*(truncated|expected)/i);
  const corrupt = join(scratch, 'corrupt.safetensors');
  const c = Buffer.from(bytes);
  c.write('{"oops', 8);
  writeFileSync(corrupt, c);
  assertBadInput(bitkit(['eval', corrupt, '--data', join(tiny.dir, 'dev.tsv')]), /corrupt\.safetensors/);
});

test('a native addon that fails to load falls back to WASM with one warning, never a crash', () => {
  const tiny = writeTinyRun({ epochs: 1 });
  const bogus = join(scratch, 'bogus.node');
  writeFileSync(bogus, 'not a shared library');
  const r = spawnSync(process.execPath, [BIN, 'distill', tiny.recipe, '--kernels', 'auto', '--quiet'], {
    cwd: tiny.dir,
    env: { ...env, BITKIT_NATIVE_ADDON: bogus },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('kernels:'));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /native addon is not available, using WASM/);
  assert.match(warnings[0]!, /bogus\.node/);
  assert.match(r.stderr, /kernels: wasm \(simd128\)/);
});
