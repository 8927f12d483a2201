import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossEntropy, meanSquaredError, softCrossEntropy } from '../../../runtime/train/losses.js';
import { Rng } from '../../../runtime/util/rng.js';

function random(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Central finite difference of f at every element of x (float64 steps on a float32 copy). */
function numericGrad(f: (x: Float32Array) => number, x: Float32Array, eps = 1e-2): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + eps;
    const up = f(x);
    x[i] = keep - eps;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('soft cross-entropy: value by hand and gradient against finite differences', () => {
  // One example, two classes, T = 1: teacher logits (0, 0) -> p_t = (0.5, 0.5); student (ln 3, 0) -> p_s = (0.75, 0.25).
  // L = -(0.5 ln 0.75 + 0.5 ln 0.25) = 0.9806...
  const s = new Float32Array([Math.log(3), 0]);
  const t = new Float32Array([0, 0]);
  const d = new Float32Array(2);
  const L = softCrossEntropy(d, s, t, 1, 2, 1, 1);
  assert.ok(Math.abs(L - -(0.5 * Math.log(0.75) + 0.5 * Math.log(0.25))) < 1e-6);
  assertClose(d, [0.25, -0.25], 1e-6, 'dS');

  const rng = new Rng(3);
  const B = 3, C = 4, T = 2, w = 0.7;
  const sx = random(B * C, rng), tx = random(B * C, rng);
  const dS = new Float32Array(B * C);
  softCrossEntropy(dS, sx, tx, B, C, T, w);
  const num = numericGrad((x) => softCrossEntropy(new Float32Array(B * C), x, tx, B, C, T, w), sx);
  assertClose(dS, num, 2e-3, 'dS');
});

test('cross-entropy against class labels: value by hand and gradient', () => {
  // logits (0, ln 3): p = (0.25, 0.75); label 1 -> L = -ln 0.75; dS = p - onehot = (0.25, -0.25)
  const d = new Float32Array(2);
  const L = crossEntropy(d, new Float32Array([0, Math.log(3)]), new Float32Array([1]), 1, 2, 1);
  assert.ok(Math.abs(L + Math.log(0.75)) < 1e-6);
  assertClose(d, [0.25, -0.25], 1e-6, 'dS');

  const rng = new Rng(5);
  const s = random(6, rng);
  const labels = new Float32Array([2, 0]);
  const dS = new Float32Array(6);
  crossEntropy(dS, s, labels, 2, 3, 1.5);
  assertClose(dS, numericGrad((x) => crossEntropy(new Float32Array(6), x, labels, 2, 3, 1.5), s), 2e-3, 'dS');
});

test('mean squared error: value, gradient, and accumulation into dS', () => {
  const s = new Float32Array([1, 2, 3]);
  const t = new Float32Array([1, 0, 6]);
  const d = new Float32Array([10, 10, 10]);
  // mean of (0, 4, 9) = 13/3; dS += 2 (s - t) / 3
  const L = meanSquaredError(d, s, t, 3, 1);
  assert.ok(Math.abs(L - 13 / 3) < 1e-6);
  assertClose(d, [10, 10 + 4 / 3, 10 - 2], 1e-6, 'dS');
});

test('attention-score MSE skips padded keys and matches finite differences on the rest', async () => {
  const { attentionScoreMse } = await import('../../../runtime/train/losses.js');
  const B = 2, NH = 2, T = 3;
  const rng = new Rng(9);
  const s = random(B * NH * T * T, rng), t = random(B * NH * T * T, rng);
  const mask = new Int32Array([1, 1, 0, 1, 1, 1]); // example 0 has a padded last key
  // A huge difference at a padded key must not count.
  s[2] = 1e4;
  const dS = new Float32Array(s.length);
  attentionScoreMse(dS, s, t, mask, B, NH, T, 0.5);
  assert.equal(dS[2], 0);
  const num = numericGrad((x) => attentionScoreMse(new Float32Array(x.length), x, t, mask, B, NH, T, 0.5), s);
  for (let i = 0; i < s.length; i++) if (i !== 2) assert.ok(Math.abs(dS[i]! - num[i]!) < 2e-3, `dS[${i}]`);
});
