// The packed engine's fused kernels (kernels.ts: binaryGemmSSBits/USBits, packBitsTransposed, transposeBits,
// attentionProbsBits, residualLayerNorm): the reference against their definitions, then every native dispatch path
// (1, 2, 3 threads) and the WASM set against the reference: packed bits identical (tolerance 0) on shapes that cross
// the 64-bit word and the native column blocks, batches of small products, shifts, thresholds on and between outputs
// (and NaN). The kernels that end in a softmax or a LayerNorm (whose SIMD rows round differently per set) are held to
// the same set's unfused kernels, to the bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { loadNativeKernels, nativeAvailable, nativeInfo } from '../../../runtime/kernels/native/index.js';
import { referenceKernels as ref } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';
import { W } from './wasm-helpers.js';

function sets(): Array<[string, Kernels]> {
  const out: Array<[string, Kernels]> = [];
  if (nativeAvailable()) {
    for (const path of nativeInfo().available) for (const threads of [1, 2, 3]) out.push([`native ${path}/${threads}t`, loadNativeKernels({ path, threads })]);
  }
  if (W !== null) out.push(['wasm', W]);
  return out;
}

function randSpecial(rng: Rng, n: number, special: number[]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() < 0.15 ? special[rng.int(special.length)]! : rng.normal();
  return a;
}

function randomBits(rng: Rng, rows: number, K: number): Uint32Array {
  // through packBits, so the padding bits past K are 0 as the kernels' layout requires
  const out = new Uint32Array(packedLength(rows, K));
  ref.packBits(out, randSpecial(rng, rows * K, [0]), null, 0, rows, K);
  return out;
}

function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: [${i}] = ${actual[i]}, reference ${expected[i]}`);
  }
}

/** bit t of packed row `row` (rows of T bits). */
function bitAt(bits: Uint32Array, row: number, T: number, t: number): number {
  const u32 = 2 * Math.ceil(T / 64);
  return (bits[row * u32 + (t >>> 5)]! >>> (t & 31)) & 1;
}

describe('fused engine kernels: the reference', () => {
  it('binaryGemmSSBits/USBits: bit n of row m is C[m,n] + shift[n] >= threshold, C from binaryGemmSS/US', () => {
    const rng = new Rng(5);
    const [batch, M, K, N] = [3, 5, 70, 67];
    const A = randomBits(rng, batch * M, K), B = randomBits(rng, batch * N, K);
    const bias = randSpecial(rng, N, [0]);
    const shift = randSpecial(rng, N, [0, 0.5]);
    for (const us of [false, true]) {
      const C = new Float32Array(batch * M * N);
      if (us) ref.binaryGemmUS(C, A, B, M, K, N, 0.3, null, bias, batch);
      else ref.binaryGemmSS(C, A, B, M, K, N, 0.3, null, bias, batch);
      const out = new Uint32Array(batch * packedLength(M, N)).fill(0xffffffff);
      if (us) ref.binaryGemmUSBits(out, A, B, M, K, N, 0.3, null, bias, shift, 0.25, batch);
      else ref.binaryGemmSSBits(out, A, B, M, K, N, 0.3, null, bias, shift, 0.25, batch);
      for (let r = 0; r < batch * M; r++) {
        for (let n = 0; n < N; n++) assert.equal(bitAt(out, r, N, n), C[r * N + n]! + shift[n]! >= 0.25 ? 1 : 0, `us=${us} row ${r} col ${n}`);
        for (let n = N; n < 128; n++) assert.equal(bitAt(out, r, N, n), 0, `padding bit ${n}`);
      }
    }
  });

  it('packBitsTransposed: row b*C + c holds x[b,t,c] + shift[c] >= threshold over t, padding 0', () => {
    const rng = new Rng(6);
    const [B, T, C] = [2, 70, 5];
    const x = randSpecial(rng, B * T * C, [0, -0.25]);
    const shift = randSpecial(rng, C, [0.25]);
    for (const sh of [null, shift]) {
      const out = new Uint32Array(packedLength(B * C, T)).fill(0xffffffff);
      ref.packBitsTransposed(out, x, sh, 0, B, T, C);
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          for (let t = 0; t < 128; t++) {
            const want = t < T && x[(b * T + t) * C + c]! + (sh === null ? 0 : sh[c]!) >= 0 ? 1 : 0;
            assert.equal(bitAt(out, b * C + c, T, t), want, `b=${b} c=${c} t=${t} shift=${sh !== null}`);
          }
        }
      }
    }
  });

  it('transposeBits: bit t of row b*C + c is bit c of row b*T + t, padding 0; after binaryGemmSSBits it is packBitsTransposed', () => {
    const rng = new Rng(16);
    for (const [B, T, C] of [[1, 1, 1], [2, 70, 5], [3, 33, 100], [1, 128, 64], [2, 64, 130], [0, 5, 5], [2, 0, 3], [2, 3, 0]] as const) {
      const x = randomBits(rng, B * T, C);
      const out = new Uint32Array(packedLength(B * C, T)).fill(0xdeadbeef);
      ref.transposeBits(out, x, B, T, C);
      const u32 = 2 * Math.ceil(T / 64);
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          for (let t = 0; t < 32 * u32; t++) {
            const want = t < T ? bitAt(x, b * T + t, C, c) : 0;
            assert.equal(bitAt(out, b * C + c, T, t), want, `${B}x${T}x${C}: b=${b} c=${c} t=${t}`);
          }
        }
      }
    }
    // attention's V^T: the GEMM's packed output transposed = the float output packed along T
    const [B, T, K, C] = [2, 70, 100, 65];
    const A = randomBits(rng, B * T, K), W = randomBits(rng, C, K);
    const bias = randSpecial(rng, C, [0]), shift = randSpecial(rng, C, [0, 0.5]);
    const y = new Float32Array(B * T * C), want = new Uint32Array(packedLength(B * C, T));
    ref.binaryGemmSS(y, A, W, B * T, K, C, 0.5, null, bias);
    ref.packBitsTransposed(want, y, shift, 0, B, T, C);
    const rows = new Uint32Array(packedLength(B * T, C)), got = new Uint32Array(packedLength(B * C, T));
    ref.binaryGemmSSBits(rows, A, W, B * T, K, C, 0.5, null, bias, shift, 0);
    ref.transposeBits(got, rows, B, T, C);
    assertSameBits(got, want, 'binaryGemmSSBits + transposeBits vs binaryGemmSS + packBitsTransposed');
  });

  it('residualLayerNorm is add, then layerNormForward', () => {
    const rng = new Rng(7);
    const [R, C] = [4, 33];
    const x = randSpecial(rng, R * C, [0]), res = randSpecial(rng, R * C, [0]);
    const gamma = randSpecial(rng, C, [1]), beta = randSpecial(rng, C, [0]);
    const sum = new Float32Array(R * C);
    ref.add(sum, x, res, R * C);
    const want = new Float32Array(R * C);
    ref.layerNormForward(want, new Float32Array(R), new Float32Array(R), sum, gamma, beta, R, C, 1e-12);
    const got = new Float32Array(R * C);
    ref.residualLayerNorm(got, x, res, gamma, beta, R, C, 1e-12);
    assertSameBits(got, want, 'residualLayerNorm');
  });
});

describe('fused engine kernels: native paths and WASM agree with the reference', () => {
  const all = sets();
  if (all.length === 0) it('no native or WASM build to compare (run npm run build)', { skip: 'neither the native addon nor the WASM module is built' }, () => {});

  // The native sets compare each element with a float threshold per column (x >= t[k], t the smallest float whose
  // double sum with the shift reaches the threshold): exact only if that search is right at every edge.
  it('packBits, packBitsTransposed and the fused packs with extreme shifts and thresholds: the reference\'s bits', () => {
    const rng = new Rng(500);
    const xs = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-38, 0.5, -0.5, 1, 2 ** -24];
    const shifts = [0, -0, Infinity, -Infinity, NaN, 1e30, -1e30, 1e-40, -1e-40, 3.4e38, 0.25, -0.5, 2 ** 24, -(2 ** -30)];
    const [R, K] = [9, 70];
    const x = randSpecial(rng, R * K, xs);
    const shift = randSpecial(rng, K, shifts);
    for (const thr of [0, 1e-45, -1e-300, 1e300, Infinity, NaN, Math.fround(0.5) + 2 ** -24, -0.5, 2 ** 30]) {
      const want = new Uint32Array(packedLength(R, K));
      ref.packBits(want, x, shift, thr, R, K);
      const wantT = new Uint32Array(packedLength(K, R));
      ref.packBitsTransposed(wantT, x, null, thr, 1, R, K);
      for (const [name, k] of all) {
        const out = new Uint32Array(packedLength(R, K));
        k.packBits(out, x, shift, thr, R, K);
        assertSameBits(out, want, `${name} packBits threshold ${thr}`);
        const outT = new Uint32Array(packedLength(K, R));
        k.packBitsTransposed(outT, x, null, thr, 1, R, K);
        assertSameBits(outT, wantT, `${name} packBitsTransposed threshold ${thr}`);
      }
      // transposed with a shift: x[1, R, K] packed along R, shift per channel k
      ref.packBitsTransposed(wantT, x, shift, thr, 1, R, K);
      for (const [name, k] of all) {
        const outT = new Uint32Array(packedLength(K, R));
        k.packBitsTransposed(outT, x, shift, thr, 1, R, K);
        assertSameBits(outT, wantT, `${name} packBitsTransposed with shift, threshold ${thr}`);
      }
    }
  });

  for (const C of [1, 64, 70, 768]) {
    it(`embeddingSumBinary C=${C}: the reference's float32 sums on every set; an id outside a table is BK7001`, () => {
      const rng = new Rng(600 + C);
      const [V, P, n] = [50, 20, 37];
      const bits = randomBits(rng, V, C);
      const rowScale = randSpecial(rng, V, [0, 1e-30]).map(Math.abs);
      const position = randSpecial(rng, P * C, [0, -0]);
      const type = randSpecial(rng, 2 * C, [0, -0]);
      const ids = Int32Array.from({ length: n }, () => rng.int(V));
      const positionIds = Int32Array.from({ length: n }, (_, i) => i % P);
      const typeIds = Int32Array.from({ length: n }, (_, i) => i % 2);
      const want = new Float32Array(n * C);
      ref.embeddingSumBinary(want, ids, bits, rowScale, positionIds, position, typeIds, type, n, C);
      for (const [name, k] of all) {
        const got = new Float32Array(n * C).fill(NaN);
        k.embeddingSumBinary(got, ids, bits, rowScale, positionIds, position, typeIds, type, n, C);
        assertSameBits(got, want, name);
        const bad = positionIds.slice();
        bad[5] = P;
        assert.throws(() => k.embeddingSumBinary(got, ids, bits, rowScale, bad, position, typeIds, type, n, C), { code: 'BK7001' }, `${name} position id out of range`);
      }
    });
  }

  for (const [B, T, C] of [[1, 128, 768], [8, 128, 64], [3, 70, 130], [2, 200, 33], [1, 1, 1]] as const) {
    it(`transposeBits ${B}x${T}x${C}: the reference's bits, and a short buffer throws BK7001`, () => {
      const rng = new Rng(400 + B + T + C);
      const x = randomBits(rng, B * T, C);
      const want = new Uint32Array(packedLength(B * C, T));
      ref.transposeBits(want, x, B, T, C);
      for (const [name, k] of all) {
        const out = new Uint32Array(packedLength(B * C, T)).fill(0xdeadbeef);
        k.transposeBits(out, x, B, T, C);
        assertSameBits(out, want, `${name} transposeBits`);
        assert.throws(() => k.transposeBits(out.subarray(1), x, B, T, C), { code: 'BK7001' }, `${name} short out`);
        assert.throws(() => k.transposeBits(out, x.subarray(1), B, T, C), { code: 'BK7001' }, `${name} short x`);
      }
    });
  }

  it('a threshold of -Infinity is refused (BK7002) by every packing kernel on every set', () => {
    const z = new Float32Array(4 * 70);
    for (const [name, k] of [['reference', ref] as [string, Kernels], ...all]) {
      assert.throws(() => k.packBits(new Uint32Array(packedLength(4, 70)), z, null, -Infinity, 4, 70), { code: 'BK7002' }, `${name} packBits`);
      assert.throws(() => k.packBitsTransposed(new Uint32Array(packedLength(70, 4)), z, null, -Infinity, 1, 4, 70), { code: 'BK7002' }, `${name} packBitsTransposed`);
      const bits = new Uint32Array(packedLength(4, 70));
      assert.throws(() => k.binaryGemmSSBits(new Uint32Array(packedLength(4, 4)), bits, bits, 4, 70, 4, 1, null, null, null, -Infinity), { code: 'BK7002' }, `${name} binaryGemmSSBits`);
      assert.throws(() => k.residualLayerNorm(z, z, null, z, z, 4, 70, 1e-12, [{ bits, shift: null, threshold: -Infinity }]), { code: 'BK7002' }, `${name} residualLayerNorm packs`);
    }
  });

  // [batch, M, K, N]: N across word and column-block boundaries, the batched small-product path, empty products
  const shapes: Array<[number, number, number, number]> = [
    [1, 7, 200, 33], [1, 13, 65, 64], [1, 37, 768, 130], [1, 130, 768, 3072], [1, 64, 3072, 768], [1, 9, 64, 1000], [1, 200, 768, 1000],
    [96, 16, 64, 16], [24, 128, 64, 128], [5, 3, 1, 70], [2, 0, 64, 3], [1, 4, 0, 65],
  ];
  for (const [batch, M, K, N] of shapes) {
    it(`binaryGemmSSBits/USBits batch ${batch} of ${M}x${K}x${N}: bias, colScale, shift, thresholds (incl. NaN)`, () => {
      const rng = new Rng(100 + batch * 7 + M * 3 + N);
      const A = randomBits(rng, batch * M, K), B = randomBits(rng, batch * N, K);
      const bias = randSpecial(rng, N, [0, -1e-8]);
      const colScale = randSpecial(rng, N, [1, -2]);
      // shifts that put many outputs exactly on the threshold (integer dots times 0.5, shifts of -0.5 and 0)
      const shift = randSpecial(rng, N, [0, -0.5, 0.5, Infinity]);
      for (const us of [false, true]) {
        for (const [cs, b, sh, thr] of [[null, null, null, 0], [colScale, bias, shift, 0.25], [null, bias, shift, 0], [null, null, null, NaN]] as const) {
          const want = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
          if (us) ref.binaryGemmUSBits(want, A, B, M, K, N, 0.5, cs, b, sh, thr, batch);
          else ref.binaryGemmSSBits(want, A, B, M, K, N, 0.5, cs, b, sh, thr, batch);
          for (const [name, k] of all) {
            const out = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
            if (us) k.binaryGemmUSBits(out, A, B, M, K, N, 0.5, cs, b, sh, thr, batch);
            else k.binaryGemmSSBits(out, A, B, M, K, N, 0.5, cs, b, sh, thr, batch);
            assertSameBits(out, want, `${name} ${us ? 'US' : 'SS'} colScale=${cs !== null} bias=${b !== null} shift=${sh !== null} t=${thr}`);
          }
        }
      }
    });
  }

  // The native AVX-512 kernels pack these from integer thresholds on the dot (dot_thresholds.cc), which must find
  // the exact dot where each column's output crosses its threshold, for outputs that fall as the dot rises (negative
  // scale), constant ones (scale 0), and biases that swamp the product; a scale whose products overflow float32 and a
  // NaN bias go back to packing floats. Shifts put one output per column exactly on the threshold, or one ulp below.
  for (const [batch, rows, M, K, N] of [[1, 1, 37, 768, 130], [1, 1, 13, 65, 20], [4, 2, 9, 64, 70], [12, 12, 128, 64, 64]] as const) {
    it(`binaryGemmSSBits/USBits ${batch} x ${M}x${K}x${N}, scales of both signs, 0 and huge, outputs on the thresholds`, () => {
      const rng = new Rng(900 + M + K + N);
      const A = randomBits(rng, batch * M, K), B = randomBits(rng, batch * N, K);
      const bias = randSpecial(rng, N, [0, 1e6, -3e-3]);
      const nanBias = bias.map((v, j) => (j === 1 ? NaN : v));
      const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
      for (const us of [false, true]) {
        for (const [scale, b] of [[0.3, bias], [-0.3, bias], [1 / 3, null], [-2.5, null], [0, bias], [1e-30, bias], [3e37, null], [0.3, nanBias]] as const) {
          const C = new Float32Array(batch * M * N);
          if (us) ref.binaryGemmUS(C, A, B, M, K, N, scale, null, b, batch);
          else ref.binaryGemmSS(C, A, B, M, K, N, scale, null, b, batch);
          for (const below of [false, true]) {
            // shift row s, column j: minus the output of row (j % M) of the first product that uses shift row s
            const shift = Float32Array.from({ length: rows * N }, (_, i) => {
              const s = Math.floor(i / N), j = i % N;
              f32[0] = C[(s * M + (j % M)) * N + j]!;
              if (below && Number.isFinite(f32[0]) && f32[0] !== 0) u32[0] += 1;  // one ulp further from 0
              return -f32[0]!;
            });
            const want = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
            if (us) ref.binaryGemmUSBits(want, A, B, M, K, N, scale, null, b, shift, 0, batch, rows);
            else ref.binaryGemmSSBits(want, A, B, M, K, N, scale, null, b, shift, 0, batch, rows);
            for (const [name, k] of all) {
              const out = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
              if (us) k.binaryGemmUSBits(out, A, B, M, K, N, scale, null, b, shift, 0, batch, rows);
              else k.binaryGemmSSBits(out, A, B, M, K, N, scale, null, b, shift, 0, batch, rows);
              assertSameBits(out, want, `${name} ${us ? 'US' : 'SS'} scale ${scale} bias ${b === null ? 'none' : b === bias ? 'finite' : 'NaN'} ${below ? 'ulp off' : 'on'} the outputs`);
            }
          }
        }
      }
    });
  }

  for (const [batch, rows, M, K, N] of [[24, 12, 128, 128, 64], [6, 4, 9, 70, 65], [3, 1, 5, 64, 64], [2, 5, 3, 8, 7]] as const) {
    it(`binaryGemmSSBits/USBits with shiftRows ${rows} over ${batch} products of ${M}x${K}x${N}: product i packs with shift row i % ${rows}`, () => {
      const rng = new Rng(700 + batch + rows);
      const A = randomBits(rng, batch * M, K), B = randomBits(rng, batch * N, K);
      const shift = randSpecial(rng, rows * N, [0, -0.5, 0.5]);
      for (const us of [false, true]) {
        const want = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
        if (us) ref.binaryGemmUSBits(want, A, B, M, K, N, 0.5, null, null, shift, 0.25, batch, rows);
        else ref.binaryGemmSSBits(want, A, B, M, K, N, 0.5, null, null, shift, 0.25, batch, rows);
        // the definition: one call per product with its shift row
        const lo = packedLength(M, N), la = packedLength(M, K), lb = packedLength(N, K);
        for (let i = 0; i < batch; i++) {
          const one = new Uint32Array(lo);
          const sh = shift.subarray((i % rows) * N, (i % rows + 1) * N);
          if (us) ref.binaryGemmUSBits(one, A.subarray(i * la, (i + 1) * la), B.subarray(i * lb, (i + 1) * lb), M, K, N, 0.5, null, null, sh, 0.25);
          else ref.binaryGemmSSBits(one, A.subarray(i * la, (i + 1) * la), B.subarray(i * lb, (i + 1) * lb), M, K, N, 0.5, null, null, sh, 0.25);
          assertSameBits(want.subarray(i * lo, (i + 1) * lo), one, `reference product ${i}`);
        }
        for (const [name, k] of all) {
          const out = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
          if (us) k.binaryGemmUSBits(out, A, B, M, K, N, 0.5, null, null, shift, 0.25, batch, rows);
          else k.binaryGemmSSBits(out, A, B, M, K, N, 0.5, null, null, shift, 0.25, batch, rows);
          assertSameBits(out, want, `${name} ${us ? 'US' : 'SS'}`);
          // a shift shorter than shiftRows rows is a size error
          assert.throws(() => k.binaryGemmSSBits(out, A, B, M, K, N, 0.5, null, null, shift.subarray(0, rows * N - 1), 0.25, batch, rows), { code: 'BK7001' }, `${name} short shift`);
        }
      }
    });
  }

  for (const [B, T, C] of [[1, 1, 1], [2, 63, 5], [2, 64, 64], [3, 65, 100], [8, 128, 768], [1, 130, 65], [0, 4, 4]] as const) {
    it(`packBitsTransposed B=${B} T=${T} C=${C}: with and without shift, on views`, () => {
      const rng = new Rng(200 + B + T + C);
      const x = randSpecial(rng, B * T * C, [0, -0, 0.25, NaN]);
      const shift = randSpecial(rng, C, [0, -0.25]);
      for (const [sh, thr] of [[null, 0], [shift, 0], [null, 0.25], [shift, Math.fround(0.05)]] as const) {
        const want = new Uint32Array(packedLength(B * C, T)).fill(0xdeadbeef);
        ref.packBitsTransposed(want, x, sh, thr, B, T, C);
        for (const [name, k] of all) {
          const big = new Float32Array(B * T * C + 3).fill(NaN);
          const xv = big.subarray(1, 1 + B * T * C);
          xv.set(x);
          const out = new Uint32Array(packedLength(B * C, T) + 1).fill(0xdeadbeef).subarray(1);
          k.packBitsTransposed(out, xv, sh, thr, B, T, C);
          assertSameBits(out, want, `${name} shift=${sh !== null} t=${thr}`);
        }
      }
    });
  }

  // [batch, productsPerMask, M, Kd, N]: attention's B*NH heads (mask row per batch element), T across words, head
  // sizes of one word and more
  for (const [batch, ppm, M, Kd, N] of [[6, 3, 9, 64, 9], [24, 12, 128, 64, 128], [4, 2, 70, 32, 70], [3, 1, 1, 1, 1], [2, 2, 0, 64, 5], [2, 2, 5, 128, 20], [3, 3, 17, 100, 130]] as const) {
    it(`attentionProbsBits ${batch} products of ${M}x${Kd}x${N}: the set's own binaryGemmSS + addBias + softmax + packBits, to the bit`, () => {
      const rng = new Rng(400 + batch + M + N);
      const Q = randomBits(rng, batch * M, Kd), K = randomBits(rng, batch * N, Kd);
      const mask = Float32Array.from({ length: Math.ceil(batch / ppm) * N }, () => (rng.next() < 0.3 ? -10000 : 0));
      const shift = randSpecial(rng, N, [0, 0.01]);
      for (const [name, k] of [['reference', ref] as [string, Kernels], ...all]) {
        for (const [m, sh, thr] of [[mask, shift, Math.fround(0.02)], [null, null, 1 / N]] as const) {
          const want = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
          const s = new Float32Array(batch * M * N);
          k.binaryGemmSS(s, Q, K, M, Kd, N, 0.125, null, null, batch);
          if (m !== null) for (let i = 0; i < batch; i++) k.addBias(s.subarray(i * M * N, (i + 1) * M * N), s.subarray(i * M * N, (i + 1) * M * N), m.subarray(Math.floor(i / ppm) * N, Math.floor(i / ppm) * N + N), M, N);
          k.softmaxForward(s, s, null, 1, batch * M, N, 1);
          k.packBits(want, s, sh, thr, batch * M, N);
          const out = new Uint32Array(batch * packedLength(M, N)).fill(0xdeadbeef);
          k.attentionProbsBits(out, Q, K, M, Kd, N, 0.125, m, ppm, sh, thr, batch);
          assertSameBits(out, want, `${name} mask=${m !== null} shift=${sh !== null}`);
          // shifts that put one probability per column exactly on the threshold (p - p >= 0), and one just past it
          // (p - nextUp(p) < 0): a fused row whose probability differs by one ulp flips one of them
          if (M * N === 0) continue;
          const bitsOf = new Uint32Array(1), f32 = new Float32Array(bitsOf.buffer);
          for (const past of [false, true]) {
            const tie = Float32Array.from({ length: N }, (_, j) => {
              f32[0] = s[(j % M) * N + j]!;
              if (past && f32[0] > 0) bitsOf[0] += 1;
              return -f32[0]!;
            });
            const wantTie = new Uint32Array(batch * packedLength(M, N)), outTie = new Uint32Array(batch * packedLength(M, N));
            k.packBits(wantTie, s, tie, 0, batch * M, N);
            k.attentionProbsBits(outTie, Q, K, M, Kd, N, 0.125, m, ppm, tie, 0, batch);
            assertSameBits(outTie, wantTie, `${name} mask=${m !== null} probabilities on the threshold${past ? ' (one ulp past)' : ''}`);
          }
        }
      }
    });
  }

  for (const [R, C] of [[1, 1], [7, 33], [64, 768], [3, 1000]] as const) {
    it(`residualLayerNorm ${R}x${C}: the set's own add + layerNormForward + packBits to the bit, the reference within 1e-5`, () => {
      const rng = new Rng(300 + R + C);
      const x = randSpecial(rng, R * C, [0]), res = randSpecial(rng, R * C, [0, 1e-8]);
      // gamma 0 makes y = beta exactly, and beta 0 and 0.75 then sit on the packs' thresholds (0, and 0.25 with shift -0.5)
      const gamma = randSpecial(rng, C, [1, 0]), beta = randSpecial(rng, C, [0, 0.75]);
      const shift = randSpecial(rng, C, [0, -0.5]);
      for (const residual of [res, null]) {
        const want = new Float32Array(R * C);
        ref.residualLayerNorm(want, x, residual, gamma, beta, R, C, 1e-12);
        for (const [name, k] of all) {
          const sum = new Float32Array(R * C);
          if (residual !== null) k.add(sum, x, residual, R * C);
          else sum.set(x);
          const own = new Float32Array(R * C);
          k.layerNormForward(own, new Float32Array(R), new Float32Array(R), sum, gamma, beta, R, C, 1e-12);
          // 1 to 5 packs (the native AVX-512 row has its own code for 1, 2 and 3), cycling through thresholds that
          // gamma-0 rows sit on: 0, 0.25 with shift -0.5 (beta 0.75), and 0.75
          const specs = [{ shift: null, threshold: 0 }, { shift, threshold: 0.25 }, { shift: null, threshold: 0.75 }];
          for (const count of [1, 2, 3, 5]) {
            const chosen = Array.from({ length: count }, (_, i) => specs[i % specs.length]!);
            const ownBits = chosen.map((p) => {
              const bits = new Uint32Array(packedLength(R, C));
              k.packBits(bits, own, p.shift, p.threshold, R, C);
              return bits;
            });
            const got = new Float32Array(R * C);
            const packs = chosen.map((p) => ({ ...p, bits: new Uint32Array(packedLength(R, C)).fill(7) }));
            k.residualLayerNorm(got, x, residual, gamma, beta, R, C, 1e-12, packs);
            const what = `${name} residual=${residual !== null} ${count} packs`;
            assertSameBits(got, own, `${what}: residualLayerNorm vs add + layerNormForward`);
            packs.forEach((p, i) => assertSameBits(p.bits, ownBits[i]!, `${what}: pack ${i} (shift ${p.shift !== null}, threshold ${p.threshold})`));
          }
          for (let i = 0; i < want.length; i++) {
            if (!(Math.abs(own[i]! - want[i]!) <= 1e-5 * (Math.abs(want[i]!) + 1e-3))) assert.fail(`${name} residual=${residual !== null} [${i}] = ${own[i]}, reference ${want[i]}`);
          }
        }
      }
    });
  }

  for (const [M, K, N] of [[1, 64, 1], [7, 100, 33], [130, 768, 768], [40, 3072, 130], [300, 200, 70]] as const) {
    it(`binaryGemmLayerNorm ${M}x${K}x${N}: the set's own binaryGemmSS/US + residualLayerNorm to the bit`, () => {
      const rng = new Rng(500 + M + K + N);
      const A = randomBits(rng, M, K), B = randomBits(rng, N, K);
      const colScale = randSpecial(rng, N, [1, -2]), bias = randSpecial(rng, N, [0]);
      const residual = randSpecial(rng, M * N, [0]);
      // gamma 0 puts y = beta exactly on the packs' thresholds (0, and 0.25 with shift -0.5 at beta 0.75)
      const gamma = randSpecial(rng, N, [1, 0]), beta = randSpecial(rng, N, [0, 0.75]);
      const shift = randSpecial(rng, N, [0, -0.5]);
      for (const [name, k] of [['reference', ref] as [string, Kernels], ...all]) {
        for (const unsignedA of [false, true]) {
          for (const [cs, b, res] of [[null, bias, residual], [colScale, null, null]] as const) {
            const C = new Float32Array(M * N), want = new Float32Array(M * N);
            if (unsignedA) k.binaryGemmUS(C, A, B, M, K, N, 0.03, cs, b);
            else k.binaryGemmSS(C, A, B, M, K, N, 0.03, cs, b);
            const wantPacks = [{ bits: new Uint32Array(packedLength(M, N)), shift: null, threshold: 0 }, { bits: new Uint32Array(packedLength(M, N)), shift, threshold: 0.25 }];
            k.residualLayerNorm(want, C, res, gamma, beta, M, N, 1e-12, wantPacks);
            const got = new Float32Array(M * N).fill(7);
            const packs = wantPacks.map((p) => ({ ...p, bits: new Uint32Array(p.bits.length).fill(0xdeadbeef) }));
            k.binaryGemmLayerNorm(got, unsignedA, A, B, M, K, N, 0.03, cs, b, res, gamma, beta, 1e-12, packs);
            const what = `${name} ${unsignedA ? 'US' : 'SS'} colScale=${cs !== null} residual=${res !== null}`;
            assertSameBits(got, want, `${what}: y`);
            assertSameBits(packs[0]!.bits, wantPacks[0]!.bits, `${what}: pack without shift`);
            assertSameBits(packs[1]!.bits, wantPacks[1]!.bits, `${what}: pack with shift`);
          }
        }
      }
    });
  }

  it('a shift buffer changed in place between calls is packed with its new values (the native sets memoize thresholds)', () => {
    const rng = new Rng(77);
    const [R, C] = [5, 130];
    const x = randSpecial(rng, R * C, [0]);
    const shift = randSpecial(rng, C, [0]);
    for (const [name, k] of all) {
      for (let round = 0; round < 3; round++) {
        const want = new Uint32Array(packedLength(R, C)), got = new Uint32Array(packedLength(R, C));
        ref.packBits(want, x, shift, 0.1, R, C);
        k.packBits(got, x, shift, 0.1, R, C);
        assertSameBits(got, want, `${name} round ${round}`);
        shift[round * 7] = -shift[round * 7]! + 0.5;  // one value changes, the buffer stays the same
      }
    }
  });

  it('binaryGemmSSBits/USBits with a bias or shift buffer changed in place between calls: the new values (the native sets memoize integer thresholds)', () => {
    const rng = new Rng(78);
    const [M, K, N] = [13, 200, 70];
    const A = randomBits(rng, M, K), B = randomBits(rng, N, K);
    const bias = randSpecial(rng, N, [0]), shift = randSpecial(rng, N, [0]);
    for (const [name, k] of all) {
      for (const us of [false, true]) {
        for (let round = 0; round < 4; round++) {
          const want = new Uint32Array(packedLength(M, N)), got = new Uint32Array(packedLength(M, N));
          if (us) {
            ref.binaryGemmUSBits(want, A, B, M, K, N, 0.5, null, bias, shift, 0.25);
            k.binaryGemmUSBits(got, A, B, M, K, N, 0.5, null, bias, shift, 0.25);
          } else {
            ref.binaryGemmSSBits(want, A, B, M, K, N, 0.5, null, bias, shift, 0.25);
            k.binaryGemmSSBits(got, A, B, M, K, N, 0.5, null, bias, shift, 0.25);
          }
          assertSameBits(got, want, `${name} ${us ? 'US' : 'SS'} round ${round}`);
          // one value of one buffer changes by far more than an output step; the buffers stay the same objects
          if (round % 2 === 0) bias[round * 5] = bias[round * 5]! + 3;
          else shift[round * 5] = shift[round * 5]! - 3;
        }
      }
    }
  });

  it('residualLayerNorm packs: a short bits or shift buffer, or more than 8 packs, throw BK7001 on every set', () => {
    const [R, C] = [3, 70];
    const f = (n: number) => new Float32Array(n).fill(0.5);
    const ok = () => ({ bits: new Uint32Array(packedLength(R, C)), shift: f(C) as Float32Array | null, threshold: 0 });
    for (const [name, k] of [['reference', ref] as [string, Kernels], ...all]) {
      for (const [what, packs] of [
        ['short bits', [ok(), { ...ok(), bits: new Uint32Array(packedLength(R, C) - 1) }]],
        ['short shift', [{ ...ok(), shift: f(C - 1) }]],
        ['nine packs', Array.from({ length: 9 }, ok)],
      ] as const) {
        assert.throws(() => k.residualLayerNorm(f(R * C), f(R * C), null, f(C), f(C), R, C, 1e-12, packs), { code: 'BK7001' }, `${name}: ${what}`);
      }
    }
  });
});
