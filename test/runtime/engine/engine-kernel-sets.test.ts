/**
 * The packed engine on every kernel set this machine has (reference, native on each of its dispatch paths, WASM):
 * the packed layers (1-bit input packing with the fused shift and threshold, signed and unsigned binary GEMMs, the
 * output scale and bias) give the same float32 bits on all of them, and whole forwards (whose FP remainder —
 * softmax, LayerNorm, GELU — may round differently per set) give the same predictions with logits within 1e-5.
 * The model is big enough for K not a multiple of 64 (hidden 96, FFN 200) and for several words per row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linearForward, isBinaryLinear, type LinearScratch } from '../../../runtime/engine/engine-linear.js';
import { PackedEngine } from '../../../runtime/engine/packed-engine.js';
import { packModel, type PackedLinear } from '../../../runtime/engine/packed-model.js';
import { packedLength, type Kernels } from '../../../runtime/kernels/kernels.js';
import { loadNativeKernels, nativeAvailable, nativeInfo } from '../../../runtime/kernels/native/index.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadWasmKernels } from '../../../runtime/kernels/wasm/index.js';
import { BertModel } from '../../../runtime/model/bert.js';
import type { Batch, BertConfig } from '../../../runtime/model/types.js';
import { buildQuantPlan } from '../../../runtime/quant/plan.js';
import { Rng } from '../../../runtime/util/rng.js';
import { defaultQuant, maxRelErr, spreadParams } from '../model/tiny-model.js';
import { bitDiffs, metaFor, tinyVocab } from './helpers.js';

const config: BertConfig = {
  layers: 2, hidden: 96, heads: 3, intermediate: 200, maxPositions: 16, vocabSize: 30, typeVocabSize: 2,
  hiddenAct: 'gelu', hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 3,
};

function batch(seed: number, B: number, T: number): Batch {
  const rng = new Rng(seed);
  const inputIds = Int32Array.from({ length: B * T }, () => rng.int(30));
  const tokenTypeIds = Int32Array.from({ length: B * T }, (_, i) => (i % T > T / 2 ? 1 : 0));
  const attentionMask = new Int32Array(B * T);
  for (let b = 0; b < B; b++) attentionMask.fill(1, b * T, b * T + 1 + rng.int(T));
  return { B, T, inputIds, tokenTypeIds, attentionMask };
}

/** A W1A1 model with spread random parameters, its scales initialised by one training forward. */
function w1a1Model(): BertModel {
  const plan = buildQuantPlan(config, { name: 'w1a1', weightBits: 1, activationBits: 1, quantization: { ...defaultQuant, attentionShifts: true } }, []);
  const m = new BertModel(config, plan, referenceKernels);
  spreadParams(m, 11);
  m.forward(batch(1, 4, 12), { training: true });
  return m;
}

function kernelSets(): { name: string; kernels: Kernels }[] {
  const sets = [{ name: 'wasm', kernels: loadWasmKernels() }];
  if (nativeAvailable()) {
    for (const path of nativeInfo().available) {
      sets.push({ name: `native ${path}, 1 thread`, kernels: loadNativeKernels({ path, threads: 1 }) });
      sets.push({ name: `native ${path}, 3 threads`, kernels: loadNativeKernels({ path, threads: 3 }) });
    }
  }
  return sets;
}

function scratch(R: number, K: number): LinearScratch {
  return { bits: new Uint32Array(packedLength(R, K)), xq: new Float32Array(R * K), ties: null, tokenOf: (r) => r };
}

test('packed layers: every binarized Linear gives the same float32 bits on the reference, native and WASM kernels', () => {
  const model = w1a1Model();
  const pm = packModel(model, metaFor(model), tinyVocab);
  const sets = kernelSets();
  const linears: [string, PackedLinear][] = pm.layers.flatMap((l, i) => (['query', 'key', 'value', 'attnOut', 'intermediate', 'output'] as const).map((n) => [`L${i}.${n}`, l[n]] as [string, PackedLinear]));
  const binary = linears.filter(([, lin]) => isBinaryLinear(lin));
  assert.equal(binary.length, linears.length, 'every encoder Linear of a W1A1 model runs on binary GEMMs');
  assert.ok(binary.some(([, lin]) => !lin.input!.signed), 'an unsigned-input layer (FFN-2 after ReLU) is covered');
  const rng = new Rng(5);
  for (const R of [1, 7, 33]) {
    for (const [name, lin] of binary) {
      // inputs around the quantizer's threshold, some exactly on it
      const x = Float32Array.from({ length: R * lin.inF }, (_, i) => (i % 17 === 0 ? 0 : rng.normal()));
      const want = new Float32Array(R * lin.outF);
      linearForward(referenceKernels, want, x, lin, R, scratch(R, lin.inF));
      for (const { name: set, kernels } of sets) {
        const got = new Float32Array(R * lin.outF).fill(NaN);
        linearForward(kernels, got, x, lin, R, scratch(R, lin.inF));
        assert.equal(bitDiffs(got, want), 0, `${name} R=${R} on ${set}`);
      }
    }
  }
});

test('whole W1A1 forwards: the same predictions on every kernel set, logits within 1e-5', () => {
  const model = w1a1Model();
  const pm = packModel(model, metaFor(model), tinyVocab);
  const ref = new PackedEngine(pm, referenceKernels);
  const engines = kernelSets().map(({ name, kernels }) => ({ name, engine: new PackedEngine(pm, kernels) }));
  for (const [i, b] of [batch(2, 3, 9), batch(3, 1, 1), batch(4, 8, 16)].entries()) {
    const want = Float32Array.from(ref.forward(b));
    for (const { name, engine } of engines) {
      const got = engine.forward(b);
      assert.ok(maxRelErr(got, want) <= 1e-5, `batch ${i} on ${name}: max rel err ${maxRelErr(got, want)}`);
      for (let r = 0; r < b.B; r++) {
        const row = (a: Float32Array) => Array.from(a.subarray(r * 3, r * 3 + 3));
        const argmax = (v: number[]) => v.indexOf(Math.max(...v));
        assert.equal(argmax(row(got)), argmax(row(want)), `batch ${i} example ${r} on ${name}`);
      }
    }
  }
});

test('fused paths (LayerNorms packing the next inputs; Q/K, P·V and FFN-1 GEMMs emitting the next bits; ReLU folded) equal the unfused engine to the bit on every set', () => {
  // HS = 64: each head is whole 64-bit words, so Q and K go straight to bits; FFN 200: FFN-1's output row ends
  // mid-word. The unfused engine is the one counting ties (it needs the float outputs), the one the trainer tests use.
  const cfg: BertConfig = { ...config, hidden: 128, heads: 2, intermediate: 200 };
  const plan = buildQuantPlan(cfg, { name: 'w1a1', weightBits: 1, activationBits: 1, quantization: { ...defaultQuant, attentionShifts: true } }, []);
  const model = new BertModel(cfg, plan, referenceKernels);
  spreadParams(model, 12);
  const rng = new Rng(13);
  // non-zero shifts on Q, K, V and the probabilities, so that the fused comparisons see them
  for (const s of model.params) if (s.name.includes('_layer.act_quant.shift') || s.name.includes('attention_probs.act_quant.shift')) model.param(s.name).forEach((_, i, a) => (a[i] = 0.3 * rng.normal()));
  model.forward(batch(1, 4, 12), { training: true });
  const pm = packModel(model, metaFor(model), tinyVocab);
  for (const { name, kernels } of [{ name: 'reference', kernels: referenceKernels }, ...kernelSets()]) {
    const fused = new PackedEngine(pm, kernels);
    const unfused = new PackedEngine(pm, kernels, { countTies: true });
    for (const [i, b] of [batch(2, 3, 9), batch(3, 1, 1), batch(4, 8, 16)].entries()) {
      const want = Float32Array.from(unfused.forward(b));
      assert.equal(bitDiffs(fused.forward(b), want), 0, `batch ${i} on ${name}`);
    }
  }
});
