// The WASM kernel set's element-wise, normalisation, embedding, head, reduction, quantizer and optimiser kernels
// against the reference set (within 1e-5 relative; most agree bit for bit, the tolerance covers exp/erfc/tanh ulps
// and reordered double sums), including calls large enough to be split into chunks; mismatched sizes throw BK7001
// before anything is written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActQuantSpec, Kernels } from '../../../runtime/kernels/kernels.js';
import { referenceKernels as R } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';
import { W, assertClose, assertExact, assertRejects, randArray, skip } from './wasm-helpers.js';

const TOL = 1e-5;
const sizes = [1, 3, 4, 5, 63, 64, 65, 200, 773, 4099];

/** Runs `run` on both sets with copies of `bufs` and compares every buffer afterwards (and the return values). */
function same(what: string, bufs: Float32Array[], run: (k: Kernels, b: Float32Array[]) => number | void, tol = TOL): void {
  const a = bufs.map((b) => b.slice()), b = bufs.map((x) => x.slice());
  const ra = run(R, a), rb = run(W!, b);
  a.forEach((want, i) => assertClose(b[i]!, want, tol, `${what} buffer ${i}`));
  if (typeof ra === 'number') assertClose([rb as number], [ra], tol, `${what} result`);
}

describe('wasm kernels: element-wise against the reference', { skip }, () => {
  it('add, scale, addBias, addBiasBackward', () => {
    const rng = new Rng(1);
    for (const n of sizes) {
      same(`add ${n}`, [randArray(rng, n), randArray(rng, n), randArray(rng, n)], (k, [y, a, b]) => k.add(y!, a!, b!, n));
      same(`scale ${n}`, [randArray(rng, n), randArray(rng, n)], (k, [y, x]) => k.scale(y!, x!, 0.1234567891, n));
      same(`scale in place ${n}`, [randArray(rng, n)], (k, [x]) => k.scale(x!, x!, -3, n));
    }
    for (const [r, c] of [[1, 1], [3, 5], [7, 64], [5, 773], [130, 3]]) {
      same(`addBias ${r}x${c}`, [randArray(rng, r * c), randArray(rng, r * c), randArray(rng, c)], (k, [y, x, b]) => k.addBias(y!, x!, b!, r, c));
      same(`addBiasBackward ${r}x${c}`, [randArray(rng, c), randArray(rng, r * c)], (k, [d, g]) => k.addBiasBackward(d!, g!, r, c));
    }
  });

  it('relu, gelu, tanh forward and backward (gelu: exact erf GELU within 1e-5, tails included)', () => {
    const rng = new Rng(2);
    const specials = [0, -0, 1e-8, -1e-8, 3, -3, 6, -6, 10, -10, 40, -40];
    for (const n of sizes) {
      const x = randArray(rng, n, specials);
      for (const name of ['relu', 'gelu', 'tanh'] as const) {
        same(`${name}Forward ${n}`, [randArray(rng, n), x], (k, [y, xx]) => k[`${name}Forward`](y!, xx!, n));
        same(`${name}Backward ${n}`, [randArray(rng, n), randArray(rng, n), x], (k, [d, g, xx]) => k[`${name}Backward`](d!, g!, xx!, n));
      }
    }
    // the GELU of large negative inputs is tiny: relative accuracy there needs an erfc without cancellation
    const x = new Float32Array([-5, -7, -9, -12, -20]);
    same('gelu tail', [new Float32Array(5), x], (k, [y, xx]) => k.geluForward(y!, xx!, 5), 1e-6);
  });

  it('softmax forward (with and without mask, several rowsPerMask) and backward', () => {
    const rng = new Rng(3);
    for (const [r, c] of [[1, 1], [4, 7], [24, 16], [12, 129]]) {
      const x = randArray(rng, r * c);
      same(`softmax ${r}x${c}`, [new Float32Array(r * c), x], (k, [y, xx]) => k.softmaxForward(y!, xx!, null, 0.125, r, c, 0));
      for (const rpm of [1, 3, 4, r]) {
        const maskRows = Math.floor((r - 1) / rpm) + 1;
        const mask = new Float32Array(maskRows * c).map(() => (rng.next() < 0.3 ? -10000 : 0));
        same(`softmax masked ${r}x${c}/${rpm}`, [new Float32Array(r * c), x, mask], (k, [y, xx, m]) => k.softmaxForward(y!, xx!, m!, 0.3, r, c, rpm));
      }
      same(`softmax in place ${r}x${c}`, [x], (k, [xx]) => k.softmaxForward(xx!, xx!, null, 1, r, c, 1));
      const y = new Float32Array(r * c);
      R.softmaxForward(y, x, null, 1, r, c, 1);
      same(`softmaxBackward ${r}x${c}`, [randArray(rng, r * c), randArray(rng, r * c), y], (k, [d, g, yy]) => k.softmaxBackward(d!, g!, yy!, 0.7, r, c));
    }
  });

  it('layerNorm forward and backward', () => {
    const rng = new Rng(4);
    for (const [r, c] of [[1, 1], [3, 5], [8, 64], [5, 773]]) {
      const x = randArray(rng, r * c).map((v) => v * 3 + 1);
      const gamma = randArray(rng, c), beta = randArray(rng, c);
      same(`layerNormForward ${r}x${c}`, [new Float32Array(r * c), new Float32Array(r), new Float32Array(r), x, gamma, beta],
        (k, [y, m, s, xx, g, b]) => k.layerNormForward(y!, m!, s!, xx!, g!, b!, r, c, 1e-12));
      const mean = new Float32Array(r), rstd = new Float32Array(r);
      R.layerNormForward(new Float32Array(r * c), mean, rstd, x, gamma, beta, r, c, 1e-5);
      same(`layerNormBackward ${r}x${c}`, [randArray(rng, r * c), randArray(rng, c), randArray(rng, c), randArray(rng, r * c), x, mean, rstd, gamma],
        (k, [dx, dg, db, dy, xx, m, s, g]) => k.layerNormBackward(dx!, dg!, db!, dy!, xx!, m!, s!, g!, r, c));
    }
  });

  it('embeddings and head permutations', () => {
    const rng = new Rng(5);
    const V = 11, C = 6, n = 9;
    const ids = new Int32Array(n).map(() => rng.int(V));
    ids[3] = ids[5]!; // a repeated id accumulates twice
    same('embeddingForward', [new Float32Array(n * C), randArray(rng, V * C)], (k, [y, t]) => k.embeddingForward(y!, ids, t!, n, C));
    same('embeddingBackward', [randArray(rng, V * C), randArray(rng, n * C)], (k, [t, d]) => k.embeddingBackward(t!, d!, ids, n, C));
    for (const [B, T, NH, HS] of [[1, 1, 1, 1], [2, 3, 4, 5], [2, 7, 3, 64]]) {
      const x = randArray(rng, B * T * NH * HS);
      same(`splitHeads ${B},${T},${NH},${HS}`, [new Float32Array(x.length), x], (k, [y, xx]) => k.splitHeads(y!, xx!, B, T, NH, HS));
      same(`mergeHeads ${B},${T},${NH},${HS}`, [new Float32Array(x.length), x], (k, [y, xx]) => k.mergeHeads(y!, xx!, B, T, NH, HS));
    }
  });

  it('reductions (sum, sumAbs, sumSquares, min; NaN and empty inputs)', () => {
    const rng = new Rng(6);
    for (const n of [0, ...sizes]) {
      const x = randArray(rng, n);
      assertClose([W!.sum(x, n)], [R.sum(x, n)], TOL, `sum ${n}`, 1e-6 * R.sumAbs(x, n));
      assertClose([W!.sumAbs(x, n)], [R.sumAbs(x, n)], TOL, `sumAbs ${n}`);
      assertClose([W!.sumSquares(x, n)], [R.sumSquares(x, n)], TOL, `sumSquares ${n}`);
      assert.equal(W!.min(x, n), R.min(x, n), `min ${n}`);
    }
    const x = new Float32Array([3, 1, NaN, -2, 5, 6, 7, 8]);
    assert.ok(Number.isNaN(W!.min(x, 8)) && Number.isNaN(W!.min(x, 3)));
    assert.equal(W!.min(x, 2), 1);
  });

  it('binarizeWeight, binarizeRows, actQuant forward and backward (signed, unsigned, multi-bit, shift, offset)', () => {
    const rng = new Rng(7);
    for (const n of sizes) {
      for (const centred of [false, true]) {
        same(`binarizeWeight ${n} ${centred}`, [new Float32Array(n), randArray(rng, n)], (k, [wb, w]) => k.binarizeWeight(wb!, w!, n, centred));
      }
    }
    for (const [r, c] of [[1, 1], [5, 7], [30, 64]]) {
      for (const centred of [false, true]) {
        same(`binarizeRows ${r}x${c}`, [new Float32Array(r * c), new Float32Array(r), randArray(rng, r * c)],
          (k, [eb, s, e]) => k.binarizeRows(eb!, s!, e!, r, c, centred));
      }
    }
    const specs: ActQuantSpec[] = [
      { signed: true, bits: 1, offset: 0 }, { signed: false, bits: 1, offset: 0 }, { signed: true, bits: 2, offset: 0 },
      { signed: false, bits: 4, offset: -0.75 }, { signed: true, bits: 8, offset: 0 },
    ];
    const a = 0.5;
    // zero, the clip bounds, ties of the rounding and values just inside and outside them
    const specials = [0, -0, a, -a, 0.25, -0.25, 0.75, 1.25, 2 * a, -2 * a, 0.4999999, 0.5000001, 7.5 * a, 8 * a, -8 * a, 100, -100];
    for (const spec of specs) {
      for (const [r, c] of [[1, 1], [4, 9], [16, 65]]) {
        const x = randArray(rng, r * c, specials);
        for (const shift of [null, randArray(rng, c, [0, 0.25])]) {
          same(`actQuantForward ${JSON.stringify(spec)} ${r}x${c}`, [new Float32Array(r * c), x], (k, [y, xx]) => k.actQuantForward(y!, xx!, shift, a, spec, r, c));
          for (const withDShift of [false, true]) {
            same(`actQuantBackward ${JSON.stringify(spec)} ${r}x${c}`, [randArray(rng, r * c), randArray(rng, c), randArray(rng, r * c), x],
              (k, [dx, ds, dy, xx]) => k.actQuantBackward(dx!, withDShift ? ds! : null, dy!, xx!, shift, a, spec, r, c));
          }
        }
      }
    }
  });

  it('adamw with and without bias correction', () => {
    const rng = new Rng(8);
    for (const n of sizes) {
      for (const biasCorrection of [true, false]) {
        const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 7, biasCorrection };
        same(`adamw ${n}`, [randArray(rng, n), randArray(rng, n), randArray(rng, n), randArray(rng, n).map(Math.abs)],
          (k, [p, g, m, v]) => k.adamw(p!, g!, m!, v!, n, opts));
      }
    }
  });

  it('calls larger than one chunk (2^21 elements) give the reference results', () => {
    const rng = new Rng(9);
    const r = 2200, c = 1000; // 2.2M elements: two chunks, the mask rows split mid-group
    const x = randArray(rng, r * c);
    const mask = new Float32Array(Math.ceil(r / 7) * c).map(() => (rng.next() < 0.2 ? -10000 : 0));
    same('softmax chunked', [new Float32Array(r * c), x, mask], (k, [y, xx, m]) => k.softmaxForward(y!, xx!, m!, 0.5, r, c, 7));
    same('adamw chunked', [x.slice(), randArray(rng, r * c), new Float32Array(r * c), new Float32Array(r * c)],
      (k, [p, g, m, v]) => k.adamw(p!, g!, m!, v!, r * c, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-6, weightDecay: 0, step: 1, biasCorrection: true }));
    same('binarizeWeight chunked', [new Float32Array(r * c), x], (k, [wb, w]) => k.binarizeWeight(wb!, w!, r * c, true));
    assertClose([W!.sum(x, r * c)], [R.sum(x, r * c)], TOL, 'sum chunked', 1e-6 * R.sumAbs(x, r * c));
  });
});

describe('wasm kernels: mismatched sizes throw BK7001 before anything is written', { skip }, () => {
  it('every element-wise kernel checks its buffers', () => {
    const K = W!;
    const f = (n: number, v = 1): Float32Array => new Float32Array(n).fill(v);
    const y = f(6, 9), d = f(6, 9), s = f(3, 9);
    assertRejects(() => K.add(y, f(6), f(5), 6), [y], 'add');
    assertRejects(() => K.scale(y, f(5), 2, 6), [y], 'scale');
    assertRejects(() => K.addBias(y, f(6), f(2), 2, 3), [y], 'addBias');
    assertRejects(() => K.addBiasBackward(s, f(5), 2, 3), [s], 'addBiasBackward');
    for (const name of ['relu', 'gelu', 'tanh'] as const) {
      assertRejects(() => K[`${name}Forward`](y, f(5), 6), [y], `${name}Forward`);
      assertRejects(() => K[`${name}Backward`](d, f(6), f(5), 6), [d], `${name}Backward`);
      assertRejects(() => K[`${name}Backward`](d, f(5), f(6), 6), [d], `${name}Backward dY`);
    }
    assertRejects(() => K.softmaxForward(y, f(6), f(2), 1, 2, 3, 1), [y], 'softmaxForward mask');
    assertRejects(() => K.softmaxForward(y, f(6), f(6), 1, 2, 3, 0), [y], 'softmaxForward rowsPerMask');
    assertRejects(() => K.softmaxBackward(d, f(6), f(5), 1, 2, 3), [d], 'softmaxBackward');
    const m = f(2, 9), r = f(2, 9);
    assertRejects(() => K.layerNormForward(y, m, r, f(6), f(3), f(2), 2, 3, 1e-5), [y, m, r], 'layerNormForward');
    assertRejects(() => K.layerNormBackward(d, s, s, f(6), f(6), f(1), f(2), f(3), 2, 3), [d, s], 'layerNormBackward');
    assertRejects(() => K.embeddingForward(y, new Int32Array([0, 3]), f(9), 2, 3), [y], 'embeddingForward id');
    assertRejects(() => K.embeddingBackward(y, f(6), new Int32Array([0, -1]), 2, 3), [y], 'embeddingBackward id');
    assertRejects(() => K.splitHeads(y, f(5), 1, 1, 2, 3), [y], 'splitHeads');
    assertRejects(() => K.mergeHeads(f(5), y, 1, 1, 2, 3), [y], 'mergeHeads');
    assertRejects(() => K.sum(f(5), 6), [], 'sum');
    assertRejects(() => K.min(f(5), -1), [], 'min');
    assertRejects(() => K.binarizeWeight(y, f(5), 6, false), [y], 'binarizeWeight');
    assertRejects(() => K.binarizeRows(y, f(1), f(6), 2, 3, false), [y], 'binarizeRows');
    const spec: ActQuantSpec = { signed: true, bits: 1, offset: 0 };
    assertRejects(() => K.actQuantForward(y, f(6), f(2), 0.5, spec, 2, 3), [y], 'actQuantForward');
    assertRejects(() => K.actQuantBackward(d, s, f(6), f(5), null, 0.5, spec, 2, 3), [d, s], 'actQuantBackward');
    const p = f(6, 9);
    assertRejects(() => K.adamw(p, f(6), f(6), f(5), 6, { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1, weightDecay: 0, step: 1, biasCorrection: true }), [p], 'adamw');
  });

  it('bad quantizer specs and optimiser steps throw BK7002', () => {
    const K = W!;
    assert.throws(() => K.actQuantForward(new Float32Array(1), new Float32Array(1), null, 0, { signed: true, bits: 1, offset: 0 }, 1, 1), { code: 'BK7002' });
    assert.throws(() => K.actQuantBackward(new Float32Array(1), null, new Float32Array(1), new Float32Array(1), null, 1, { signed: true, bits: 3, offset: 0 }, 1, 1), { code: 'BK7002' });
    assert.throws(() => K.adamw(new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1), 1,
      { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1, weightDecay: 0, step: 0, biasCorrection: true }), { code: 'BK7002' });
    assertExact([K.sum(new Float32Array(0), 0)], [0], 'empty sum');
  });
});
