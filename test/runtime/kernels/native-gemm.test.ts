// The native GEMMs, packBits and the popcount GEMMs against the reference set, on every dispatch path this CPU
// runs and with 1, 2 and 3 threads: FP32 GEMMs within 1e-5 of sum_k |a||b| (the scale of any rounding error),
// packed bits and binary GEMM outputs identical to the last bit (tolerance 0), on odd shapes, K around the 64-bit
// word size, and on typed-array views that start mid-buffer (odd Uint32 offsets: 64-bit words not 8-byte aligned).
// Skipped with a message when the addon is not built (node scripts/build-native.mjs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { loadNativeKernels, nativeAvailable, nativeInfo, type NativeKernels } from '../../../runtime/kernels/native/index.js';
import { referenceKernels as ref } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

const built = nativeAvailable();
const skip = built ? false : 'native addon not built: run `node scripts/build-native.mjs` to test the native kernels';
const paths = built ? nativeInfo().available : [];
const THREADS = [1, 2, 3];

function sets(): Array<[string, NativeKernels]> {
  const out: Array<[string, NativeKernels]> = [];
  for (const path of paths) for (const threads of THREADS) out.push([`${path}/${threads}t`, loadNativeKernels({ path, threads })]);
  return out;
}

/** A Float32Array of n values that is a view at `offset` elements into a larger buffer (garbage around it). */
function view(n: number, offset: number, fill: (i: number) => number): Float32Array {
  const big = new Float32Array(n + offset + 3).fill(NaN);
  const v = big.subarray(offset, offset + n);
  for (let i = 0; i < n; i++) v[i] = fill(i);
  return v;
}

function u32view(src: Uint32Array, offset: number): Uint32Array {
  const big = new Uint32Array(src.length + offset + 2).fill(0xa5a5a5a5);
  const v = big.subarray(offset, offset + src.length);
  v.set(src);
  return v;
}

type Layout = 'NN' | 'NT' | 'TN';

function gemm(k: Kernels, layout: Layout, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, acc: boolean, batch?: number): void {
  if (layout === 'NN') k.gemmNN(C, A, B, M, K, N, acc, batch);
  else if (layout === 'NT') k.gemmNT(C, A, B, M, K, N, acc, batch);
  else k.gemmTN(C, A, B, M, K, N, acc, batch);
}

/** sum_k |a_ik b_kj| (+ |C0|) per output, float64: the scale of the rounding error of any summation order. */
function magnitude(layout: Layout, A: Float32Array, B: Float32Array, C0: Float32Array | null, M: number, K: number, N: number, batch: number): Float64Array {
  const mag = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let m = 0;
        for (let k = 0; k < K; k++) {
          const a = layout === 'TN' ? A[b * M * K + k * M + i]! : A[b * M * K + i * K + k]!;
          const x = layout === 'NT' ? B[b * K * N + j * K + k]! : B[b * K * N + k * N + j]!;
          m += Math.abs(a * x);
        }
        const o = b * M * N + i * N + j;
        mag[o] = m + (C0 ? Math.abs(C0[o]!) : 0);
      }
    }
  }
  return mag;
}

describe('native FP32 GEMMs match the reference', { skip }, () => {
  const all = built ? sets() : [];
  // M, K, N, batch: tiny, odd, K around 64, past the micro-tiles (12x32, 6x16) and the cache blocks (K > 256)
  const shapes: Array<[number, number, number, number]> = [
    [1, 1, 1, 1], [3, 5, 7, 1], [17, 65, 33, 1], [13, 200, 37, 2], [1, 773, 1, 1], [70, 773, 45, 1],
    [131, 64, 97, 1], [5, 3, 2, 3], [25, 63, 40, 4], [150, 300, 250, 1], [0, 5, 3, 1], [4, 0, 6, 1], [2, 7, 0, 1],
    // prepacked (big enough to pack A and B once) with Mpad * K not a multiple of 16: the packed B then started off a
    // 64-byte boundary and the aligned loads of the micro-kernels crashed (a last batch of 861 tokens in STS-B)
    [64, 861, 256, 1], [30, 1001, 700, 1],
  ];
  for (const layout of ['NN', 'NT', 'TN'] as const) {
    for (const [M, K, N, batch] of shapes) {
      it(`gemm${layout} ${M}x${K}x${N} batch ${batch}, overwrite and accumulate, every path and thread count`, () => {
        const rng = new Rng(M * 7 + K * 13 + N * 31 + batch + layout.charCodeAt(1));
        const A = view(batch * M * K, 1, () => rng.normal());
        const B = view(batch * K * N, 3, () => rng.normal());
        const C0 = view(batch * M * N, 0, () => rng.normal());
        for (const acc of [false, true]) {
          const want = C0.slice();
          gemm(ref, layout, want, A, B, M, K, N, acc, batch);
          const mag = magnitude(layout, A, B, acc ? C0 : null, M, K, N, batch);
          for (const [name, k] of all) {
            const C = view(batch * M * N, 2, (i) => (acc ? C0[i]! : NaN));
            const guard = new Float32Array(C.buffer, C.byteOffset + C.byteLength, 1);
            const guardBefore = guard[0];
            gemm(k, layout, C, A, B, M, K, N, acc, batch === 1 ? undefined : batch);
            for (let o = 0; o < want.length; o++) {
              const tol = 1e-5 * mag[o]! + 1e-30;
              if (!(Math.abs(C[o]! - want[o]!) <= tol)) {
                assert.fail(`${name} gemm${layout} acc=${acc}: C[${o}] = ${C[o]}, reference ${want[o]} (tol ${tol})`);
              }
            }
            assert.ok(Object.is(guard[0], guardBefore), `${name}: wrote past the end of C`);
          }
        }
      });
    }
  }

  it('K = 0 zeroes C (accumulate=false) or leaves it (accumulate=true); NaN garbage in C is overwritten', () => {
    for (const [name, k] of all) {
      const C = new Float32Array([NaN, NaN, NaN, NaN]);
      k.gemmNN(C, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, false);
      assert.deepEqual(Array.from(C), [19, 22, 43, 50], name);
      const Z = new Float32Array([3, 3]);
      k.gemmTN(Z, new Float32Array(0), new Float32Array(0), 1, 0, 2, true);
      assert.deepEqual(Array.from(Z), [3, 3], name);
      k.gemmNT(Z, new Float32Array(0), new Float32Array(0), 1, 0, 2, false);
      assert.deepEqual(Array.from(Z), [0, 0], name);
    }
  });
});

/** Random values with exact zeros, -0, threshold hits and NaN sprinkled in. */
function randSpecial(rng: Rng, n: number, special: number[]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() < 0.15 ? special[rng.int(special.length)]! : rng.normal();
  return a;
}

function assertSameBits(actual: Float32Array | Uint32Array, expected: Float32Array | Uint32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: [${i}] = ${actual[i]}, reference ${expected[i]}`);
  }
}

/** The next float32 above x (x > 0). */
function nextFloatUp(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0]! += 1;
  return f[0]!;
}

describe('native packBits and popcount GEMMs are bit-exact', { skip }, () => {
  const all = built ? sets() : [];
  const Ks = [1, 31, 32, 33, 63, 64, 65, 127, 200, 773];

  for (const K of Ks) {
    it(`packBits K=${K}: thresholds 0, 0.25, next float above a/2, NaN; with and without shift; views`, () => {
      const rng = new Rng(K);
      for (const R of [1, 3, 37]) {
        const x = randSpecial(rng, R * K, [0, -0, 0.25, -0.5, 0.4, NaN, 1e-45]);
        const shift = randSpecial(rng, K, [0, 0.25, -0.25, 0.15]);
        for (const threshold of [0, 0.25, nextFloatUp(0.4), 0.1, -1e-300, NaN]) {
          for (const sh of [null, shift]) {
            const want = new Uint32Array(packedLength(R, K)).fill(0xdeadbeef);
            ref.packBits(want, x, sh, threshold, R, K);
            for (const [name, k] of all) {
              const out = u32view(new Uint32Array(packedLength(R, K)).fill(0xdeadbeef), 1);
              const xv = view(R * K, 1, (i) => x[i]!);
              k.packBits(out, xv, sh, threshold, R, K);
              assertSameBits(out, want, `${name} packBits R=${R} K=${K} t=${threshold} shift=${sh !== null}`);
            }
          }
        }
      }
    });
  }

  // Batched products with a fused bias, as the packed engine runs attention (many small heads) and Linears.
  for (const [batch, M, K, N] of [[1, 7, 200, 33], [5, 13, 65, 9], [96, 16, 64, 16], [3, 130, 768, 300], [4, 0, 64, 3]] as const) {
    it(`binaryGemmSS/US batch ${batch} of ${M}x${K}x${N} with bias: the reference's bits, = one call per product + addBias`, () => {
      const rng = new Rng(77 + batch + M);
      const la = packedLength(M, K), lb = packedLength(N, K);
      const A = new Uint32Array(batch * la).map(() => (rng.next() * 2 ** 32) >>> 0);
      const B = new Uint32Array(batch * lb).map(() => (rng.next() * 2 ** 32) >>> 0);
      for (let i = 0; i < batch; i++) {
        // clear the padding bits of each row (the kernels' layout leaves them 0)
        ref.packBits(A.subarray(i * la, (i + 1) * la), randSpecial(rng, M * K, [0]), null, 0, M, K);
        ref.packBits(B.subarray(i * lb, (i + 1) * lb), randSpecial(rng, N * K, [0]), null, 0, N, K);
      }
      const bias = randSpecial(rng, N, [0, -1e-8, 3.5]);
      const colScale = randSpecial(rng, N, [1, -2]);
      for (const us of [false, true]) {
        const fn = us ? 'binaryGemmUS' : 'binaryGemmSS';
        const want = new Float32Array(batch * M * N);
        ref[fn](want, A, B, M, K, N, 0.37, colScale, bias, batch);
        // the batched, fused call is exactly the loop of single calls followed by addBias
        const loop = new Float32Array(batch * M * N);
        for (let i = 0; i < batch; i++) {
          const c = loop.subarray(i * M * N, (i + 1) * M * N);
          ref[fn](c, A.subarray(i * la, (i + 1) * la), B.subarray(i * lb, (i + 1) * lb), M, K, N, 0.37, colScale);
          ref.addBias(c, c, bias, M, N);
        }
        assertSameBits(loop, want, `reference ${fn} batched+bias vs loop+addBias`);
        for (const [name, k] of all) {
          const C = view(batch * M * N, 2, () => NaN);
          k[fn](C, A, B, M, K, N, 0.37, colScale, bias, batch);
          assertSameBits(C, want, `${name} ${fn} batch ${batch}`);
        }
      }
    });
  }

  const gemmShapes: Array<[number, number, number]> = [
    [1, 1, 1], [5, 1, 7], [5, 63, 7], [6, 64, 32], [13, 65, 9], [7, 200, 33], [64, 773, 100], [1, 773, 1],
    [130, 768, 300], [3, 2048, 17], [0, 64, 3], [3, 0, 5],
  ];
  for (const [M, K, N] of gemmShapes) {
    it(`binaryGemmSS and binaryGemmUS ${M}x${K}x${N}: scale, colScale (incl. 0, negative, NaN), views`, () => {
      const rng = new Rng(1000 + M * 3 + K * 5 + N * 7);
      const a = 0.8;
      const A = new Uint32Array(packedLength(M, K));
      const B = new Uint32Array(packedLength(N, K));
      const P = new Uint32Array(packedLength(M, K));
      ref.packBits(A, randSpecial(rng, M * K, [0]), null, 0, M, K);
      ref.packBits(B, randSpecial(rng, N * K, [0]), null, 0, N, K);
      ref.packBits(P, randSpecial(rng, M * K, [0, a / 2]).map(Math.abs), null, nextFloatUp(a / 2), M, K);
      const colScale = randSpecial(rng, N, [0, -2, 1.25, NaN]);
      // 0.1 and 1/3 are not float32 values: the product must be formed in double as the reference does
      for (const scale of [1, 0.1, -1 / 3]) {
        for (const cs of [null, colScale]) {
          const wantSS = new Float32Array(M * N);
          const wantUS = new Float32Array(M * N);
          ref.binaryGemmSS(wantSS, A, B, M, K, N, scale, cs);
          ref.binaryGemmUS(wantUS, P, B, M, K, N, scale, cs);
          for (const [name, k] of all) {
            const C = view(M * N, 1, () => NaN);
            k.binaryGemmSS(C, u32view(A, 1), u32view(B, 3), M, K, N, scale, cs);
            assertSameBits(C, wantSS, `${name} binaryGemmSS scale=${scale} colScale=${cs !== null}`);
            k.binaryGemmUS(C, u32view(P, 3), u32view(B, 0), M, K, N, scale, cs);
            assertSameBits(C, wantUS, `${name} binaryGemmUS scale=${scale} colScale=${cs !== null}`);
          }
        }
      }
    });
  }
});
