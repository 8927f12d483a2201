/**
 * The packed engine against the trainer's model (BertModel.forward, training=false) on tiny random models of every
 * stage kind: W1A1 (all binary GEMMs), W1A2 / W1A4 (FP GEMMs on dequantized values), FP, and option variants
 * (attention shifts, no centring, two-set off, elastic off, embeddings FP, a layer kept FP). Same kernel set
 * (reference) on both sides: the logits must be equal to the bit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { PackedEngine } from '../../../runtime/engine/packed-engine.js';
import { isBinaryLinear } from '../../../runtime/engine/engine-linear.js';
import { packModel } from '../../../runtime/engine/packed-model.js';
import { BertModel } from '../../../runtime/model/bert.js';
import type { Batch } from '../../../runtime/model/types.js';
import { buildQuantPlan } from '../../../runtime/quant/plan.js';
import type { BitWidth, QuantizationOptions } from '../../../runtime/recipe/types.js';
import { Rng } from '../../../runtime/util/rng.js';
import { defaultQuant, tinyBatch, tinyConfig, tinyModel } from '../model/tiny-model.js';
import { bitDiffs, metaFor, tinyVocab } from './helpers.js';

function randomBatch(seed: number, B: number, T: number): Batch {
  const rng = new Rng(seed);
  const inputIds = Int32Array.from({ length: B * T }, () => rng.int(30));
  const tokenTypeIds = Int32Array.from({ length: B * T }, (_, i) => (i % T > T / 2 ? 1 : 0));
  const attentionMask = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = 1 + rng.int(T);
    attentionMask.fill(1, b * T, b * T + len);
  }
  return { B, T, inputIds, tokenTypeIds, attentionMask };
}

/**
 * Engine vs trainer on four batches. Returns how many examples differ; every differing example must have a
 * 1-bit quantizer input exactly on its threshold (the engine counts them), where the trainer's float32-accumulated
 * P·V may land on either side.
 */
function compare(model: BertModel, label: string, allowTies = false): number {
  const engine = new PackedEngine(packModel(model, metaFor(model), tinyVocab), referenceKernels, { countTies: true });
  const NL = model.config.numLabels;
  let differing = 0;
  for (const [i, batch] of [tinyBatch(), randomBatch(3, 3, 8), randomBatch(4, 1, 1), randomBatch(5, 4, 6)].entries()) {
    // allocateFor: BertModel.ensureActivations reuses a slab whose B*T fits even when B exceeds its capB (the pooler's
    // [B,C] buffers then overflow); sizing it once for the largest batch keeps the trainer side out of that bug
    const want = Float32Array.from(model.forward(batch, { training: false, allocateFor: { B: 8, T: 8 } }).logits);
    const got = Float32Array.from(engine.forward(batch));
    for (let b = 0; b < batch.B; b++) {
      if (bitDiffs(got.subarray(b * NL, (b + 1) * NL), want.subarray(b * NL, (b + 1) * NL)) === 0) continue;
      differing++;
      const msg = `${label}, batch ${i} example ${b}: engine ${Array.from(got.subarray(b * NL, (b + 1) * NL))} vs trainer ${Array.from(want.subarray(b * NL, (b + 1) * NL))}`;
      assert.ok(allowTies, msg);
      assert.ok(engine.ties![b]! > 0, `${msg}, with no input on a threshold`);
    }
  }
  return differing;
}

test('W1A1: every Linear and both attention matmuls on binary GEMMs; logits equal the trainer\'s to the bit', () => {
  const model = tinyModel(1, 1);
  const pm = packModel(model, metaFor(model), tinyVocab);
  for (const layer of pm.layers) {
    for (const lin of [layer.query, layer.key, layer.value, layer.attnOut, layer.intermediate, layer.output]) assert.ok(isBinaryLinear(lin), lin.name);
    assert.ok(layer.qQuant?.bits === 1 && layer.pQuant?.bits === 1 && layer.pQuant.signed === false);
    assert.equal(layer.output.input?.signed, false, 'FFN-2 input is unsigned {0, a}');
  }
  assert.ok(isBinaryLinear(pm.pooler));
  assert.equal(pm.embeddings.word.kind, 'binary');
  compare(model, 'W1A1');
});

test('W1A2, W1A4 (FP GEMMs on dequantized values, min offset) and the FP model match the trainer to the bit', () => {
  compare(tinyModel(1, 2), 'W1A2');
  compare(tinyModel(1, 4), 'W1A4');
  compare(tinyModel(null, 32), 'FP');
  compare(tinyModel(1, 32), 'W1A32');
});

test('option variants match: attention shifts, no centring, two-set off, elastic off, FP embeddings, no min offset', () => {
  const variants: [string, Partial<QuantizationOptions>][] = [
    ['attentionShifts', { attentionShifts: true }],
    ['no centring', { weightCentering: false }],
    ['two-set off', { twoSet: false }],
    ['elastic off', { elastic: false }],
    ['FP embeddings', { binarizeEmbeddings: false }],
    ['gelu students', { ffnActivation: 'gelu' }],
  ];
  for (const [name, opts] of variants) {
    const model = tinyModel(1, 1, opts, 2);
    if (name === 'attentionShifts') {
      // give the attention shifts non-zero values so that they matter
      const rng = new Rng(9);
      for (const s of model.params) if (s.name.includes('_layer.act_quant.shift') || s.name.includes('attention_probs.act_quant.shift')) model.param(s.name).forEach((_, i, a) => (a[i] = 0.3 * rng.normal()));
    }
    // elastic off: no shift b, so a P·V sum that is exactly 0 feeds sign() directly: a tie
    compare(model, name, name === 'elastic off');
  }
  compare(tinyModel(1, 2, { unsignedMinOffset: false }), 'W1A2 no min offset');
});

test('a layer kept FP by an override and mixed bit widths run on the FP path and still match', () => {
  const plan = buildQuantPlan(tinyConfig, { name: 's', weightBits: 1 as BitWidth, activationBits: 1 as BitWidth, quantization: defaultQuant }, [
    { match: 'bert.encoder.layer.0.intermediate.dense', keepFullPrecision: true },
    { match: 'bert.encoder.layer.1.attention.self.attention_probs', activationBits: 4 },
    { match: 'bert.encoder.layer.1.attention.self.query_layer', activationBits: 2 },
  ]);
  const model = new BertModel(tinyConfig, plan, referenceKernels);
  const src = tinyModel(1, 1);
  model.copyFrom(src);
  model.forward(tinyBatch(), { training: true }); // initialises the scales the override introduced
  compare(model, 'mixed');
});

test('regression head, buffers grow and shrink across batch shapes, predict() tokenizes raw text', () => {
  const cfg = { ...tinyConfig, numLabels: 1 };
  const plan = buildQuantPlan(cfg, { name: 's', weightBits: 1, activationBits: 1, quantization: defaultQuant }, []);
  const model = new BertModel(cfg, plan, referenceKernels);
  model.copyFrom(tinyModel(1, 1));
  model.forward(tinyBatch(), { training: true });
  compare(model, 'regression');
  const engine = new PackedEngine(packModel(model, metaFor(model), tinyVocab), referenceKernels);
  const p = engine.predict([{ textA: 'the movie was good' }, { textA: 'bad plot', textB: 'not fine' }]);
  assert.equal(p.length, 2);
  assert.equal(p[0]!.label, null);
  assert.equal(typeof p[0]!.value, 'number');
});

test('predict: labels and softmax scores; the same text gives the same answer alone or in a padded batch', () => {
  const model = tinyModel(1, 1);
  const engine = new PackedEngine(packModel(model, metaFor(model), tinyVocab), referenceKernels);
  const texts = [{ textA: 'the movie was very good' }, { textA: 'bad' }, { textA: 'it is not fine', textB: 'the story is poor' }];
  const together = engine.predict(texts, 8);
  const alone = texts.map((t) => engine.predict([t], 1)[0]!);
  for (let i = 0; i < texts.length; i++) {
    assert.ok(['class0', 'class1', 'class2'].includes(together[i]!.label!));
    assert.ok(Math.abs(together[i]!.scores.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.deepEqual(together[i]!.logits, alone[i]!.logits, `text ${i}: padding changed the logits`);
  }
  assert.throws(() => engine.forward({ B: 1, T: 9, inputIds: new Int32Array(9), tokenTypeIds: new Int32Array(9), attentionMask: new Int32Array(9) }), /maxPositions/);
});

test('ReLU folded into FFN-2\'s packing (shift b >= threshold -> always 1): the same logits as the ReLU pass', () => {
  const model = tinyModel(1, 1);
  // spread FFN-2's input shifts on both sides of its threshold a/2, some exactly on it
  for (let l = 0; l < model.config.layers; l++) {
    const name = `bert.encoder.layer.${l}.output.dense.act_quant.shift`;
    const shift = model.param(name);
    const a = model.param(`bert.encoder.layer.${l}.output.dense.act_quant.scale`)[0]!;
    for (let c = 0; c < shift.length; c++) shift[c] = [-0.3, 0.05, a / 2, a, 2 * a][c % 5]!;
  }
  const pm = packModel(model, metaFor(model), tinyVocab);
  assert.equal(pm.ffnActivation, 'relu');
  const folded = new PackedEngine(pm, referenceKernels);
  const plain = new PackedEngine(pm, referenceKernels, { countTies: true }); // tie counting keeps the ReLU pass
  for (const batch of [tinyBatch(), randomBatch(8, 3, 8), randomBatch(9, 5, 7)]) {
    assert.equal(bitDiffs(Float32Array.from(folded.forward(batch)), Float32Array.from(plain.forward(batch))), 0);
  }
});
