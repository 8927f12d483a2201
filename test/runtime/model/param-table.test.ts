import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildParamTable } from '../../../runtime/model/param-table.js';
import { buildQuantPlan } from '../../../runtime/quant/plan.js';
import { defaultQuant, tinyConfig } from './tiny-model.js';

const cfg = { ...tinyConfig, layers: 1 };
const plan = (q = {}, a: 1 | 2 | 32 = 1) => buildQuantPlan(cfg, { name: 's', weightBits: 1, activationBits: a, quantization: { ...defaultQuant, ...q } }, []);

test('FP table: Hugging Face names, shapes, groups, contiguous offsets', () => {
  const { specs, total } = buildParamTable(cfg, null);
  const C = 8, F = 16, V = 30, P = 8;
  const p = 'bert.encoder.layer.0.';
  assert.deepEqual(specs.map((s) => [s.name, s.shape, s.group]), [
    ['bert.embeddings.word_embeddings.weight', [V, C], 'weight'],
    ['bert.embeddings.position_embeddings.weight', [P, C], 'weight'],
    ['bert.embeddings.token_type_embeddings.weight', [2, C], 'weight'],
    ['bert.embeddings.LayerNorm.weight', [C], 'noDecay'],
    ['bert.embeddings.LayerNorm.bias', [C], 'noDecay'],
    [p + 'attention.self.query.weight', [C, C], 'weight'],
    [p + 'attention.self.query.bias', [C], 'noDecay'],
    [p + 'attention.self.key.weight', [C, C], 'weight'],
    [p + 'attention.self.key.bias', [C], 'noDecay'],
    [p + 'attention.self.value.weight', [C, C], 'weight'],
    [p + 'attention.self.value.bias', [C], 'noDecay'],
    [p + 'attention.output.dense.weight', [C, C], 'weight'],
    [p + 'attention.output.dense.bias', [C], 'noDecay'],
    [p + 'attention.output.LayerNorm.weight', [C], 'noDecay'],
    [p + 'attention.output.LayerNorm.bias', [C], 'noDecay'],
    [p + 'intermediate.dense.weight', [F, C], 'weight'],
    [p + 'intermediate.dense.bias', [F], 'noDecay'],
    [p + 'output.dense.weight', [C, F], 'weight'],
    [p + 'output.dense.bias', [C], 'noDecay'],
    [p + 'output.LayerNorm.weight', [C], 'noDecay'],
    [p + 'output.LayerNorm.bias', [C], 'noDecay'],
    ['bert.pooler.dense.weight', [C, C], 'weight'],
    ['bert.pooler.dense.bias', [C], 'noDecay'],
    ['classifier.weight', [3, C], 'weight'],
    ['classifier.bias', [3], 'noDecay'],
  ]);
  let off = 0;
  for (const s of specs) {
    assert.equal(s.offset, off, s.name);
    assert.equal(s.size, s.shape.reduce((a, b) => a * b, 1));
    off += s.size;
  }
  assert.equal(total, off);
});

test('quantized table: scales beside their layer, shifts on Linear inputs only by default', () => {
  const { specs } = buildParamTable(cfg, plan());
  const q = specs.filter((s) => s.name.includes('act_quant')).map((s) => [s.name, s.shape, s.group, s.frozen ?? false]);
  const p = 'bert.encoder.layer.0.';
  const lin = (n: string, inF: number) => [[n + '.act_quant.scale', [1], 'scale', false], [n + '.act_quant.shift', [inF], 'noDecay', false]];
  const act = (n: string) => [[n + '.act_quant.scale', [1], 'scale', false]];
  assert.deepEqual(q, [
    ...lin(p + 'attention.self.query', 8), ...lin(p + 'attention.self.key', 8), ...lin(p + 'attention.self.value', 8),
    ...act(p + 'attention.self.query_layer'), ...act(p + 'attention.self.key_layer'), ...act(p + 'attention.self.value_layer'),
    ...act(p + 'attention.self.attention_probs'),
    ...lin(p + 'attention.output.dense', 8), ...lin(p + 'intermediate.dense', 8), ...lin(p + 'output.dense', 16),
    ...lin('bert.pooler.dense', 8),
  ]);
  // the scale sits right after its layer's bias
  const i = specs.findIndex((s) => s.name === p + 'attention.self.query.bias');
  assert.equal(specs[i + 1]!.name, p + 'attention.self.query.act_quant.scale');
});

test('attentionShifts adds shifts to Q/K/V ([C]) and probabilities ([maxPositions]); elastic off freezes scales, no shifts', () => {
  const s1 = buildParamTable(cfg, plan({ attentionShifts: true })).specs;
  const shape = (n: string) => s1.find((s) => s.name === n)?.shape;
  assert.deepEqual(shape('bert.encoder.layer.0.attention.self.key_layer.act_quant.shift'), [8]);
  assert.deepEqual(shape('bert.encoder.layer.0.attention.self.attention_probs.act_quant.shift'), [8]);
  const s2 = buildParamTable(cfg, plan({ elastic: false, attentionShifts: true })).specs;
  assert.ok(!s2.some((s) => s.name.endsWith('.shift')));
  const scales = s2.filter((s) => s.group === 'scale');
  assert.equal(scales.length, 11);
  assert.ok(scales.every((s) => s.frozen === true));
  // W1A32: binarized weights, no activation quantizers at all
  assert.ok(!buildParamTable(cfg, plan({}, 32)).specs.some((s) => s.name.includes('act_quant')));
});
