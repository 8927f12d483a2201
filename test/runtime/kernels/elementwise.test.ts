// Element-wise kernels, activations (with erf and GELU against known values), embeddings, head reshapes, reductions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { erf, erfc, referenceKernels as K } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

function randArray(rng: Rng, n: number): Float32Array {
  return new Float32Array(n).map(() => rng.normal());
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} (tol ${tol})`);
}

/** Central difference of f at x (float64), h relative to |x|. */
function fd(f: (x: number) => number, x: number, h = 1e-5): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

describe('bias, add, scale', () => {
  it('addBias broadcasts over rows, also in place; addBiasBackward accumulates column sums', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    K.addBias(x, x, new Float32Array([10, 20, 30]), 2, 3);
    assert.deepEqual(Array.from(x), [11, 22, 33, 14, 25, 36]);
    const dB = new Float32Array([1, 1, 1]);
    K.addBiasBackward(dB, new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
    assert.deepEqual(Array.from(dB), [6, 8, 10]);
  });

  it('add and scale, in place', () => {
    const a = new Float32Array([1, 2, 3]);
    K.add(a, a, new Float32Array([0.5, -2, 0]), 3);
    assert.deepEqual(Array.from(a), [1.5, 0, 3]);
    K.scale(a, a, -2, 3);
    assert.deepEqual(Array.from(a), [-3, -0, -6]);
  });
});

describe('activations', () => {
  it('relu and its backward (gradient 0 at x = 0)', () => {
    const x = new Float32Array([-1, 0, 2, -0]);
    const y = new Float32Array(4);
    K.reluForward(y, x, 4);
    assert.deepEqual(Array.from(y), [0, 0, 2, 0]);
    const dX = new Float32Array([1, 1, 1, 1]);
    K.reluBackward(dX, new Float32Array([5, 5, 5, 5]), x, 4);
    assert.deepEqual(Array.from(dX), [1, 1, 6, 1]);
  });

  it('erf and erfc match known values to ~1e-15', () => {
    const cases: Array<[number, number]> = [
      [0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [-1, -0.8427007929497149],
    ];
    for (const [x, want] of cases) close(erf(x), want, 2e-16, `erf(${x})`);
    close(erfc(3) / 2.2090496998585438e-5, 1, 1e-14, 'erfc(3)');
    close(erfc(5) / 1.5374597944280351e-12, 1, 1e-14, 'erfc(5)');
    close(erfc(-1), 1.8427007929497148, 4e-16, 'erfc(-1)');
  });

  it('gelu (exact erf form) against known values', () => {
    const x = new Float32Array([1, -0.5, 0, 2, -3, 10, -10]);
    const want = [0.8413447460685429, -0.15426876936299344, 0, 1.9544997361036416, -0.004049694094890287, 10, -7.619853024160527e-23];
    const y = new Float32Array(x.length);
    K.geluForward(y, x, x.length);
    for (let i = 0; i < x.length; i++) assert.equal(y[i], Math.fround(want[i]!), `gelu(${x[i]})`);
  });

  it('gelu backward against central differences of a float64 GELU, and its closed form at 0', () => {
    const gelu64 = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const x = new Float32Array([0, 1, -1, 0.3, -2.5, 4, -6]);
    const dY = new Float32Array([1, 2, -1, 0.5, 3, 1, 1]);
    const dX = new Float32Array(x.length).fill(0.25);
    K.geluBackward(dX, dY, x, x.length);
    for (let i = 0; i < x.length; i++) close(dX[i]!, 0.25 + dY[i]! * fd(gelu64, x[i]!), 1e-6, `dgelu(${x[i]})`);
    assert.equal(dX[0], 0.75); // Phi(0) + 0 = 0.5
  });

  it('tanh and its backward against central differences', () => {
    const x = new Float32Array([0, 0.5, -2, 8]);
    const y = new Float32Array(4);
    K.tanhForward(y, x, 4);
    for (let i = 0; i < 4; i++) assert.equal(y[i], Math.fround(Math.tanh(x[i]!)));
    const dX = new Float32Array(4).fill(1);
    K.tanhBackward(dX, new Float32Array([2, 2, 2, 2]), y, 4);
    for (let i = 0; i < 4; i++) close(dX[i]!, 1 + 2 * fd(Math.tanh, x[i]!), 2e-6, `dtanh(${x[i]})`);
  });
});

describe('embeddings', () => {
  it('forward gathers rows; backward scatters and accumulates repeated ids', () => {
    const table = new Float32Array([0, 1, 10, 11, 20, 21]); // V=3, C=2
    const ids = new Int32Array([2, 0, 2]);
    const y = new Float32Array(6);
    K.embeddingForward(y, ids, table, 3, 2);
    assert.deepEqual(Array.from(y), [20, 21, 0, 1, 20, 21]);
    const dT = new Float32Array(6).fill(1);
    K.embeddingBackward(dT, new Float32Array([1, 2, 3, 4, 5, 6]), ids, 3, 2);
    assert.deepEqual(Array.from(dT), [4, 5, 1, 1, 7, 9]);
  });

  it('an id outside the table throws BK7001 before writing anything', () => {
    const y = new Float32Array(4).fill(7);
    const table = new Float32Array(6);
    for (const bad of [3, -1]) {
      assert.throws(() => K.embeddingForward(y, new Int32Array([0, bad]), table, 2, 2),
        (e: unknown) => e instanceof BitkitError && e.code === 'BK7001');
      assert.throws(() => K.embeddingBackward(table, y, new Int32Array([1, bad]), 2, 2),
        (e: unknown) => e instanceof BitkitError && e.code === 'BK7001');
    }
    assert.deepEqual(Array.from(y), [7, 7, 7, 7]);
    assert.deepEqual(Array.from(table), [0, 0, 0, 0, 0, 0]);
  });
});

describe('splitHeads / mergeHeads', () => {
  it('move element (b,t,h,s) to (b,h,t,s) and back', () => {
    const B = 2;
    const T = 3;
    const NH = 4;
    const HS = 5;
    const n = B * T * NH * HS;
    const x = new Float32Array(n).map((_, i) => i);
    const y = new Float32Array(n);
    K.splitHeads(y, x, B, T, NH, HS);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < NH; h++) for (let s = 0; s < HS; s++) {
      assert.equal(y[((b * NH + h) * T + t) * HS + s], x[((b * T + t) * NH + h) * HS + s]);
    }
    const z = new Float32Array(n);
    K.mergeHeads(z, y, B, T, NH, HS);
    assert.deepEqual(z, x);
  });
});

describe('reductions', () => {
  it('sum, sumAbs, sumSquares against float64 loops; min incl. NaN and n = 0', () => {
    const rng = new Rng(9);
    const x = randArray(rng, 1001);
    let s = 0;
    let sa = 0;
    let ss = 0;
    for (const v of x) {
      s += v;
      sa += Math.abs(v);
      ss += v * v;
    }
    close(K.sum(x, 1001), s, 1e-9, 'sum');
    close(K.sumAbs(x, 1001), sa, 1e-9, 'sumAbs');
    close(K.sumSquares(x, 1001), ss, 1e-9, 'sumSquares');
    assert.equal(K.sum(x, 3), x[0]! + x[1]! + x[2]!);
    assert.equal(K.min(new Float32Array([3, -1, 2, -0.5]), 4), -1);
    assert.equal(K.min(new Float32Array([3, 5]), 1), 3);
    assert.ok(Number.isNaN(K.min(new Float32Array([3, NaN, -1]), 3)), 'min propagates NaN');
    assert.equal(K.min(new Float32Array(0), 0), Infinity);
  });
});
