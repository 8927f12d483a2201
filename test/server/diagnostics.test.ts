// Diagnostics through the real server process: every rule of the issue on recipes written here, compared as whole
// LSP objects (range, severity, code, message, data); edits and close; a non-recipe YAML gets none.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LspClient, rangeOf, uriOf } from './lsp-client.js';
import { BASE, checkpointRecipe, expected, tempDir, writeCheckpoint } from './fixtures.js';

let client: LspClient;
let dir: string;
let n = 0;
before(async () => {
  client = await LspClient.start();
  dir = tempDir('diag');
});
after(async () => {
  await client.stop();
});

/** Open `text` as a new recipe in the temp folder; its diagnostics. */
async function diagnose(text: string, name = `r${n++}.bitkit.yaml`) {
  return client.open(uriOf(join(dir, name)), text);
}

test('a valid recipe and the example shape have no diagnostics', async () => {
  assert.deepEqual(await diagnose(BASE), []);
});

test('YAML syntax (BK1001), duplicate keys (BK1002), alias bombs (BK1004)', async () => {
  const dup = BASE.replace('task: example', 'task: example\ntask: sst2');
  assert.deepEqual(await diagnose(dup), [expected('BK1002', rangeOf(dup, 'task', 1), { key: 'task' }, { key: 'task', yamlCode: 'DUPLICATE_KEY' })]);

  const broken = 'version: 1\ntask: [example\n';
  assert.deepEqual(await diagnose(broken), [
    expected('BK1001', { start: { line: 2, character: 0 }, end: { line: 2, character: 1 } }, { detail: 'Flow sequence in block collection must be sufficiently indented and end with a ]' }, { yamlCode: 'BAD_INDENT' }),
  ]);

  let bomb = 'version: 1\ntask: example\na: &a ["x","x","x","x","x","x","x","x","x"]\n';
  for (const [k, p] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) bomb += `${k}: &${k} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]\n`;
  const db = await diagnose(bomb);
  assert.equal(db[0]!.code, 'BK1004', JSON.stringify(db));
  assert.deepEqual(db[0]!.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 10 } });
});

test('schema: unknown key with the nearest one, wrong type, out of range, bit widths, missing required', async () => {
  const t1 = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    epoch: 3\n');
  const allowed = ['name', 'teacher', 'init', 'bits', 'weightBits', 'activationBits', 'loss', 'epochs', 'batchSize', 'optimizer', 'lr', 'scaleLr', 'weightDecay', 'beta1', 'beta2', 'eps', 'warmup', 'clipNorm', 'biasCorrection', 'seed', 'evalEvery', 'teacherDropout', 'quantization', 'maxSteps'];
  assert.deepEqual(await diagnose(t1), [
    expected('BK2001', rangeOf(t1, 'epoch'), { key: 'epoch', where: "'stages[0]'", suggestion: "Did you mean 'epochs'?" }, { path: ['stages', 0, 'epoch'], key: 'epoch', suggestion: 'epochs', allowed }),
  ]);

  const t2 = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    epochs: three\n');
  assert.deepEqual(await diagnose(t2), [
    expected('BK2002', rangeOf(t2, 'three'), { path: 'stages[0].epochs', expected: 'an integer', actual: 'the string "three"' }, { path: ['stages', 0, 'epochs'], expected: 'integer' }),
  ]);

  const t3 = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    epochs: 0\n    loss: { temperature: 0 }\n    batchSize: -4\n');
  assert.deepEqual(await diagnose(t3), [
    expected('BK2003', rangeOf(t3, '0', 3), { path: 'stages[0].epochs', bound: '>= 1', value: 0 }, { path: ['stages', 0, 'epochs'], value: 0, minimum: 1 }),
    expected('BK2003', rangeOf(t3, '0 }', 0, 1), { path: 'stages[0].loss.temperature', bound: '> 0', value: 0 }, { path: ['stages', 0, 'loss', 'temperature'], value: 0, exclusiveMinimum: 0 }),
    expected('BK2003', rangeOf(t3, '-4'), { path: 'stages[0].batchSize', bound: '>= 1', value: -4 }, { path: ['stages', 0, 'batchSize'], value: -4, minimum: 1 }),
  ]);

  const t4 = BASE.replace('    bits: W1A1\n', '    activationBits: 3\n');
  const allowedBits = [1, 2, 4, 8, 16, 32];
  assert.deepEqual(await diagnose(t4), [
    expected('BK2005', rangeOf(t4, '3'), { path: 'stages[1].activationBits', allowed: '1, 2, 4, 8, 16, 32', value: '3', suggestion: 'Use one of: 1, 2, 4, 8, 16, 32.' }, { path: ['stages', 1, 'activationBits'], value: 3, allowed: allowedBits, suggestion: null }),
  ]);

  const t5 = BASE.replace('task: example\n', '');
  assert.deepEqual(await diagnose(t5), [
    expected('BK2004', rangeOf(t5, 'version'), { where: 'The recipe', key: 'task', about: 'The task: a GLUE task (its TSV layout and metric), `example` (the embedded SpamAssassin ham/spam set) or `custom`' }, { path: [], key: 'task' }),
  ]);
});

test('suspicious hyper-parameters are hints (BK2014)', async () => {
  const t = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    lr: 5e-5\n    warmup: 0.8\n');
  const d = await diagnose(t);
  assert.deepEqual(d, [
    expected('BK2014', rangeOf(t, '5e-5'), {
      what: 'The learning rate of the scales a (scaleLr 0.0001) is above the main learning rate (lr 0.00005).',
      advice: 'The reference trains a at 1e-4 and the weights at 1e-4 .. 5e-4; a scale that moves faster than the weights it scales tends to oscillate. Lower scaleLr to at most lr.',
    }, { path: ['stages', 0, 'lr'], rule: 'scale-lr-above-lr' }),
    expected('BK2014', rangeOf(t, '0.8'), { what: 'warmup 0.8 spends more than half of the steps warming up.', advice: 'The reference warms up for 10 % of the steps (warmup: 0.1), then decays linearly.' }, { path: ['stages', 0, 'warmup'], rule: 'long-warmup' }),
  ]);
  assert.equal(d[0]!.severity, 4);
});

test('stage graph: unknown, later, cycle, duplicate, wider student, direct W1A1, incompatible init', async () => {
  const unknown = BASE.replace('teacher: w1a2', 'teacher: w1a3');
  assert.deepEqual(await diagnose(unknown), [
    expected('BK3001', rangeOf(unknown, 'w1a3'), { field: 'teacher', name: 'w1a3', suggestion: "Did you mean 'w1a2'?" }, { field: 'teacher', name: 'w1a3', suggestion: 'w1a2', candidates: ['teacher', 'w1a2'] }),
  ]);

  const later = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    init: w1a1\n');
  assert.deepEqual(await diagnose(later), [
    expected('BK3003', rangeOf(later, 'w1a1'), { field: 'init', name: 'w1a1', index: 2, self: 1 }, { field: 'init', name: 'w1a1' }),
  ]);

  const cycle = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    teacher: w1a1\n');
  const cycleDiags = await diagnose(cycle);
  assert.deepEqual(cycleDiags.map((d) => d.code), ['BK3004']);
  assert.deepEqual(cycleDiags[0], expected('BK3004', rangeOf(cycle, 'w1a1', 0), { cycle: 'w1a2 -> w1a1 -> w1a2' }, { cycle: ['w1a2', 'w1a1', 'w1a2'] }));

  const dup = BASE.replace('  - name: w1a1', '  - name: w1a2');
  const dd = await diagnose(dup);
  assert.deepEqual(dd[0], expected('BK3002', rangeOf(dup, 'w1a2', 1), { name: 'w1a2', line: 6 }, { name: 'w1a2', firstLine: 6 }));

  const wider = BASE.replace('bits: W1A1', 'bits: W1A4');
  assert.deepEqual(await diagnose(wider), [
    expected('BK3006', rangeOf(wider, 'W1A4'), { name: 'w1a1', studentBits: 'W1A4', teacher: 'w1a2', teacherBits: 'W1A2' }, { name: 'w1a1', teacher: 'w1a2' }),
  ]);

  const direct = BASE.replace('teacher: w1a2', 'teacher: teacher');
  assert.deepEqual(await diagnose(direct), [expected('BK3007', rangeOf(direct, 'W1A1'), { name: 'w1a1' }, { name: 'w1a1' })]);

  const init = BASE.replace('    bits: W1A1\n', '    bits: W1A1\n    init: w1a2\n    quantization: { ffnActivation: gelu }\n');
  assert.deepEqual(await diagnose(init), [
    expected('BK3008', rangeOf(init, 'w1a2', 2), {
      name: 'w1a1', init: 'w1a2', difference: "its FFN non-linearity is relu, this stage's is gelu",
      advice: "Weights trained under one FFN non-linearity do not carry over to the other; start from a stage with the same quantization.ffnActivation, or from 'teacher'.",
    }, { name: 'w1a1', init: 'w1a2', field: 'quantization.ffnActivation', own: 'gelu', theirs: 'relu' }),
  ]);
});

test('layers: a pattern that matches nothing lists the closest names; activation sets against the two-set scheme', async () => {
  const t = `${BASE}overrides:
  - match: bert.encoder.layer.*.attention.self.qeury
    weightBits: 32
  - match: bert.encoder.layer.*.attention.self.attention_probs
    activationSet: signed
  - match: bert.encoder.layer.0.attention.self.query
    activationSet: unsigned
  - match: bert.encoder.layer.*.attention.self.query
    activationSet: signed
`;
  assert.deepEqual(await diagnose(t), [
    expected('BK4003', rangeOf(t, 'bert.encoder.layer.*.attention.self.qeury'), {
      match: 'bert.encoder.layer.*.attention.self.qeury', origin: 'the architecture in the recipe',
      suggestion: 'Closest layer names: bert.encoder.layer.*.attention.self.query, bert.encoder.layer.*.attention.self.key, bert.encoder.layer.0.attention.self.query.',
    }, { index: 0, match: 'bert.encoder.layer.*.attention.self.qeury', closest: ['bert.encoder.layer.*.attention.self.query', 'bert.encoder.layer.*.attention.self.key', 'bert.encoder.layer.0.attention.self.query'] }),
    expected('BK4004', rangeOf(t, 'signed'), { layers: '2 layers (bert.encoder.layer.*.attention.self.attention_probs)', why: 'attention probabilities come out of a softmax, in [0, 1]' }, {
      index: 1, set: 'signed', conventional: 'unsigned', layers: ['bert.encoder.layer.0.attention.self.attention_probs', 'bert.encoder.layer.1.attention.self.attention_probs'],
    }),
    expected('BK4005', rangeOf(t, 'unsigned'), { layers: "'bert.encoder.layer.0.attention.self.query'", why: 'the input of this Linear is a LayerNorm output or a projection, with both signs' }, {
      index: 2, set: 'unsigned', conventional: 'signed', layers: ['bert.encoder.layer.0.attention.self.query'],
    }),
  ]);
});

test('layers from a safetensors checkpoint: bitkit metadata and plain HF names; a corrupt one is BK5005', async () => {
  writeCheckpoint(join(dir, 'plain.safetensors'), 3);
  const config = { layers: 5, hidden: 8, heads: 2, intermediate: 16, maxPositions: 64, vocabSize: 32 };
  writeCheckpoint(join(dir, 'bitkit.safetensors'), 3, { format: 'bitkit-checkpoint', format_version: '1', 'bitkit.meta': JSON.stringify({ config }) });
  const ov = '  - match: bert.encoder.layer.4.output.dense\n    weightBits: 32\n';
  const plain = checkpointRecipe('plain.safetensors', ov);
  const d = await diagnose(plain);
  assert.deepEqual(d.map((x) => [x.code, x.range, String(x.message).split('\n')[0]]), [
    ['BK4003', rangeOf(plain, 'bert.encoder.layer.4.output.dense'), "Override 'bert.encoder.layer.4.output.dense' matches no layer of the model (checkpoint plain.safetensors)."],
  ]);
  assert.deepEqual((d[0]!.data as { closest: string[] }).closest, ['bert.encoder.layer.*.output.dense', 'bert.encoder.layer.0.output.dense', 'bert.encoder.layer.1.output.dense']);
  // the bitkit checkpoint's metadata says 5 layers: layer 4 exists
  assert.deepEqual(await diagnose(checkpointRecipe('bitkit.safetensors', ov)), []);

  writeFileSync(join(dir, 'truncated.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  const bad = checkpointRecipe('truncated.safetensors', ov);
  const db = await diagnose(bad);
  assert.equal(db.length, 1);
  assert.equal(db[0]!.code, 'BK5005');
  assert.deepEqual(db[0]!.range, rangeOf(bad, 'truncated.safetensors'));
  assert.match(String(db[0]!.message), /^The teacher checkpoint is corrupt: .*truncated\.safetensors \(.*header.*\)/);

  writeCheckpoint(join(dir, 'badmeta.safetensors'), 1, { 'bitkit.meta': '{not json' });
  const dm = await diagnose(checkpointRecipe('badmeta.safetensors', ov));
  assert.deepEqual(dm.map((x) => [x.code, (x.data as { reason: string }).reason]), [['BK5005', 'its bitkit metadata is not valid JSON']]);
});

test('files: missing (BK5001), a folder for a file (BK5003), a TSV header that does not fit the task (BK5004)', async () => {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'train.tsv'), 'sentence\tlabel\nit is good\t1\n');
  writeFileSync(join(dir, 'data', 'dev.tsv'), 'text\tscore\nit is good\t1\n');
  const t = BASE.replace('task: example', 'task: sst2\ndata:\n  train: data/train.tsv\n  dev: data/dev.tsv');
  assert.deepEqual(await diagnose(t), [
    expected('BK5004', rangeOf(t, 'data/dev.tsv'), {
      what: 'The dev file', task: 'sst2', problem: "its header has no column 'sentence', 'label' (found 'text', 'score')",
      layout: "a header line naming the columns 'sentence', 'label' (GLUE SST-2 layout)",
    }, { path: join(dir, 'data', 'dev.tsv'), task: 'sst2' }),
  ]);
  writeFileSync(join(dir, 'data', 'cola.tsv'), 'source\tlabel\tmark\tsentence\n');
  const cola = BASE.replace('task: example', 'task: cola\ndata:\n  train: data/cola.tsv\n  dev: data/missing.tsv');
  const dc = await diagnose(cola);
  assert.deepEqual(dc.map((d) => [d.code, d.range]), [['BK5004', rangeOf(cola, 'data/cola.tsv')], ['BK5001', rangeOf(cola, 'data/missing.tsv')]]);
  assert.equal(String(dc[0]!.message).split('\n')[0], "The training file does not fit task 'cola': its first line has 'label' where the label (0 or 1) belongs; a header line is not expected.");
  const folder = BASE.replace('task: example', 'task: sst2\ndata:\n  train: data\n  dev: data/train.tsv');
  assert.deepEqual((await diagnose(folder)).map((d) => [d.code, d.range]), [['BK5003', rangeOf(folder, 'data', 1)]]);
});

test('settings: hints and file checks can be turned off; BK5002 for unreadable files when not root', async () => {
  const c2 = await LspClient.start({ hints: false, checkFiles: false });
  try {
    const t = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    warmup: 0.9\n').replace('task: example', 'task: sst2\ndata:\n  train: nowhere.tsv\n  dev: nowhere.tsv');
    assert.deepEqual(await c2.open(uriOf(join(dir, 'settings.bitkit.yaml')), t), []);
  } finally {
    await c2.stop();
  }
  if (process.getuid?.() === 0) return; // root reads anything
  writeFileSync(join(dir, 'secret.tsv'), 'sentence\tlabel\n');
  chmodSync(join(dir, 'secret.tsv'), 0);
  const t = BASE.replace('task: example', 'task: sst2\ndata:\n  train: secret.tsv\n  dev: secret.tsv');
  assert.deepEqual((await diagnose(t)).map((d) => d.code), ['BK5002', 'BK5002']);
});

test('edits re-validate with the new version; closing clears; another YAML gets no noise', async () => {
  const uri = uriOf(join(dir, 'edit.bitkit.yaml'));
  const broken = BASE.replace('bits: W1A1', 'bits: W1A3');
  assert.deepEqual((await client.open(uri, broken)).map((d) => d.code), ['BK2005']);
  const fixed = await client.change(uri, '1', { start: { line: 9, character: 13 }, end: { line: 9, character: 14 } });
  assert.equal(client.text(uri), BASE);
  assert.deepEqual(fixed, []);
  assert.deepEqual(await client.close(uri), []);

  const compose = 'version: "3"\nservices:\n  web:\n    image: nginx\n    ports: ["80:80"]\nstages: [build, test]\n';
  assert.deepEqual(await client.open(uriOf(join(dir, 'docker-compose.yaml')), compose, 'yaml'), []);
  assert.deepEqual(await client.open(uriOf(join(dir, '.gitlab-ci.yml')), 'stages:\n  - build\njob:\n  script: echo\n', 'yaml'), []);
  assert.equal(client.stderr, '');
});
