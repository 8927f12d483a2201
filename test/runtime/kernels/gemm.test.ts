// The three GEMM layouts of the reference kernels against a naive float64 triple loop, on odd and batched shapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceKernels as K } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

type Layout = 'NN' | 'NT' | 'TN';

function randArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Element (i,k) of A and (k,j) of B in each layout: A is [M,K] (NN, NT) or [K,M] (TN); B is [K,N] (NN, TN) or [N,K] (NT). */
function aAt(layout: Layout, A: Float32Array, base: number, i: number, k: number, M: number, K_: number): number {
  return layout === 'TN' ? A[base + k * M + i]! : A[base + i * K_ + k]!;
}
function bAt(layout: Layout, B: Float32Array, base: number, k: number, j: number, K_: number, N: number): number {
  return layout === 'NT' ? B[base + j * K_ + k]! : B[base + k * N + j]!;
}

/** Naive float64 product; returns the values and, per element, sum_k |a||b| (the scale of the rounding error). */
function naive(layout: Layout, A: Float32Array, B: Float32Array, C0: Float32Array | null, M: number, K_: number, N: number, batch: number) {
  const val = new Float64Array(batch * M * N);
  const mag = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let m = 0;
        for (let k = 0; k < K_; k++) {
          const p = aAt(layout, A, b * M * K_, i, k, M, K_) * bAt(layout, B, b * K_ * N, k, j, K_, N);
          s += p;
          m += Math.abs(p);
        }
        const o = b * M * N + i * N + j;
        val[o] = s + (C0 ? C0[o]! : 0);
        mag[o] = m + (C0 ? Math.abs(C0[o]!) : 0);
      }
    }
  }
  return { val, mag };
}

function run(layout: Layout, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K_: number, N: number, acc: boolean, batch?: number): void {
  if (layout === 'NN') K.gemmNN(C, A, B, M, K_, N, acc, batch);
  else if (layout === 'NT') K.gemmNT(C, A, B, M, K_, N, acc, batch);
  else K.gemmTN(C, A, B, M, K_, N, acc, batch);
}

const shapes: Array<[number, number, number, number]> = [
  // M, K, N, batch
  [1, 1, 1, 1], [3, 5, 7, 1], [17, 65, 33, 1], [4, 1, 9, 1], [1, 130, 1, 1], [5, 3, 2, 3], [7, 17, 6, 4],
];

describe('reference GEMMs against a naive float64 loop', () => {
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    for (const [M, K_, N, batch] of shapes) {
      for (const acc of [false, true]) {
        it(`gemm${layout} ${M}x${K_}x${N} batch ${batch} accumulate=${acc}`, () => {
          const rng = new Rng(1000 + M * 7 + K_ * 13 + N * 31 + batch);
          const A = randArray(rng, batch * M * K_);
          const B = randArray(rng, batch * K_ * N);
          const C0 = randArray(rng, batch * M * N);
          const C = C0.slice();
          // batch 1 also goes through the default argument
          run(layout, C, A, B, M, K_, N, acc, batch === 1 ? undefined : batch);
          const { val, mag } = naive(layout, A, B, acc ? C0 : null, M, K_, N, batch);
          for (let o = 0; o < val.length; o++) {
            const tol = 2 ** -22 * (K_ + 2) * mag[o]! + 1e-30;
            assert.ok(Math.abs(C[o]! - val[o]!) <= tol, `C[${o}] = ${C[o]}, expected ${val[o]} (tol ${tol})`);
          }
        });
      }
    }
  }

  it('gemmNN overwrites C (including NaN garbage) when accumulate is false', () => {
    const C = new Float32Array([NaN, NaN, NaN, NaN]);
    K.gemmNN(C, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, false);
    assert.deepEqual(Array.from(C), [19, 22, 43, 50]);
    K.gemmNT(C, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, true);
    assert.deepEqual(Array.from(C), [19 + 17, 22 + 23, 43 + 39, 50 + 53]);
    C.fill(NaN);
    K.gemmTN(C, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, false);
    // A[K=2,M=2] = [[1,2],[3,4]] -> A^T = [[1,3],[2,4]]
    assert.deepEqual(Array.from(C), [1 * 5 + 3 * 7, 1 * 6 + 3 * 8, 2 * 5 + 4 * 7, 2 * 6 + 4 * 8]);
  });

  it('zero-sized products leave C untouched or zeroed as the sizes say', () => {
    const C = new Float32Array([3, 3]);
    K.gemmNN(C, new Float32Array(0), new Float32Array(0), 1, 0, 2, false);
    assert.deepEqual(Array.from(C), [0, 0]);
    C.fill(3);
    K.gemmTN(C, new Float32Array(0), new Float32Array(0), 1, 0, 2, true);
    assert.deepEqual(Array.from(C), [3, 3]);
  });
});
