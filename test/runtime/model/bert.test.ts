import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBitkitError } from '../../../runtime/errors.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { BertModel } from '../../../runtime/model/bert.js';
import type { Batch } from '../../../runtime/model/types.js';
import { buildQuantPlan } from '../../../runtime/quant/plan.js';
import type { BitWidth } from '../../../runtime/recipe/types.js';
import { Rng } from '../../../runtime/util/rng.js';
import { defaultQuant, tinyBatch, tinyConfig, tinyModel } from './tiny-model.js';

const planOf = (w: BitWidth, a: BitWidth, q = {}) =>
  buildQuantPlan(tinyConfig, { name: 's', weightBits: w, activationBits: a, quantization: { ...defaultQuant, ...q } }, []);
const code = (c: string) => (e: unknown) => isBitkitError(e) && e.code === c;

function randomBatch(B: number, T: number, seed: number): Batch {
  const r = new Rng(seed);
  return {
    B, T,
    inputIds: Int32Array.from({ length: B * T }, () => r.int(30)),
    tokenTypeIds: Int32Array.from({ length: B * T }, () => r.int(2)),
    attentionMask: Int32Array.from({ length: B * T }, (_, i) => (i % T < T - 1 ? 1 : 0)),
  };
}

test('initWeights: BERT init; scales start at 0 and are set by the first training forward only', () => {
  const m = new BertModel(tinyConfig, planOf(1, 1), referenceKernels);
  m.initWeights(new Rng(3));
  const w = m.param('bert.encoder.layer.0.intermediate.dense.weight');
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(std > 0.015 && std < 0.025, `std ${std}`);
  assert.ok(m.param('bert.encoder.layer.1.output.LayerNorm.weight').every((v) => v === 1));
  assert.ok(m.param('bert.pooler.dense.bias').every((v) => v === 0));
  const scale = 'bert.encoder.layer.0.attention.self.attention_probs.act_quant.scale';
  assert.equal(m.param(scale)[0], 0);
  const evalOut = Float32Array.from(m.forward(tinyBatch(), { training: false }).logits);
  assert.equal(m.param(scale)[0], 0, 'evaluation must not store a scale');
  const trainOut = m.forward(tinyBatch(), { training: true }).logits;
  assert.ok(m.param(scale)[0]! > 0);
  assert.deepEqual(Array.from(trainOut), Array.from(evalOut), 'eval used the same (temporary) init');
});

test('FFN non-linearity: GELU for FP and all-32 plans, options.ffnActivation when quantized', () => {
  assert.equal(new BertModel(tinyConfig, null, referenceKernels).ffnActivation, 'gelu');
  assert.equal(new BertModel(tinyConfig, planOf(32, 32), referenceKernels).ffnActivation, 'gelu');
  assert.equal(new BertModel(tinyConfig, planOf(1, 1), referenceKernels).ffnActivation, 'relu');
  assert.equal(new BertModel(tinyConfig, planOf(1, 1, { ffnActivation: 'gelu' }), referenceKernels).ffnActivation, 'gelu');
});

test('copyFrom: FP teacher -> W1A1 keeps latent weights, new quantizers get initialised; W1A2 -> W1A1 keeps a and b', () => {
  const teacher = tinyModel(null, 32);
  const s1 = new BertModel(tinyConfig, planOf(1, 1), referenceKernels);
  const rep = s1.copyFrom(teacher);
  assert.equal(rep.copied.length, teacher.params.length);
  assert.ok(rep.notCopied.every((n) => n.reason === 'missing' && n.name.includes('act_quant')));
  assert.equal(rep.notCopied.length, s1.params.length - teacher.params.length);
  assert.deepEqual(rep.unused, []);
  assert.deepEqual(Array.from(s1.param('classifier.weight')), Array.from(teacher.param('classifier.weight')));
  s1.forward(tinyBatch(), { training: true });
  assert.ok(s1.params.filter((s) => s.group === 'scale').every((s) => s1.param(s.name)[0]! > 0));
  const w1a2 = tinyModel(1, 2);
  const w1a1 = new BertModel(tinyConfig, planOf(1, 1), referenceKernels);
  const r2 = w1a1.copyFrom(w1a2);
  assert.equal(r2.notCopied.length, 0);
  const a = 'bert.encoder.layer.1.output.dense.act_quant.scale';
  assert.equal(w1a1.param(a)[0], w1a2.param(a)[0]);
  w1a1.forward(tinyBatch(), { training: true });
  assert.equal(w1a1.param(a)[0], w1a2.param(a)[0], 'a copied from the earlier stage is not re-initialised');
  // back to FP: the quantizer state is reported unused
  const fp = new BertModel(tinyConfig, null, referenceKernels);
  assert.ok(fp.copyFrom(w1a2).unused.some((n) => n.endsWith('.act_quant.shift')));
  // a shape mismatch is reported, not copied
  const other = new BertModel({ ...tinyConfig, numLabels: 2 }, null, referenceKernels);
  assert.deepEqual(other.copyFrom(teacher).notCopied, [{ name: 'classifier.weight', reason: 'shape' }, { name: 'classifier.bias', reason: 'shape' }]);
});

test('activations regrow for a bigger batch; outputs have the exact batch size and do not depend on history', () => {
  const m = tinyModel(1, 1, { attentionShifts: true });
  const small = randomBatch(2, 3, 1);
  const a = Float32Array.from(m.forward(small, { training: false }).logits);
  const big = m.forward(randomBatch(3, 7, 2), { training: false });
  assert.equal(big.logits.length, 9);
  assert.equal(big.hiddenStates.length, 3);
  assert.equal(big.hiddenStates[0]!.length, 3 * 7 * 8);
  assert.equal(big.attentionScores[1]!.length, 3 * 2 * 7 * 7);
  const again = m.forward(small, { training: false });
  assert.equal(again.logits.length, 6);
  assert.deepEqual(Array.from(again.logits), Array.from(a));
  const pre = new BertModel(tinyConfig, m.plan, referenceKernels);
  pre.paramData.set(m.paramData);
  assert.deepEqual(Array.from(pre.forward(small, { training: false, allocateFor: { B: 8, T: 8 } }).logits), Array.from(a));
  // More examples but shorter: B*T and B*T*T fit the old capacity, B does not (per-example pooler buffers).
  const wide = m.forward(randomBatch(6, 2, 3), { training: false });
  assert.equal(wide.logits.length, 18);
});

test('padding: the content of a padded position does not change the logits', () => {
  for (const m of [tinyModel(null, 32), tinyModel(1, 1), tinyModel(1, 2)]) {
    const b = tinyBatch();
    const l1 = Float32Array.from(m.forward(b, { training: false }).logits);
    b.inputIds[4] = (b.inputIds[4]! + 11) % 30; // position 4 of sequence 0 is padding
    const l2 = m.forward(b, { training: false }).logits;
    assert.deepEqual(Array.from(l2.subarray(0, 3)), Array.from(l1.subarray(0, 3)));
  }
});

test('backward accumulates; elastic off freezes the scales (no gradient) and has no shifts', () => {
  const m = tinyModel(1, 1, { elastic: false });
  assert.ok(!m.params.some((s) => s.name.endsWith('.shift')));
  const out = m.forward(tinyBatch(), { training: true });
  const d = { dLogits: Float32Array.from(out.logits, (_, i) => (i % 2 ? 1 : -0.5)), dHiddenStates: null, dAttentionScores: null };
  m.zeroGrad();
  m.backward(d);
  const once = Float32Array.from(m.gradData);
  m.backward(d);
  m.gradData.forEach((v, i) => assert.ok(Math.abs(v - 2 * once[i]!) <= 1e-6 * Math.max(1, Math.abs(v)), `index ${i}`));
  for (const s of m.params.filter((p) => p.group === 'scale')) {
    assert.equal(s.frozen, true);
    assert.equal(m.grad(s.name)[0], 0, s.name);
  }
  assert.ok(m.grad('bert.encoder.layer.0.attention.self.query.weight').some((v) => v !== 0));
});

test('dropout: needs an Rng in training, is reproducible from it, and is off in evaluation', () => {
  const cfg = { ...tinyConfig, hiddenDropout: 0.2, attentionDropout: 0.2 };
  const m = new BertModel(cfg, planOf(1, 1), referenceKernels);
  m.initWeights(new Rng(4));
  assert.throws(() => m.forward(tinyBatch(), { training: true }), code('BK7103'));
  const a = Float32Array.from(m.forward(tinyBatch(), { training: true, rng: new Rng(9) }).logits);
  const b = Float32Array.from(m.forward(tinyBatch(), { training: true, rng: new Rng(9) }).logits);
  const c = Float32Array.from(m.forward(tinyBatch(), { training: true, rng: new Rng(10) }).logits);
  const e1 = Float32Array.from(m.forward(tinyBatch(), { training: false }).logits);
  const e2 = Float32Array.from(m.forward(tinyBatch(), { training: false }).logits);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(e1, e2);
  assert.notDeepEqual(a, e1);
  // backward through the kept masks runs and gives finite gradients
  m.forward(tinyBatch(), { training: true, rng: new Rng(9) });
  m.zeroGrad();
  m.backward({ dLogits: Float32Array.from({ length: 6 }, (_, i) => i - 2.5), dHiddenStates: null, dAttentionScores: null });
  assert.ok(m.gradData.every(Number.isFinite));
});

test('regression head (numLabels 1) and input validation', () => {
  const m = new BertModel({ ...tinyConfig, numLabels: 1 }, planOf(1, 2), referenceKernels);
  m.initWeights(new Rng(5));
  const out = m.forward(tinyBatch(), { training: true });
  assert.equal(out.logits.length, 2);
  m.backward({ dLogits: Float32Array.of(1, -1), dHiddenStates: null, dAttentionScores: null });
  assert.throws(() => m.forward(randomBatch(1, 9, 1), { training: false }), code('BK7102')); // T > maxPositions
  const bad = tinyBatch();
  bad.inputIds[3] = 30;
  assert.throws(() => m.forward(bad, { training: false }), code('BK7102'));
  assert.throws(() => new BertModel(tinyConfig, null, referenceKernels).backward({ dLogits: null, dHiddenStates: null, dAttentionScores: null }), code('BK7104'));
  assert.throws(() => new BertModel({ ...tinyConfig, heads: 3 }, null, referenceKernels), code('BK7105'));
  assert.throws(() => m.param('bert.nope'), code('BK7106'));
});
