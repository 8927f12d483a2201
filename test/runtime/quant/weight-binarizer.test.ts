import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as k } from '../../../runtime/kernels/reference.js';
import { BinarizedEmbedding, BinarizedWeight } from '../../../runtime/quant/weight-binarizer.js';

test('per-tensor: alpha = mean|W| (uncentred), sign(W - mean) with sign(0) = +1', () => {
  // mean = 0.5; centred signs of w - 0.5: [-, +(0), +, -, +]; uncentred signs: [+(0), +, +, -, +]
  const w = Float32Array.from([0, 0.5, 2, -1, 1]);
  const alpha = (0 + 0.5 + 2 + 1 + 1) / 5;
  const c = new BinarizedWeight(k, w, true);
  assert.deepEqual(Array.from(c.forward()), [-alpha, alpha, alpha, -alpha, alpha].map(Math.fround));
  assert.equal(c.alpha, alpha);
  const u = new BinarizedWeight(k, w, false);
  assert.deepEqual(Array.from(u.forward()), [alpha, alpha, alpha, -alpha, alpha].map(Math.fround));
  // the latent weights are untouched and the result follows them
  w[3] = 5;
  assert.equal(u.forward()[3], Math.fround((0 + 0.5 + 2 + 5 + 1) / 5));
});

test('per-row embedding: row scale mean_j|E[r,j]|, centred by the global mean', () => {
  const e = Float32Array.from([1, -1, 3, /* row 1 */ 0, 0.5, -0.5]); // global mean 0.5
  const b = new BinarizedEmbedding(k, e, 2, 3, true);
  const eb = b.forward();
  const r0 = 5 / 3;
  const r1 = 1 / 3;
  assert.deepEqual(Array.from(b.rowScale), [r0, r1].map(Math.fround));
  // row 0: e - 0.5 = [0.5, -1.5, 2.5]; row 1: [-0.5, 0 (-> +1), -1]
  assert.deepEqual(Array.from(eb), [r0, -r0, r0, -r1, r1, -r1].map(Math.fround));
  const nc = new BinarizedEmbedding(k, e, 2, 3, false).forward();
  assert.deepEqual(Array.from(nc), [r0, -r0, r0, r1, r1, -r1].map(Math.fround)); // sign(0) = +1 uncentred too
});
