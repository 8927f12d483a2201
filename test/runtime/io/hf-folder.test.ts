/**
 * Hugging Face folder import: a folder written by the test (random weights, real config.json / vocab.txt layout,
 * F32 and F16 safetensors) imports as a teacher (as it is, or fine-tuned on the task as stage 0) and a tiny W1A1 stage
 * distils from it; wrong shapes and missing
 * tensors are errors naming the tensor; unsupported folders say what is unsupported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { HF_ERRORS, importHfFolder, loadTeacherModel, mapHfName, parseHfConfig } from '../../../runtime/io/hf-folder.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { analyzeRecipeText } from '../../../runtime/recipe/parse.js';
import { distill } from '../../../runtime/train/distill.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { writeHfFolder } from '../../helpers/hf-folder-fixture.js';
import { tinySentences } from '../../helpers/tiny-task.js';

const root = mkdtempSync(join(tmpdir(), 'bitkit-hf-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('name mapping: bert. prefix optional, gamma/beta, cls.* and buffers ignored', () => {
  assert.equal(mapHfName('embeddings.word_embeddings.weight'), 'bert.embeddings.word_embeddings.weight');
  assert.equal(mapHfName('bert.encoder.layer.0.output.LayerNorm.gamma'), 'bert.encoder.layer.0.output.LayerNorm.weight');
  assert.equal(mapHfName('classifier.bias'), 'classifier.bias');
  assert.equal(mapHfName('cls.predictions.bias'), null);
  assert.equal(mapHfName('bert.embeddings.position_ids'), null);
});

for (const dtype of ['F32', 'F16'] as const) {
  test(`${dtype} folder imports with the same weights; no classifier -> fresh head with a warning`, () => {
    const dir = join(root, `hf-${dtype}`);
    writeHfFolder(dir, { dtype, noPrefix: dtype === 'F16' });
    const r = importHfFolder(dir, referenceKernels, { numLabels: 2 });
    assert.equal(r.config.hidden, 16);
    assert.equal(r.config.numLabels, 2);
    assert.ok(r.warnings.some((w) => w.includes('no classifier')), r.warnings.join('; '));
    assert.ok(r.ignored.includes('cls.predictions.bias'));
    assert.ok(r.tokenizer?.endsWith('vocab.txt'));
    const ln = r.model.param('bert.embeddings.LayerNorm.weight');
    assert.ok(ln.every((v) => v === 1));
    const w = r.model.param('bert.encoder.layer.0.attention.self.query.weight');
    assert.ok(w.some((v) => v !== 0));
  });
}

test('F16 and F32 folders give the same model up to F16 rounding', () => {
  const a = importHfFolder(join(root, 'hf-F32'), referenceKernels, { numLabels: 2 }).model.param('bert.pooler.dense.weight');
  const b = importHfFolder(join(root, 'hf-F16'), referenceKernels, { numLabels: 2 }).model.param('bert.pooler.dense.weight');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-3 * Math.abs(a[i]!) + 1e-7);
});

test('a missing tensor and a wrong shape are errors naming the tensor and the file', () => {
  const missing = join(root, 'missing');
  writeHfFolder(missing, { drop: 'bert.encoder.layer.0.attention.self.key.weight' });
  assert.throws(() => importHfFolder(missing, referenceKernels), (e: unknown) => e instanceof BitkitError && e.code === HF_ERRORS.missingTensor &&
    e.message.includes('bert.encoder.layer.0.attention.self.key.weight') && e.message.includes('model.safetensors'));
  const shaped = join(root, 'shaped');
  writeHfFolder(shaped, { reshape: 'bert.encoder.layer.0.intermediate.dense.weight' });
  assert.throws(() => importHfFolder(shaped, referenceKernels), (e: unknown) => e instanceof BitkitError && e.code === HF_ERRORS.wrongShape &&
    e.message.includes('bert.encoder.layer.0.intermediate.dense.weight') && e.message.includes('[33, 16]') && e.message.includes('[32, 16]'));
});

test('unsupported folders and configs say what is unsupported', () => {
  const bin = join(root, 'bin');
  writeHfFolder(bin);
  unlinkSync(join(bin, 'model.safetensors'));
  writeFileSync(join(bin, 'pytorch_model.bin'), 'x');
  assert.throws(() => importHfFolder(bin, referenceKernels), (e: unknown) => e instanceof BitkitError && e.code === HF_ERRORS.unsupported && /pytorch_model\.bin/.test(e.message));
  const code = (text: string): string => {
    try {
      parseHfConfig(text, 'config.json');
      return 'ok';
    } catch (e) {
      return (e as BitkitError).code;
    }
  };
  assert.equal(code('{"model_type": "roberta"}'), HF_ERRORS.unsupported);
  assert.equal(code('{"position_embedding_type": "relative_key"}'), HF_ERRORS.unsupported);
  assert.equal(code('{"hidden_act": "gelu_new"}'), HF_ERRORS.unsupported);
  assert.equal(code('{"hidden_size": 10, "num_attention_heads": 3}'), HF_ERRORS.badConfig);
  assert.equal(code('[1]'), HF_ERRORS.badConfig);
  assert.equal(code('{"id2label": {"0": "neg", "1": "pos"}}'), 'ok');
  assert.equal(parseHfConfig('{"id2label": {"0": "neg", "1": "pos", "2": "x"}}', 'c').config.numLabels, 3);
});

test('a HF folder is a recipe teacher: one tiny W1A1 stage distils from it', async () => {
  const dir = join(root, 'run');
  const hf = join(root, 'hf-F16');
  writeFileSync(join(root, 'train.tsv'), tinySentences(24, 1));
  writeFileSync(join(root, 'dev.tsv'), tinySentences(8, 2));
  const recipe = join(root, 'hf.bitkit.yaml');
  writeFileSync(recipe, `version: 1
name: hf
task: sst2
data: { train: train.tsv, dev: dev.tsv, maxLength: 16 }
tokenizer: { vocab: hf-F16/vocab.txt }
teacher: { checkpoint: hf-F16 }
stages:
  - { name: w1a1, teacher: teacher, bits: W1A1, epochs: 1, batchSize: 8, lr: 0.001 }
kernels: reference
output: ${dir}
`);
  const warnings: string[] = [];
  const r = await distill(loadRecipe(recipe), { kernels: referenceKernels, sink: { emit: (e) => { if (e.type === 'warning') warnings.push(e.message); } }, cancel: { requested: false }, resume: false });
  assert.equal(r.stages.length, 2);
  assert.ok(warnings.some((w) => w.includes('no classifier') && w.includes('add `train:` under `teacher:`')));
  const student = loadCheckpoint(join(dir, 'w1a1', 'best.safetensors'), referenceKernels);
  assert.equal(student.meta.config.hidden, 16);
  assert.ok(student.meta.plan !== null);
  // a plain HF safetensors file with config.json beside it loads too
  assert.equal(loadTeacherModel(join(hf, 'model.safetensors'), referenceKernels, { numLabels: 2 }).model.config.numLabels, 2);
});

test('a HF folder with teacher.train is fine-tuned on the task as stage 0, and the students learn from that', async () => {
  const dir = join(root, 'run-ft');
  writeFileSync(join(root, 'train.tsv'), tinySentences(48, 3));
  writeFileSync(join(root, 'dev.tsv'), tinySentences(16, 4));
  const recipe = join(root, 'hf-ft.bitkit.yaml');
  writeFileSync(recipe, `version: 1
name: hf-ft
task: sst2
data: { train: train.tsv, dev: dev.tsv, maxLength: 16 }
tokenizer: { vocab: hf-F32/vocab.txt }
teacher:
  checkpoint: hf-F32
  train: { epochs: 3, batchSize: 8, lr: 0.003, seed: 5 }
stages:
  - { name: w1a1, teacher: teacher, bits: W1A1, epochs: 1, batchSize: 8, lr: 0.001 }
kernels: reference
output: ${dir}
`);
  const r = await distill(loadRecipe(recipe), { kernels: referenceKernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
  assert.deepEqual(r.stages.map((x) => x.stage), ['teacher', 'w1a1']);
  // stage 0 trained (steps, a checkpoint in the run folder), starting from the imported weights
  const teacher = loadCheckpoint(join(dir, 'teacher', 'best.safetensors'), referenceKernels);
  assert.equal(teacher.meta.provenance.init, join(root, 'hf-F32'));
  assert.equal(teacher.meta.config.hidden, 16);
  const imported = loadTeacherModel(join(root, 'hf-F32'), referenceKernels, { numLabels: 2 }).model;
  const name = 'bert.encoder.layer.0.attention.self.query.weight';
  const moved = teacher.model.param(name).some((v, i) => v !== imported.param(name)[i]);
  assert.ok(moved, 'the encoder was fine-tuned');
  assert.ok(r.stages[0]!.bestStep !== null, 'stage 0 is a training stage, not an evaluation of the checkpoint');
  // the student's teacher is the fine-tuned checkpoint of the run folder
  const student = loadCheckpoint(join(dir, 'w1a1', 'best.safetensors'), referenceKernels);
  assert.equal(student.meta.provenance.teacher, 'teacher');
  // the language server accepts teacher.train beside a checkpoint (only the FP -> W1A1 jump is warned about)
  assert.deepEqual(analyzeRecipeText(readFileSync(recipe, 'utf8'), recipe).diagnostics.map((d) => d.code), ['BK3007']);
});
