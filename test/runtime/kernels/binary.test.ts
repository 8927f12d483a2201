// packBits and the popcount GEMMs: the packed layout bit by bit, zero padding, and exact equality (tolerance 0) with
// the float GEMM of the same {-1,+1} / {0,1} matrices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packedLength, wordsPerRow } from '../../../runtime/kernels/kernels.js';
import { popcount32, referenceKernels as K } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

/** Random values with exact zeros and threshold hits sprinkled in. */
function randArray(rng: Rng, n: number, special: number[] = [0]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() < 0.1 ? special[rng.int(special.length)]! : rng.normal();
  return a;
}

/** The bit of element (r,k), read straight from the documented layout (64-bit words as low/high Uint32 pairs). */
function bitAt(p: Uint32Array, r: number, k: number, Kdim: number): number {
  const word = Math.floor(k / 64);
  const i = k % 64;
  const u32 = p[r * 2 * wordsPerRow(Kdim) + 2 * word + (i >= 32 ? 1 : 0)]!;
  return (u32 >>> (i % 32)) & 1;
}

const Ks = [1, 31, 32, 33, 63, 64, 65, 130, 200];

describe('popcount32', () => {
  it('counts bits of edge patterns and random words', () => {
    assert.equal(popcount32(0), 0);
    assert.equal(popcount32(0xffffffff), 32);
    assert.equal(popcount32(0x80000000), 1);
    assert.equal(popcount32(-1), 32);
    assert.equal(popcount32(0x55555555), 16);
    const rng = new Rng(7);
    for (let t = 0; t < 1000; t++) {
      const w = (rng.next() * 4294967296) >>> 0;
      let c = 0;
      for (let b = 0; b < 32; b++) c += (w >>> b) & 1;
      assert.equal(popcount32(w), c);
    }
  });
});

describe('packBits', () => {
  it('puts element k of a row at bit k % 64 of word k / 64, low Uint32 first', () => {
    const Kdim = 130;
    const x = new Float32Array(2 * Kdim).fill(-1);
    for (const k of [0, 31, 32, 63, 64, 100, 129]) x[Kdim + k] = 1; // row 1
    const out = new Uint32Array(packedLength(2, Kdim));
    K.packBits(out, x, null, 0, 2, Kdim);
    assert.equal(out.length, 2 * 2 * 3);
    assert.deepEqual(Array.from(out.subarray(0, 6)), [0, 0, 0, 0, 0, 0]);
    // k = 0, 31 -> low half of word 0; 32, 63 -> its high half; 64 -> low half of word 1; 100 = 64 + 36 -> bit 4 of
    // the high half of word 1; 129 = 128 + 1 -> bit 1 of the low half of word 2; the rest of word 2 is padding.
    assert.deepEqual(Array.from(out.subarray(6, 12)), [0x80000001, 0x80000001, 1, 1 << 4, 1 << 1, 0]);
  });

  for (const Kdim of Ks) {
    it(`K=${Kdim}: bits follow x + shift >= threshold, padding bits are 0`, () => {
      const rng = new Rng(Kdim);
      const R = 3;
      const threshold = 0.25;
      const x = randArray(rng, R * Kdim, [0, 0.25, -0.5]);
      const shift = randArray(rng, Kdim, [0, 0.25]);
      for (const sh of [null, shift]) {
        const out = new Uint32Array(packedLength(R, Kdim)).fill(0xdeadbeef);
        K.packBits(out, x, sh, threshold, R, Kdim);
        for (let r = 0; r < R; r++) {
          for (let k = 0; k < 64 * wordsPerRow(Kdim); k++) {
            const want = k < Kdim && x[r * Kdim + k]! + (sh ? sh[k]! : 0) >= threshold ? 1 : 0;
            assert.equal(bitAt(out, r, k, Kdim), want, `r=${r} k=${k}`);
          }
        }
      }
    });
  }

  it('sign(0) = +1: zero packs as bit 1 with threshold 0, and NaN as 0', () => {
    const out = new Uint32Array(2);
    K.packBits(out, new Float32Array([0, -0, NaN, -1e-30]), null, 0, 1, 4);
    assert.deepEqual(Array.from(out), [0b0011, 0]);
  });
});

/** Float GEMM C[M,N] = A[M,K] · B[N,K]^T of small integers, in float64 (exact). */
function intGemmNT(A: Float32Array, B: Float32Array, M: number, Kdim: number, N: number): number[] {
  const C: number[] = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < Kdim; k++) s += A[m * Kdim + k]! * B[n * Kdim + k]!;
      C.push(s);
    }
  }
  return C;
}

function toSigns(x: Float32Array): Float32Array {
  return x.map((v) => (v >= 0 ? 1 : -1));
}
function toBits(x: Float32Array, t: number): Float32Array {
  return x.map((v) => (v >= t ? 1 : 0));
}

describe('binary GEMMs equal the float GEMM of the binarized matrices exactly', () => {
  for (const Kdim of [1, 63, 64, 65, 130, 200]) {
    const M = 5;
    const N = 7;
    it(`binaryGemmSS K=${Kdim}`, () => {
      const rng = new Rng(100 + Kdim);
      const A = randArray(rng, M * Kdim);
      const B = randArray(rng, N * Kdim);
      const pa = new Uint32Array(packedLength(M, Kdim));
      const pb = new Uint32Array(packedLength(N, Kdim));
      K.packBits(pa, A, null, 0, M, Kdim);
      K.packBits(pb, B, null, 0, N, Kdim);
      const C = new Float32Array(M * N).fill(NaN);
      K.binaryGemmSS(C, pa, pb, M, Kdim, N, 1, null);
      const want = intGemmNT(toSigns(A), toSigns(B), M, Kdim, N);
      assert.deepEqual(Array.from(C), want);
      // the float reference kernel on the ±1 matrices agrees too (small integers are exact in float32)
      const F = new Float32Array(M * N);
      K.gemmNT(F, toSigns(A), toSigns(B), M, Kdim, N, false);
      assert.deepEqual(Array.from(C), Array.from(F));
    });

    it(`binaryGemmUS K=${Kdim}`, () => {
      const rng = new Rng(200 + Kdim);
      const a = 0.8;
      const P = randArray(rng, M * Kdim, [0, a / 2]).map(Math.abs);
      const V = randArray(rng, N * Kdim);
      const pp = new Uint32Array(packedLength(M, Kdim));
      const pv = new Uint32Array(packedLength(N, Kdim));
      K.packBits(pp, P, null, a / 2, M, Kdim);
      K.packBits(pv, V, null, 0, N, Kdim);
      const C = new Float32Array(M * N).fill(NaN);
      K.binaryGemmUS(C, pp, pv, M, Kdim, N, 1, null);
      assert.deepEqual(Array.from(C), intGemmNT(toBits(P, a / 2), toSigns(V), M, Kdim, N));
    });
  }

  it('scale and colScale multiply each column: C = scale * dot * colScale[n]', () => {
    const rng = new Rng(5);
    const M = 3;
    const N = 4;
    const Kdim = 70;
    const A = randArray(rng, M * Kdim);
    const B = randArray(rng, N * Kdim);
    const colScale = new Float32Array([0.5, -2, 1.25, 0]);
    const pa = new Uint32Array(packedLength(M, Kdim));
    const pb = new Uint32Array(packedLength(N, Kdim));
    K.packBits(pa, A, null, 0, M, Kdim);
    K.packBits(pb, B, null, 0, N, Kdim);
    const dots = intGemmNT(toSigns(A), toSigns(B), M, Kdim, N);
    const C = new Float32Array(M * N);
    K.binaryGemmSS(C, pa, pb, M, Kdim, N, 0.375, colScale);
    assert.deepEqual(Array.from(C), dots.map((d, o) => Math.fround(0.375 * d * colScale[o % N]!)));
    const dotsUS = intGemmNT(toSigns(A).map((v) => (v + 1) / 2), toSigns(B), M, Kdim, N);
    K.binaryGemmUS(C, pa, pb, M, Kdim, N, 0.375, colScale);
    assert.deepEqual(Array.from(C), dotsUS.map((d, o) => Math.fround(0.375 * d * colScale[o % N]!)));
  });

  it('padding bits never count, whatever the (zero) padding of both operands', () => {
    // K = 1: one real element, 63 zero padding bits; +1 · -1 = -1, not 63 - 1.
    const pa = new Uint32Array(2);
    const pb = new Uint32Array(2);
    K.packBits(pa, new Float32Array([1]), null, 0, 1, 1);
    K.packBits(pb, new Float32Array([-1]), null, 0, 1, 1);
    const C = new Float32Array(1);
    K.binaryGemmSS(C, pa, pb, 1, 1, 1, 1, null);
    assert.equal(C[0], -1);
    K.binaryGemmUS(C, pa, pb, 1, 1, 1, 1, null);
    assert.equal(C[0], -1);
    K.binaryGemmUS(C, pa, pa, 1, 1, 1, 1, null);
    assert.equal(C[0], 1);
  });
});
