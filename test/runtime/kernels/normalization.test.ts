// Softmax (with the attention mask) and LayerNorm, forward against float64 re-implementations and backward against
// central finite differences of those re-implementations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceKernels as K } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

function randArray(rng: Rng, n: number, s = 1): Float32Array {
  return new Float32Array(n).map(() => s * rng.normal());
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} (tol ${tol})`);
}

function softmax64(x: ArrayLike<number>, mask: ArrayLike<number> | null, scale: number, R: number, C: number, rowsPerMask: number): Float64Array {
  const y = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    const z: number[] = [];
    for (let c = 0; c < C; c++) z.push(x[r * C + c]! * scale + (mask ? mask[Math.floor(r / rowsPerMask) * C + c]! : 0));
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const s = e.reduce((p, q) => p + q, 0);
    for (let c = 0; c < C; c++) y[r * C + c] = e[c]! / s;
  }
  return y;
}

describe('softmaxForward', () => {
  it('attention layout: R = B*NH*T rows, mask row floor(r / (NH*T)), masked columns get ~0', () => {
    const B = 2;
    const NH = 3;
    const T = 5;
    const R = B * NH * T;
    const rng = new Rng(1);
    const x = randArray(rng, R * T, 3);
    const mask = new Float32Array(B * T);
    mask[3] = -10000;
    mask[4] = -10000; // batch 0: last two keys padded
    mask[T + 4] = -10000; // batch 1: last key padded
    const y = new Float32Array(R * T);
    K.softmaxForward(y, x, mask, 0.125, R, T, NH * T);
    const want = softmax64(x, mask, 0.125, R, T, NH * T);
    for (let i = 0; i < y.length; i++) close(y[i]!, want[i]!, 1e-7, `y[${i}]`);
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let c = 0; c < T; c++) s += y[r * T + c]!;
      close(s, 1, 1e-6, `row ${r} sum`);
      const b = Math.floor(r / (NH * T));
      for (let c = 0; c < T; c++) if (mask[b * T + c] !== 0) assert.ok(y[r * T + c]! < 1e-30, `masked y[${r},${c}]`);
    }
  });

  it('is stable for large logits, works in place, and without a mask', () => {
    const x = new Float32Array([1000, 1001, 1002, -1000, 0, 1000]);
    K.softmaxForward(x, x, null, 1, 2, 3, 0);
    const want = softmax64([1000, 1001, 1002, -1000, 0, 1000], null, 1, 2, 3, 1);
    for (let i = 0; i < 6; i++) close(x[i]!, want[i]!, 1e-7, `y[${i}]`);
    assert.ok(Number.isFinite(x[0]!) && x[5]! > 0.99, `large logits: ${Array.from(x)}`);
  });
});

describe('softmaxBackward', () => {
  it('matches central differences of the float64 softmax of (x * scale + mask)', () => {
    const R = 4;
    const C = 6;
    const scale = 0.7;
    const rng = new Rng(2);
    const x = Array.from(randArray(rng, R * C));
    const mask = new Float32Array(2 * C);
    mask[5] = -10000;
    const g = Array.from(randArray(rng, R * C));
    const loss = (xx: number[]): number => softmax64(xx, mask, scale, R, C, 2).reduce((s, v, i) => s + v * g[i]!, 0);
    const y = new Float32Array(R * C);
    K.softmaxForward(y, Float32Array.from(x), mask, scale, R, C, 2);
    const dX = new Float32Array(R * C).fill(0.5);
    K.softmaxBackward(dX, Float32Array.from(g), y, scale, R, C);
    const h = 1e-6;
    for (let i = 0; i < R * C; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      close(dX[i]!, 0.5 + (loss(xp) - loss(xm)) / (2 * h), 1e-6, `dX[${i}]`);
    }
  });
});

function layerNorm64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, R: number, C: number, eps: number) {
  const y = new Float64Array(R * C);
  const mean = new Float64Array(R);
  const rstd = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let mu = 0;
    for (let c = 0; c < C; c++) mu += x[r * C + c]! / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - mu) ** 2 / C;
    mean[r] = mu;
    rstd[r] = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c]! - mu) * rstd[r]! * gamma[c]! + beta[c]!;
  }
  return { y, mean, rstd };
}

describe('layerNorm', () => {
  const R = 3;
  const C = 17;
  const eps = 1e-12;
  const rng = new Rng(3);
  const x = randArray(rng, R * C, 2).map((v) => v + 1.5);
  const gamma = randArray(rng, C).map((v) => 1 + 0.3 * v);
  const beta = randArray(rng, C, 0.1);

  it('forward, mean and rstd against float64', () => {
    const y = new Float32Array(R * C);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    K.layerNormForward(y, mean, rstd, x, gamma, beta, R, C, eps);
    const want = layerNorm64(x, gamma, beta, R, C, eps);
    for (let i = 0; i < R * C; i++) close(y[i]!, want.y[i]!, 1e-6, `y[${i}]`);
    for (let r = 0; r < R; r++) {
      close(mean[r]!, want.mean[r]!, 1e-6, `mean[${r}]`);
      close(rstd[r]! / want.rstd[r]!, 1, 1e-6, `rstd[${r}]`);
    }
  });

  it('a constant row gives beta (rstd = 1/sqrt(eps), finite)', () => {
    const y = new Float32Array(3);
    const mean = new Float32Array(1);
    const rstd = new Float32Array(1);
    K.layerNormForward(y, mean, rstd, new Float32Array([2, 2, 2]), new Float32Array([1, 1, 1]), new Float32Array([0.5, 0, -1]), 1, 3, 1e-5);
    assert.deepEqual(Array.from(y), [0.5, 0, -1]);
    close(rstd[0]!, 1 / Math.sqrt(1e-5), 1e-3, 'rstd');
  });

  it('backward: dX, dGamma, dBeta against central differences, accumulating', () => {
    const g = randArray(rng, R * C);
    const y = new Float32Array(R * C);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    K.layerNormForward(y, mean, rstd, x, gamma, beta, R, C, eps);
    const dX = new Float32Array(R * C).fill(1);
    const dG = new Float32Array(C).fill(2);
    const dB = new Float32Array(C).fill(3);
    K.layerNormBackward(dX, dG, dB, g, x, mean, rstd, gamma, R, C);
    const loss = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>): number =>
      layerNorm64(xx, gg, bb, R, C, eps).y.reduce((s, v, i) => s + v * g[i]!, 0);
    const h = 1e-5;
    const perturb = (a: Float32Array, i: number, d: number): Float64Array => {
      const c = Float64Array.from(a);
      c[i] += d;
      return c;
    };
    for (let i = 0; i < R * C; i++) {
      const fd = (loss(perturb(x, i, h), gamma, beta) - loss(perturb(x, i, -h), gamma, beta)) / (2 * h);
      close(dX[i]!, 1 + fd, 2e-5, `dX[${i}]`);
    }
    for (let c = 0; c < C; c++) {
      const fdG = (loss(x, perturb(gamma, c, h), beta) - loss(x, perturb(gamma, c, -h), beta)) / (2 * h);
      const fdB = (loss(x, gamma, perturb(beta, c, h)) - loss(x, gamma, perturb(beta, c, -h))) / (2 * h);
      close(dG[c]!, 2 + fdG, 2e-5, `dGamma[${c}]`);
      close(dB[c]!, 3 + fdB, 2e-5, `dBeta[${c}]`);
    }
  });
});
