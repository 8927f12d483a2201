// `bitkit check` applies the same rules as the server (layers, TSV headers, corrupt checkpoints): nothing on the
// example recipes (exit 0); `file:line:col: severity: message [code]` lines and exit 1 on a broken recipe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lsp-client.js';
import { BASE, checkpointRecipe, tempDir } from './fixtures.js';

function check(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'runtime', 'cli', 'entry.ts'), 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bitkit check: the examples print nothing and exit 0', { skip: !existsSync(join(ROOT, '..', 'shared', 'data', 'glue')) && 'no ../shared/data' }, () => {
  const r = check(['examples/cola.bitkit.yaml', 'examples/sst2.bitkit.yaml', 'examples/stsb.bitkit.yaml']);
  assert.deepEqual(r, { status: 0, stdout: '', stderr: '' });
});

test('bitkit check: the GLUE row recipes (examples/glue) are clean but for the FP -> W1A1 jump of BiT* and BinaryBERT', { skip: !existsSync(join(ROOT, '..', 'shared', 'data', 'glue')) && 'no ../shared/data' }, () => {
  const tasks = ['cola', 'sst2', 'stsb'];
  const rows = ['binarybert', 'bit-star', 'bit-w1a4', 'bit', 'no-elastic', 'no-two-set'];
  const files = tasks.flatMap((t) => rows.map((m) => `examples/glue/${t}/${m}.bitkit.yaml`));
  const r = check(['--json', ...files]);
  // warnings only: exit 0
  assert.equal(r.status, 0, r.stderr);
  const found = (JSON.parse(r.stdout) as { file: string; code: string; severity: string }[]).map((d) => `${d.file.split(/[\\/]/).slice(-2).join('/')} ${d.severity} ${d.code}`);
  assert.deepEqual(found.sort(), tasks.flatMap((t) => [`${t}/binarybert.bitkit.yaml warning BK3007`, `${t}/bit-star.bitkit.yaml warning BK3007`]).sort());
});

test('bitkit check: the server rules on a broken recipe, as file:line:col lines, exit 1; --json', () => {
  const dir = tempDir('check');
  const file = join(dir, 'broken.bitkit.yaml');
  writeFileSync(join(dir, 'teacher.safetensors'), Buffer.from([1, 2, 3]));
  writeFileSync(join(dir, 'dev.tsv'), 'sentence\tlabel\n');
  writeFileSync(join(dir, 'train.tsv'), 'text\tlabel\n');
  const text = `${checkpointRecipe('teacher.safetensors', '  - match: bert.encoder.layer.*.attention.self.attention_probs\n    activationSet: signed\n')}`.replace('task: example', 'task: sst2\ndata:\n  train: train.tsv\n  dev: dev.tsv');
  writeFileSync(file, text);
  const r = check([file]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    [
      `${file}:4:10: error: The training file does not fit task 'sst2': its header has no column 'sentence' (found 'text', 'label'). [BK5004]`,
      `${file}:7:15: error: The teacher checkpoint is corrupt: ${join(dir, 'teacher.safetensors')} (${join(dir, 'teacher.safetensors')} is not a safetensors file: it has 3 bytes, fewer than the 8-byte header length) [BK5005]`,
      `${file}:15:20: warning: activationSet: signed on 24 layers (bert.encoder.layer.*.attention.self.attention_probs), which is never negative (attention probabilities come out of a softmax, in [0, 1]). [BK4004]`,
      '',
    ].join('\n'),
  );
  const json = check(['--json', file]);
  assert.equal(json.status, 1);
  assert.deepEqual((JSON.parse(json.stdout) as { code: string }[]).map((d) => d.code), ['BK5004', 'BK5005', 'BK4004']);
  const ok = join(dir, 'ok.bitkit.yaml');
  writeFileSync(ok, BASE);
  assert.deepEqual(check([ok]), { status: 0, stdout: '', stderr: '' });
});
