import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actualBitMap, cellLabel, plannedBitMap } from '../../extension/views/bit-map-model.js';
import { buildQuantPlan } from '../../runtime/quant/plan.js';
import { DEFAULT_QUANTIZATION } from '../../runtime/recipe/defaults.js';

const RECIPE = `version: 1
name: tiny
task: sst2
data: { train: train.tsv, dev: dev.tsv, maxLength: 16 }
teacher:
  architecture: { layers: 2, hidden: 16, heads: 2, intermediate: 32, maxPositions: 32 }
  train: { epochs: 1, batchSize: 8, lr: 0.002, seed: 7 }
stages:
  - name: w1a2
    teacher: teacher
    bits: W1A2
  - name: w1a1
    teacher: w1a2
    bits: W1A1
overrides:
  - match: bert.encoder.layer.*.attention.self.query
    activationBits: 8
    stages: [w1a1]
  - match: bert.pooler.dense
    keepFullPrecision: true
`;

test('planned map: layers down, teacher + stages across, bits, memory and the governing override', () => {
  const r = plannedBitMap(RECIPE, '/w/tiny.bitkit.yaml');
  assert.ok(r.ok, r.ok ? '' : r.message);
  const m = r.map;
  assert.deepEqual(m.stages, [{ name: 'teacher', bits: 'W32A32' }, { name: 'w1a2', bits: 'W1A2' }, { name: 'w1a1', bits: 'W1A1' }]);
  assert.equal(m.rows.length, 1 + 2 * 10 + 1);
  const q0 = m.rows.find((x) => x.point === 'bert.encoder.layer.0.attention.self.query')!;
  assert.deepEqual(q0.shape, [16, 16]);
  assert.equal(q0.params, 256);
  assert.deepEqual(q0.cells.map((c) => cellLabel(q0.kind, c)), ['FP', 'W1 A2', 'W1 A8']);
  assert.deepEqual(q0.cells.map((c) => c.weightBytes), [1024, 32, 32]);
  assert.deepEqual(q0.cells.map((c) => c.override), [null, null, 0]);
  const pool = m.rows.find((x) => x.point === 'bert.pooler.dense')!;
  assert.deepEqual(pool.cells.map((c) => cellLabel(pool.kind, c)), ['FP', 'FP', 'FP']);
  assert.deepEqual(pool.cells.map((c) => c.override), [null, 1, 1]);
  const probs = m.rows.find((x) => x.point === 'bert.encoder.layer.1.attention.self.attention_probs')!;
  assert.equal(probs.shape, null);
  assert.deepEqual(probs.cells.map((c) => [cellLabel(probs.kind, c), c.activationSet]), [['FP', 'unsigned'], ['A2', 'unsigned'], ['A1', 'unsigned']]);
  const emb = m.rows[0]!;
  assert.deepEqual(emb.shape, [30522, 16]);
  // overrides point at their recipe lines (0-based): "- match: ..." lines
  assert.deepEqual(m.overrides, [{ index: 0, match: 'bert.encoder.layer.*.attention.self.query', line: 15 }, { index: 1, match: 'bert.pooler.dense', line: 18 }]);
  assert.equal(m.totals.length, 3);
  assert.ok(m.totals[2]! < m.totals[0]! / 4);
});

test('planned map of an invalid recipe says why instead', () => {
  const r = plannedBitMap(RECIPE.replace('bits: W1A1', 'bits: W3A1'), '/w/tiny.bitkit.yaml');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /^The recipe has 1 error/);
});

test('actual map from checkpoint metadata', () => {
  const config = { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 8, vocabSize: 50, typeVocabSize: 2, hiddenAct: 'gelu', hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 2 };
  const plan = buildQuantPlan(config, { name: 'w1a1', weightBits: 1, activationBits: 1, quantization: DEFAULT_QUANTIZATION }, []);
  const r = actualBitMap({ 'bitkit.meta': JSON.stringify({ config, plan, stage: 'w1a1' }) }, '/r/w1a1/best.safetensors');
  assert.ok(r.ok);
  assert.deepEqual(r.map.stages, [{ name: 'w1a1', bits: 'W1A1' }]);
  assert.equal(r.map.rows.length, 12);
  assert.equal(cellLabel(r.map.rows[1]!.kind, r.map.rows[1]!.cells[0]!), 'W1 A1');
  assert.equal(actualBitMap({}, 'x.safetensors').ok, false);
});
