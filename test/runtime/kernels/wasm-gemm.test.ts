// The WASM kernel set's GEMMs, bit packing and binary GEMMs against the reference set: float GEMMs within 1e-5 of
// sum_k |a||b| (float32 sums vs the reference's double), packBits and the binary GEMMs bit-exact (tolerance 0),
// on odd shapes (K not a multiple of 64, tiny and large M/N, batches); mismatched sizes throw BK7001 unwritten.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { referenceKernels as R } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';
import { W, assertExact, assertRejects, randArray, skip } from './wasm-helpers.js';

type Layout = 'NN' | 'NT' | 'TN';
const Ks = [1, 63, 64, 65, 200, 773];

function gemm(k: typeof R, layout: Layout, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, acc: boolean, batch: number): void {
  if (layout === 'NN') k.gemmNN(C, A, B, M, K, N, acc, batch);
  else if (layout === 'NT') k.gemmNT(C, A, B, M, K, N, acc, batch);
  else k.gemmTN(C, A, B, M, K, N, acc, batch);
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

describe('wasm kernels: float GEMMs against the reference', { skip }, () => {
  const W_ = W!;
  const shapes: Array<[number, number, number, number]> = [
    // M, K, N, batch
    [1, 1, 1, 1], [3, 5, 7, 1], [4, 8, 8, 1], [17, 65, 33, 1], [1, 130, 1, 1], [5, 3, 2, 3], [7, 17, 6, 4],
    [130, 200, 70, 1], [9, 773, 131, 1], [64, 64, 64, 2], [2, 1100, 1030, 1], [33, 300, 1, 1], [1, 63, 257, 1],
  ];
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    it(`gemm${layout} on ${shapes.length} shapes, overwrite and accumulate`, () => {
      const rng = new Rng(11);
      for (const [M, K, N, batch] of shapes) {
        for (const acc of [false, true]) {
          const A = randArray(rng, batch * M * K), B = randArray(rng, batch * K * N), C0 = randArray(rng, batch * M * N);
          const want = C0.slice(), got = C0.slice(), mag = abs(C0);
          gemm(R, layout, want, A, B, M, K, N, acc, batch);
          gemm(W_ as typeof R, layout, got, A, B, M, K, N, acc, batch);
          gemm(R, layout, mag, abs(A), abs(B), M, K, N, acc, batch); // sum_k |a||b| (+ |C0|): the error scale
          for (let i = 0; i < want.length; i++) {
            const err = Math.abs(got[i]! - want[i]!);
            if (!(err <= 1e-5 * mag[i]! + 1e-30)) {
              assert.fail(`gemm${layout} ${M}x${K}x${N} batch ${batch} acc ${acc} [${i}]: got ${got[i]}, want ${want[i]}, scale ${mag[i]}`);
            }
          }
        }
      }
    });
  }

  it('K = 0 writes zeros (or leaves C when accumulating); M = 0 or N = 0 writes nothing', () => {
    const C = new Float32Array([1, 2, 3, 4]);
    W_.gemmNN(C, new Float32Array(0), new Float32Array(0), 2, 0, 2, true);
    assertExact(C, [1, 2, 3, 4], 'acc');
    W_.gemmNT(C, new Float32Array(0), new Float32Array(0), 2, 0, 2, false);
    assertExact(C, [0, 0, 0, 0], 'overwrite');
    const D = new Float32Array([5]);
    W_.gemmTN(D, new Float32Array(3), new Float32Array(0), 1, 3, 0, false);
    assertExact(D, [5], 'N = 0');
  });

  it('mismatched sizes throw BK7001 before anything is written', () => {
    for (const layout of ['NN', 'NT', 'TN'] as const) {
      const C = new Float32Array(12).fill(7);
      assertRejects(() => gemm(W_ as typeof R, layout, C, new Float32Array(11), new Float32Array(20), 3, 4, 4, false, 1), [C], `gemm${layout} A`);
      assertRejects(() => gemm(W_ as typeof R, layout, C, new Float32Array(12), new Float32Array(15), 3, 4, 4, true, 1), [C], `gemm${layout} B`);
      assertRejects(() => gemm(W_ as typeof R, layout, C, new Float32Array(24), new Float32Array(32), 3, 4, 4, false, 2), [C], `gemm${layout} C batch`);
      assertRejects(() => gemm(W_ as typeof R, layout, C, new Float32Array(12), new Float32Array(16), 3, 4.5, 4, false, 1), [C], `gemm${layout} K`);
    }
  });
});

describe('wasm kernels: packBits and binary GEMMs, bit-exact', { skip }, () => {
  const W_ = W!;
  it('packBits matches the reference bit for bit (shift or not, thresholds, NaN, zeros, ties)', () => {
    const rng = new Rng(5);
    const half = 0.25;
    const above = Math.fround(half) + 2 ** -25; // not a float32: forces the double comparison
    for (const K of [...Ks, 16, 31, 32, 128, 129]) {
      for (const R_ of [1, 3, 8]) {
        for (const threshold of [0, half, Math.fround(0.1), above, -1e-9]) {
          for (const withShift of [false, true]) {
            const x = randArray(rng, R_ * K, [0, -0, NaN, half, -half, 1e-8, -1e-8, threshold]);
            const shift = withShift ? randArray(rng, K, [0, -1e-8, 1e-8, -half]) : null;
            const want = new Uint32Array(packedLength(R_, K)), got = new Uint32Array(packedLength(R_, K)).fill(0xdeadbeef);
            R.packBits(want, x, shift, threshold, R_, K);
            W_.packBits(got, x, shift, threshold, R_, K);
            assertExact(got, want, `packBits K=${K} R=${R_} t=${threshold} shift=${withShift}`);
          }
        }
      }
    }
  });

  const mn: Array<[number, number]> = [[1, 1], [1, 4], [2, 3], [3, 5], [5, 8], [7, 9], [64, 67], [130, 33], [1, 257]];
  for (const kind of ['SS', 'US'] as const) {
    it(`binaryGemm${kind} matches the reference exactly (tolerance 0), with and without colScale`, () => {
      const rng = new Rng(kind === 'SS' ? 21 : 22);
      for (const K of Ks) {
        for (const [M, N] of mn) {
          const a = randArray(rng, M * K), b = randArray(rng, N * K);
          const A = new Uint32Array(packedLength(M, K)), B = new Uint32Array(packedLength(N, K));
          R.packBits(A, a, null, kind === 'US' ? 0.5 : 0, M, K);
          R.packBits(B, b, null, 0, N, K);
          for (const col of [null, randArray(rng, N, [0, 1, -1])]) {
            for (const scale of [1, 0.123456789, -3.3e-3]) {
              const want = new Float32Array(M * N), got = new Float32Array(M * N).fill(NaN);
              if (kind === 'SS') {
                R.binaryGemmSS(want, A, B, M, K, N, scale, col);
                W_.binaryGemmSS(got, A, B, M, K, N, scale, col);
              } else {
                R.binaryGemmUS(want, A, B, M, K, N, scale, col);
                W_.binaryGemmUS(got, A, B, M, K, N, scale, col);
              }
              assertExact(got, want, `binaryGemm${kind} ${M}x${K}x${N} scale ${scale} col ${col !== null}`);
            }
          }
        }
      }
    });
  }

  it('binaryGemmSS/US batched with a fused bias match the reference exactly', () => {
    const rng = new Rng(23);
    for (const [batch, M, K, N] of [[1, 5, 70, 9], [12, 16, 64, 16], [3, 33, 130, 7]] as const) {
      const la = packedLength(M, K), lb = packedLength(N, K);
      const A = new Uint32Array(batch * la), B = new Uint32Array(batch * lb);
      for (let i = 0; i < batch; i++) {
        R.packBits(A.subarray(i * la, (i + 1) * la), randArray(rng, M * K), null, 0.25, M, K);
        R.packBits(B.subarray(i * lb, (i + 1) * lb), randArray(rng, N * K), null, 0, N, K);
      }
      const bias = randArray(rng, N, [0, 1]);
      for (const fn of ['binaryGemmSS', 'binaryGemmUS'] as const) {
        const want = new Float32Array(batch * M * N), got = new Float32Array(batch * M * N).fill(NaN);
        R[fn](want, A, B, M, K, N, 0.5, null, bias, batch);
        W_[fn](got, A, B, M, K, N, 0.5, null, bias, batch);
        assertExact(got, want, `${fn} batch ${batch} ${M}x${K}x${N}`);
      }
    }
  });

  it('a BERT-sized signed product (128 x 768 x 3072) is exact', () => {
    const rng = new Rng(3);
    const [M, K, N] = [128, 768, 3072];
    const A = new Uint32Array(packedLength(M, K)).map(() => (rng.next() * 2 ** 32) >>> 0);
    const B = new Uint32Array(packedLength(N, K)).map(() => (rng.next() * 2 ** 32) >>> 0);
    const col = randArray(rng, N);
    const want = new Float32Array(M * N), got = new Float32Array(M * N);
    R.binaryGemmSS(want, A, B, M, K, N, 0.01, col);
    W_.binaryGemmSS(got, A, B, M, K, N, 0.01, col);
    assertExact(got, want, 'binaryGemmSS BERT');
  });

  it('mismatched sizes throw BK7001 before anything is written', () => {
    const C = new Float32Array(6).fill(3);
    const K = 65;
    const A = new Uint32Array(packedLength(2, K)), B = new Uint32Array(packedLength(3, K));
    assertRejects(() => W_.binaryGemmSS(C, A.subarray(1), B, 2, K, 3, 1, null), [C], 'binaryGemmSS A');
    assertRejects(() => W_.binaryGemmSS(C, A, B.subarray(1), 2, K, 3, 1, null), [C], 'binaryGemmSS B');
    assertRejects(() => W_.binaryGemmUS(C, A, B, 2, K, 3, 1, new Float32Array(2)), [C], 'binaryGemmUS colScale');
    assertRejects(() => W_.binaryGemmUS(C.subarray(1), A, B, 2, K, 3, 1, null), [C], 'binaryGemmUS C');
    const out = new Uint32Array(packedLength(2, K)).fill(9);
    assertRejects(() => W_.packBits(out, new Float32Array(2 * K - 1), null, 0, 2, K), [out], 'packBits x');
    assertRejects(() => W_.packBits(out, new Float32Array(2 * K), new Float32Array(K - 1), 0, 2, K), [out], 'packBits shift');
    assertRejects(() => W_.packBits(out.subarray(1), new Float32Array(2 * K), null, 0, 2, K), [out], 'packBits out');
  });
});
