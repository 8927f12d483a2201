// The native element-wise, normalisation, embedding, head, reduction, quantizer and optimiser kernels against the
// reference set, on every dispatch path this CPU runs and with 1, 2 and 3 threads. Kernels whose arithmetic is the
// reference's step for step (same double operations, same float32 stores, same order) must match exactly; those
// calling libm (exp, erfc, tanh) or summing in parallel chunks within 1e-5 relative. Shapes cross the size at which
// a kernel goes parallel. Skipped with a message when the addon is not built (node scripts/build-native.mjs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActQuantSpec, Kernels } from '../../../runtime/kernels/kernels.js';
import { loadNativeKernels, nativeAvailable, nativeInfo, type NativeKernels } from '../../../runtime/kernels/native/index.js';
import { referenceKernels as ref } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

const built = nativeAvailable();
const skip = built ? false : 'native addon not built: run `node scripts/build-native.mjs` to test the native kernels';

function sets(): Array<[string, NativeKernels]> {
  if (!built) return [];
  const out: Array<[string, NativeKernels]> = [];
  for (const path of nativeInfo().available) for (const threads of [1, 2, 3]) out.push([`${path}/${threads}t`, loadNativeKernels({ path, threads })]);
  return out;
}
const all = sets();

function rand(rng: Rng, n: number, special: number[] = [0, -0], p = 0.05, sd = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() < p ? special[rng.int(special.length)]! : sd * rng.normal();
  return a;
}

/** Exact equality element by element (NaN equals NaN, -0 differs from 0). */
function same(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: [${i}] = ${actual[i]}, reference ${expected[i]}`);
  }
}

/** Within `tol` relative (NaN equals NaN, an infinity itself). */
function close(actual: Float32Array, expected: Float32Array, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if ((Number.isNaN(e) && Number.isNaN(a)) || a === e) continue;
    if (!(Math.abs(a - e) <= tol * Math.abs(e) + 1e-12)) assert.fail(`${what}: [${i}] = ${a}, reference ${e} (rel tol ${tol})`);
  }
}

function closeNum(actual: number, expected: number, tol: number, what: string): void {
  if (Number.isNaN(expected) && Number.isNaN(actual)) return;
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, reference ${expected} (tol ${tol})`);
}

type Check = (actual: Float32Array, expected: Float32Array, what: string) => void;

/**
 * Runs `run` on the reference and on every native set, each on fresh copies of `bufs` (outputs pre-filled, so that
 * overwrite and accumulate are both seen), and compares every buffer afterwards.
 */
function compare(what: string, bufs: Float32Array[], run: (k: Kernels, b: Float32Array[]) => void, check: Check = same): void {
  const want = bufs.map((b) => b.slice());
  run(ref, want);
  for (const [name, k] of all) {
    const got = bufs.map((b) => b.slice());
    run(k, got);
    for (let i = 0; i < want.length; i++) check(got[i]!, want[i]!, `${name} ${what} buffer ${i}`);
  }
}

const ROWS: Array<[number, number]> = [[1, 1], [3, 5], [7, 64], [300, 257], [0, 4], [4, 0]];

describe('native element-wise kernels match the reference', { skip }, () => {
  it('addBias (also in place) and addBiasBackward (accumulating, double column sums)', () => {
    const rng = new Rng(1);
    for (const [R, C] of ROWS) {
      const x = rand(rng, R * C), bias = rand(rng, C), y = rand(rng, R * C), dB = rand(rng, C);
      compare(`addBias ${R}x${C}`, [y, x, bias], (k, [yy, xx, bb]) => k.addBias(yy!, xx!, bb!, R, C));
      compare(`addBias in place ${R}x${C}`, [x, bias], (k, [xx, bb]) => k.addBias(xx!, xx!, bb!, R, C));
      compare(`addBiasBackward ${R}x${C}`, [dB, x], (k, [d, g]) => k.addBiasBackward(d!, g!, R, C));
    }
  });

  it('add and scale (s not a float32 value), in place', () => {
    const rng = new Rng(2);
    for (const n of [0, 1, 17, 300_001]) {
      const a = rand(rng, n), b = rand(rng, n), y = rand(rng, n);
      compare(`add ${n}`, [y, a, b], (k, [yy, aa, bb]) => k.add(yy!, aa!, bb!, n));
      compare(`add in place ${n}`, [a, b], (k, [aa, bb]) => k.add(aa!, aa!, bb!, n));
      compare(`scale ${n}`, [y, a], (k, [yy, aa]) => k.scale(yy!, aa!, 0.1, n));
      compare(`scale in place ${n}`, [a], (k, [aa]) => k.scale(aa!, aa!, -1 / 3, n));
    }
  });

  it('ReLU, GELU (exact erf) and tanh, forward and accumulating backward, with 0, -0, NaN and large inputs', () => {
    const rng = new Rng(3);
    const special = [0, -0, NaN, 40, -40, 1e-30, -7.5];
    for (const n of [1, 33, 100_003]) {
      const x = rand(rng, n, special, 0.1, 3), dY = rand(rng, n), y = rand(rng, n), dX = rand(rng, n);
      compare(`reluForward ${n}`, [y, x], (k, [yy, xx]) => k.reluForward(yy!, xx!, n));
      compare(`reluBackward ${n}`, [dX, dY, x], (k, [d, g, xx]) => k.reluBackward(d!, g!, xx!, n));
      compare(`geluForward ${n}`, [y, x], (k, [yy, xx]) => k.geluForward(yy!, xx!, n), close);
      compare(`geluBackward ${n}`, [dX, dY, x], (k, [d, g, xx]) => k.geluBackward(d!, g!, xx!, n), close);
      compare(`tanhForward ${n}`, [y, x], (k, [yy, xx]) => k.tanhForward(yy!, xx!, n), close);
      const t = x.map(Math.tanh);
      compare(`tanhBackward ${n}`, [dX, dY, t], (k, [d, g, tt]) => k.tanhBackward(d!, g!, tt!, n));
    }
  });

  it('softmax with and without mask (rowsPerMask), scale, in place; backward', () => {
    const rng = new Rng(4);
    for (const [B, NH, T] of [[1, 1, 1], [2, 3, 5], [4, 12, 64], [0, 2, 3]] as const) {
      const R = B * NH * T, C = T;
      const x = rand(rng, R * C, [0, 30, -30], 0.05, 2), y = rand(rng, R * C);
      const mask = new Float32Array(B * T).map(() => (rng.next() < 0.3 ? -10000 : 0));
      for (const m of [null, mask]) {
        compare(`softmaxForward ${B}x${NH}x${T} mask=${m !== null}`, [y, x], (k, [yy, xx]) => k.softmaxForward(yy!, xx!, m, 0.125, R, C, NH * T), close);
        compare(`softmaxForward in place ${B}x${NH}x${T}`, [x], (k, [xx]) => k.softmaxForward(xx!, xx!, m, 0.3, R, C, NH * T), close);
      }
      const p = y.slice();
      ref.softmaxForward(p, x, null, 1, R, C, 1);
      const dY = rand(rng, R * C), dX = rand(rng, R * C);
      compare(`softmaxBackward ${B}x${NH}x${T}`, [dX, dY, p], (k, [d, g, pp]) => k.softmaxBackward(d!, g!, pp!, 0.125, R, C));
    }
  });

  it('softmax at scale 1 without a mask (the packed engine\'s attention rows) equals the same set with a zero mask, to the bit', () => {
    // The AVX-512 set runs this case in float32 and the general one in double; the two must agree exactly.
    const rng = new Rng(14);
    for (const C of [1, 7, 16, 33, 128, 1000]) {
      const R = 9;
      const x = rand(rng, R * C, [-Infinity, -1e30, 1e4, -1e4, 0, -0], 0.15, 20);
      for (const [name, k] of all) {
        const fast = new Float32Array(R * C), general = new Float32Array(R * C);
        k.softmaxForward(fast, x, null, 1, R, C, R);
        k.softmaxForward(general, x, new Float32Array(C), 1, R, C, R);
        for (let i = 0; i < fast.length; i++) {
          if (!Object.is(fast[i], general[i])) assert.fail(`${name} softmax 1 x ${C} [${i}]: ${fast[i]} without mask, ${general[i]} with a zero mask`);
        }
      }
    }
  });

  it('LayerNorm forward of rows with an infinite value: NaN statistics and outputs, as in the reference', () => {
    const rng = new Rng(15);
    const [R, C] = [3, 40];
    const x = rand(rng, R * C);
    x[5] = Infinity;  // row 0
    x[C + 39] = -Infinity;  // row 1, last column
    const gamma = rand(rng, C), beta = rand(rng, C);
    compare('layerNormForward with infinities', [new Float32Array(R * C), new Float32Array(R), new Float32Array(R), x, gamma, beta],
      (k, [yy, mm, rr, xx, gg, bb]) => k.layerNormForward(yy!, mm!, rr!, xx!, gg!, bb!, R, C, 1e-12), close);
  });

  it('LayerNorm forward (mean, rstd) and backward (dX, dGamma, dBeta accumulate)', () => {
    const rng = new Rng(5);
    for (const [R, C] of ROWS) {
      const x = rand(rng, R * C, [0, 5], 0.05, 2), gamma = rand(rng, C), beta = rand(rng, C);
      const y = rand(rng, R * C), mean = rand(rng, R), rstd = rand(rng, R);
      for (const eps of [1e-12, 1e-5]) {
        compare(`layerNormForward ${R}x${C} eps ${eps}`, [y, mean, rstd, x, gamma, beta],
          (k, [yy, mm, rr, xx, gg, bb]) => k.layerNormForward(yy!, mm!, rr!, xx!, gg!, bb!, R, C, eps));
      }
      const mu = new Float32Array(R), rs = new Float32Array(R);
      ref.layerNormForward(y.slice(), mu, rs, x, gamma, beta, R, C, 1e-5);
      const dX = rand(rng, R * C), dG = rand(rng, C), dB = rand(rng, C), dY = rand(rng, R * C);
      compare(`layerNormBackward ${R}x${C}`, [dX, dG, dB, dY, x, mu, rs, gamma],
        (k, [a, b, c, d, e, f, g, h]) => k.layerNormBackward(a!, b!, c!, d!, e!, f!, g!, h!, R, C));
    }
  });

  it('embedding forward and backward (repeated ids accumulate in order)', () => {
    const rng = new Rng(6);
    for (const [n, C, V] of [[1, 1, 1], [6, 5, 4], [2000, 96, 50]] as const) {
      const table = rand(rng, V * C), ids = new Int32Array(n).map(() => rng.int(V));
      const y = rand(rng, n * C), dY = rand(rng, n * C);
      compare(`embeddingForward ${n}x${C}`, [y, table], (k, [yy, tt]) => k.embeddingForward(yy!, ids, tt!, n, C));
      compare(`embeddingBackward ${n}x${C}`, [table, dY], (k, [tt, g]) => k.embeddingBackward(tt!, g!, ids, n, C));
    }
  });

  it('splitHeads and mergeHeads', () => {
    const rng = new Rng(7);
    for (const [B, T, NH, HS] of [[1, 1, 1, 1], [2, 3, 4, 5], [8, 128, 12, 64]] as const) {
      const n = B * T * NH * HS, x = rand(rng, n), y = rand(rng, n);
      compare(`splitHeads ${B}x${T}x${NH}x${HS}`, [y, x], (k, [yy, xx]) => k.splitHeads(yy!, xx!, B, T, NH, HS));
      compare(`mergeHeads ${B}x${T}x${NH}x${HS}`, [y, x], (k, [yy, xx]) => k.mergeHeads(yy!, xx!, B, T, NH, HS));
    }
  });
});

describe('native reductions match the reference', { skip }, () => {
  it('sum, sumAbs, sumSquares within 1e-12 of sum |terms|; min exact (NaN, -0 first, empty = Infinity)', () => {
    const rng = new Rng(8);
    for (const n of [0, 1, 100, 16_385, 300_007]) {
      const x = rand(rng, n, [0, -0, 1e30, -1e-30], 0.01);
      let scale = 0;
      for (let i = 0; i < n; i++) scale += x[i]! * x[i]! + Math.abs(x[i]!);
      for (const [name, k] of all) {
        closeNum(k.sum(x, n), ref.sum(x, n), 1e-12 * scale, `${name} sum ${n}`);
        closeNum(k.sumAbs(x, n), ref.sumAbs(x, n), 1e-12 * scale, `${name} sumAbs ${n}`);
        closeNum(k.sumSquares(x, n), ref.sumSquares(x, n), 1e-12 * scale, `${name} sumSquares ${n}`);
        assert.ok(Object.is(k.min(x, n), ref.min(x, n)), `${name} min ${n}`);
        if (n > 0) {
          const withNaN = x.slice();
          withNaN[n - 1] = NaN;
          assert.ok(Number.isNaN(k.min(withNaN, n)), `${name} min with NaN`);
        }
      }
    }
    for (const [name, k] of all) {
      assert.ok(Object.is(k.min(new Float32Array([0, -0]), 2), 0), `${name}: min keeps the first of 0, -0`);
      assert.ok(Object.is(k.min(new Float32Array([-0, 0]), 2), -0), `${name}: min keeps the first of -0, 0`);
    }
  });
});

describe('native quantizers and AdamW match the reference', { skip }, () => {
  it('binarizeWeight (centred or not; alpha returned) and binarizeRows', () => {
    const rng = new Rng(9);
    for (const n of [0, 1, 77, 200_003]) {
      const w = rand(rng, n), wb = rand(rng, n);
      for (const centred of [false, true]) {
        const want = wb.slice();
        const alpha = ref.binarizeWeight(want, w, n, centred);
        for (const [name, k] of all) {
          const got = wb.slice();
          closeNum(k.binarizeWeight(got, w, n, centred), alpha, 1e-12 * alpha, `${name} alpha n=${n}`);
          close(got, want, `${name} binarizeWeight n=${n} centred=${centred}`);
        }
      }
    }
    for (const [R, C] of ROWS) {
      const e = rand(rng, R * C), eb = rand(rng, R * C), rs = rand(rng, R);
      for (const centred of [false, true]) {
        compare(`binarizeRows ${R}x${C} centred=${centred}`, [eb, rs, e], (k, [a, b, c]) => k.binarizeRows(a!, b!, c!, R, C, centred), close);
      }
    }
  });

  const specs: ActQuantSpec[] = [
    { signed: true, bits: 1, offset: 0 }, { signed: false, bits: 1, offset: 0 }, { signed: true, bits: 2, offset: 0 },
    { signed: true, bits: 4, offset: 0 }, { signed: false, bits: 2, offset: -0.5 }, { signed: false, bits: 8, offset: 0.25 },
  ];
  for (const spec of specs) {
    it(`actQuantForward / actQuantBackward ${spec.signed ? 'signed' : 'unsigned'} ${spec.bits}-bit offset ${spec.offset}: ties, clip edges, shift`, () => {
      const rng = new Rng(10 + spec.bits);
      const a = 0.75;
      // ties (k + 1/2) * a, the clip edges and values just inside / outside them
      const special = [0, -0, a / 2, -a / 2, 1.5 * a, a, -a, 2 * a, -2 * a, 255 * a, Math.fround(a * 1.0000001), NaN];
      for (const [R, C] of [[3, 5], [300, 130], [0, 3]] as const) {
        const x = rand(rng, R * C, special, 0.2, 1.5), shift = rand(rng, C, [0, a / 2], 0.3, 0.2);
        const y = rand(rng, R * C), dX = rand(rng, R * C), dShift = rand(rng, C), dY = rand(rng, R * C);
        for (const sh of [null, shift]) {
          compare(`actQuantForward ${R}x${C} shift=${sh !== null}`, [y, x], (k, [yy, xx]) => k.actQuantForward(yy!, xx!, sh, a, spec, R, C));
          const dA: number[] = [];
          compare(`actQuantBackward ${R}x${C} shift=${sh !== null}`, [dX, dShift, dY, x], (k, [d, ds, g, xx]) => {
            dA.push(k.actQuantBackward(d!, sh === null ? null : ds!, g!, xx!, sh, a, spec, R, C));
          });
          for (let i = 1; i < dA.length; i++) assert.ok(Object.is(dA[i], dA[0]), `dA of set ${i}: ${dA[i]}, reference ${dA[0]}`);
        }
      }
    });
  }

  it('adamw with and without bias correction, and with weight decay 0', () => {
    const rng = new Rng(11);
    for (const n of [1, 100, 100_001]) {
      const p = rand(rng, n), g = rand(rng, n, [0], 0.1, 1e-2), m = rand(rng, n, [0], 0.1, 1e-3);
      const v = rand(rng, n, [0], 0.1, 1e-3).map(Math.abs);
      for (const [biasCorrection, step, weightDecay] of [[true, 1, 0.01], [true, 1000, 0], [false, 7, 0.01]] as const) {
        const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay, step, biasCorrection };
        compare(`adamw n=${n} bc=${biasCorrection} step=${step}`, [p, g, m, v], (k, [pp, gg, mm, vv]) => k.adamw(pp!, gg!, mm!, vv!, n, opts));
      }
    }
  });
});
