// Quantizers: rounding rule, weight binarization, and the elastic / LSQ activation quantizer. Forward values are
// checked against an independent definition (the nearest level of the set, ties to the even level); gradients against
// an independently written closed form and against central finite differences of the straight-through surrogate.
// Inputs always include 0, the clip bounds, and values just inside and just outside them.
// Every assert.ok carries a message: without one, node:assert re-reads the tsx-transformed source to build it, which
// can hang a failing run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActQuantSpec } from '../../../runtime/kernels/kernels.js';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { BitkitError } from '../../../runtime/errors.js';
import { referenceKernels as K, roundHalfEven } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

// ------------------------------------------------------------------ independent definitions used by the tests

/** Integer levels of a spec, written out from the table in bit-algorithm.md (not from quantRange). */
function levels(spec: ActQuantSpec): number[] {
  if (spec.signed && spec.bits === 1) return [-1, 1];
  const lo = spec.signed ? -(2 ** (spec.bits - 1)) : 0;
  const hi = spec.signed ? 2 ** (spec.bits - 1) - 1 : 2 ** spec.bits - 1;
  const out: number[] = [];
  for (let q = lo; q <= hi; q++) out.push(q);
  return out;
}

/** Forward by search: the nearest level a*q + offset; ties go to the even q. Signed 1-bit is a * sign(u), sign(0)=+1. */
function quantizeBySearch(u: number, a: number, spec: ActQuantSpec): number {
  if (spec.signed && spec.bits === 1) return u >= 0 ? a : -a;
  let best = NaN;
  let bestD = Infinity;
  for (const q of levels(spec)) {
    const d = Math.abs((u - spec.offset) / a - q);
    if (d < bestD || (d === bestD && q % 2 === 0)) {
      best = q;
      bestD = d;
    }
  }
  return a * best + spec.offset;
}

/** Per-element closed-form gradients: [pass, dA contribution per unit g] (before the gradient scale). */
function gradOf(u: number, a: number, spec: ActQuantSpec): [number, number] {
  if (spec.signed && spec.bits === 1) {
    const inside = Math.abs(u) <= a;
    return [inside ? 1 : 0, u < 0 ? -1 : 1];
  }
  const lv = levels(spec);
  const lo = lv[0]!;
  const hi = lv[lv.length - 1]!;
  const v = (u - spec.offset) / a;
  if (v < lo) return [0, lo];
  if (v > hi) return [0, hi];
  return [1, (quantizeBySearch(u, a, spec) - spec.offset) / a - v];
}

/**
 * The straight-through surrogate whose true derivatives are the documented gradients, in float64:
 * LSQ: a*Qn+o below, a*Qp+o above, u + a*r0 inside (r0 = round(v) - v frozen at the base point).
 * Signed 1-bit: clip(u, -a, a) for the input path, a*sign(u) for the scale path.
 */
function surrogate(u: number, a: number, spec: ActQuantSpec, r0: number, path: 'input' | 'scale'): number {
  if (spec.signed && spec.bits === 1) {
    return path === 'input' ? Math.max(-a, Math.min(a, u)) : u >= 0 ? a : -a;
  }
  const lv = levels(spec);
  const v = (u - spec.offset) / a;
  if (v < lv[0]!) return a * lv[0]! + spec.offset;
  if (v > lv[lv.length - 1]!) return a * lv[lv.length - 1]! + spec.offset;
  return u + a * r0;
}

const SPECS: ActQuantSpec[] = [
  { signed: true, bits: 1, offset: 0 },
  { signed: false, bits: 1, offset: 0 },
  { signed: true, bits: 2, offset: 0 },
  { signed: false, bits: 2, offset: 0 },
  { signed: true, bits: 4, offset: 0 },
  { signed: false, bits: 4, offset: -0.5 },
  { signed: true, bits: 8, offset: 0 },
  { signed: false, bits: 8, offset: -1.25 },
];

function specName(s: ActQuantSpec): string {
  return `${s.signed ? 'signed' : 'unsigned'} ${s.bits}-bit${s.offset ? ` offset ${s.offset}` : ''}`;
}

/** 0, the clip bounds, just inside/outside them, half-way ties, then random values over twice the range. */
function testInputs(rng: Rng, a: number, spec: ActQuantSpec, n: number): Float32Array {
  const lv = levels(spec);
  const lo = lv[0]!;
  const hi = lv[lv.length - 1]!;
  const e = 1e-3;
  const vs = [0, lo, hi, lo - e, lo + e, hi - e, hi + e, 0.5, -0.5, 1.5, 2.5, hi + 0.5, lo - 0.5, 1e-30, -1e-30];
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i < vs.length ? spec.offset + a * vs[i]! : spec.offset + a * (lo - 2 + (hi - lo + 4) * rng.next());
  }
  if (spec.signed && spec.bits === 1) x[0] = 0; // exactly 0 with offset ignored
  return x;
}

// ------------------------------------------------------------------ tests

describe('roundHalfEven', () => {
  it('rounds ties to even, like torch.round, and never returns -0', () => {
    const cases: Array<[number, number]> = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [0.49999999999999994, 0],
      [1.2, 1], [-1.7, -2], [127.5, 128], [126.5, 126], [0, 0], [-0.3, 0], [4503599627370497, 4503599627370497],
    ];
    for (const [v, want] of cases) assert.ok(Object.is(roundHalfEven(v), want), `roundHalfEven(${v}) = ${roundHalfEven(v)}, want ${want}`);
  });
});

describe('binarizeWeight', () => {
  it('centred: alpha = mean|w| of the uncentred w, sign(w - mean) with sign(0) = +1', () => {
    const w = new Float32Array([1, 2, 3, -2, 6]); // mean 2: w[1] - mean = 0 -> +alpha
    const wb = new Float32Array(5);
    const alpha = K.binarizeWeight(wb, w, 5, true);
    assert.equal(alpha, 14 / 5);
    const al = Math.fround(14 / 5);
    assert.deepEqual(Array.from(wb), [-al, al, al, -al, al]);
  });

  it('uncentred: sign(w) with sign(0) = +1, and random tensors match the formula', () => {
    const w = new Float32Array([0, -0, -1, 0.5]);
    const wb = new Float32Array(4);
    assert.equal(K.binarizeWeight(wb, w, 4, false), 1.5 / 4);
    assert.deepEqual(Array.from(wb), [0.375, 0.375, -0.375, 0.375]);
    const rng = new Rng(3);
    const n = 257;
    const r = new Float32Array(n).map(() => rng.normal() + 0.3);
    const rb = new Float32Array(n);
    for (const centred of [false, true]) {
      let s = 0;
      let sa = 0;
      for (const v of r) {
        s += v;
        sa += Math.abs(v);
      }
      const alpha = K.binarizeWeight(rb, r, n, centred);
      assert.ok(Math.abs(alpha - sa / n) < 1e-12, `alpha ${alpha} vs ${sa / n}`);
      const c = centred ? s / n : 0;
      for (let i = 0; i < n; i++) assert.equal(rb[i], Math.fround(r[i]! >= c ? alpha : -alpha));
    }
  });

  it('n = 0 returns 0 and writes nothing', () => {
    assert.equal(K.binarizeWeight(new Float32Array(0), new Float32Array(0), 0, true), 0);
  });
});

describe('binarizeRows', () => {
  it('per-row scale mean_j |e[r,j]|, centred by the global mean', () => {
    const e = new Float32Array([1, -3, 2, 0.5, /* row 1 */ -1, 4, 0, 0]); // global mean 3.5 / 8 = 0.4375
    const eb = new Float32Array(8);
    const rs = new Float32Array(2);
    K.binarizeRows(eb, rs, e, 2, 4, true);
    assert.deepEqual(Array.from(rs), [6.5 / 4, 5 / 4]);
    const s0 = 6.5 / 4;
    const s1 = 5 / 4;
    assert.deepEqual(Array.from(eb), [s0, -s0, s0, s0, -s1, s1, -s1, -s1]);
    K.binarizeRows(eb, rs, e, 2, 4, false);
    assert.deepEqual(Array.from(eb), [s0, -s0, s0, s0, -s1, s1, s1, s1]); // sign(0) = +1
  });
});

describe('actQuantForward against the nearest-level definition', () => {
  const a = 0.75;
  for (const spec of SPECS) {
    for (const withShift of [false, true]) {
      it(`${specName(spec)}${withShift ? ' with shift' : ''}`, () => {
        const rng = new Rng(spec.bits * 10 + (spec.signed ? 1 : 2));
        const R = 4;
        const C = 16;
        const x = testInputs(rng, a, spec, R * C);
        let shift: Float32Array | null = null;
        if (withShift) {
          shift = new Float32Array(C).map(() => 0.3 * rng.normal());
          shift[0] = 0;
          x[C + 1] = -shift[1]!; // u exactly 0 through the shift
          x[2 * C + 2] = spec.offset + a * 0.5 - shift[2]!; // (near) tie through the shift
        }
        const y = new Float32Array(R * C).fill(NaN);
        K.actQuantForward(y, x, shift, a, spec, R, C);
        for (let i = 0; i < R * C; i++) {
          const u = x[i]! + (shift ? shift[i % C]! : 0);
          assert.equal(y[i], Math.fround(quantizeBySearch(u, a, spec)), `i=${i} u=${u}`);
        }
      });
    }
  }

  it('hand-written values: 1-bit signed, 1-bit unsigned (ties to 0), 2-bit signed, 2-bit unsigned with offset', () => {
    const x = new Float32Array([-2, -0.5, 0, 0.25, 0.5, 0.75, 1, 3]);
    const y = new Float32Array(8);
    K.actQuantForward(y, x, null, 1, { signed: true, bits: 1, offset: 0 }, 1, 8);
    assert.deepEqual(Array.from(y), [-1, -1, 1, 1, 1, 1, 1, 1]);
    K.actQuantForward(y, x, null, 1, { signed: false, bits: 1, offset: 0 }, 1, 8);
    assert.deepEqual(Array.from(y), [0, 0, 0, 0, 0, 1, 1, 1]); // round(0.5) = 0
    K.actQuantForward(y, x, null, 0.5, { signed: true, bits: 2, offset: 0 }, 1, 8); // levels -1, -0.5, 0, 0.5
    assert.deepEqual(Array.from(y), [-1, -0.5, 0, 0, 0.5, 0.5, 0.5, 0.5]); // 0.25/0.5 = 0.5 -> 0; 0.75 -> 1.5 -> 2 -> clip 1
    K.actQuantForward(y, x, null, 0.5, { signed: false, bits: 2, offset: -1 }, 1, 8); // levels -1, -0.5, 0, 0.5
    assert.deepEqual(Array.from(y), [-1, -0.5, 0, 0, 0.5, 0.5, 0.5, 0.5]);
  });
});

describe('actQuantBackward', () => {
  const a = 0.75;
  for (const spec of SPECS) {
    for (const withShift of [false, true]) {
      it(`${specName(spec)}${withShift ? ' with shift' : ''}: closed form, accumulation, gradient scale`, () => {
        const rng = new Rng(500 + spec.bits * 10 + (spec.signed ? 1 : 2));
        const R = 3;
        const C = 16;
        const N = R * C;
        const x = testInputs(rng, a, spec, N);
        const shift = withShift ? new Float32Array(C).map(() => 0.2 * rng.normal()) : null;
        if (shift) x[C + 3] = -shift[3]!;
        const dY = new Float32Array(N).map(() => rng.normal());
        const dX0 = new Float32Array(N).map(() => rng.normal());
        const dS0 = new Float32Array(C).map(() => rng.normal());
        const dX = dX0.slice();
        const dS = dS0.slice();
        const dA = K.actQuantBackward(dX, shift ? dS : null, dY, x, shift, a, spec, R, C);
        let wantA = 0;
        const wantS = Array.from(dS0, Number);
        for (let i = 0; i < N; i++) {
          const u = x[i]! + (shift ? shift[i % C]! : 0);
          const [pass, ga] = gradOf(u, a, spec);
          wantA += ga * dY[i]!;
          assert.equal(dX[i], Math.fround(dX0[i]! + pass * dY[i]!), `dX[${i}] u=${u}`);
          wantS[i % C] += pass * dY[i]!;
        }
        const lv = levels(spec);
        const qp = lv[lv.length - 1]!;
        wantA /= Math.sqrt(N * qp); // 1-bit signed: Qp = 1, i.e. 1/sqrt(N)
        assert.ok(Math.abs(dA - wantA) <= 1e-9 * (1 + Math.abs(wantA)), `dA ${dA} vs ${wantA}`);
        for (let c = 0; c < C; c++) {
          assert.ok(Math.abs(dS[c]! - (shift ? wantS[c]! : dS0[c]!)) <= 1e-5, `dShift[${c}]`);
        }
      });

      it(`${specName(spec)}${withShift ? ' with shift' : ''}: central finite differences of the surrogate`, () => {
        const rng = new Rng(900 + spec.bits * 10 + (spec.signed ? 1 : 2));
        const R = 2;
        const C = 8;
        const N = R * C;
        const lv = levels(spec);
        const lo = lv[0]!;
        const hi = lv[lv.length - 1]!;
        // random points only, kept away from the kinks (clip bounds) where a central difference is ambiguous
        const x = new Float32Array(N);
        for (let i = 0; i < N; i++) {
          let v: number;
          do v = lo - 2 + (hi - lo + 4) * rng.next();
          while (Math.abs(v - lo) < 0.05 || Math.abs(v - hi) < 0.05 || (spec.signed && spec.bits === 1 && Math.abs(v) < 0.05));
          x[i] = spec.offset + a * v;
        }
        const shift = withShift ? new Float32Array(C).map(() => 0.01 * rng.normal()) : null;
        const g = new Float64Array(N).map(() => rng.normal());
        const r0 = new Float64Array(N);
        const u0 = new Float64Array(N);
        for (let i = 0; i < N; i++) {
          u0[i] = x[i]! + (shift ? shift[i % C]! : 0);
          r0[i] = roundHalfEven((u0[i]! - spec.offset) / a) - (u0[i]! - spec.offset) / a;
        }
        const loss = (u: Float64Array, aa: number, path: 'input' | 'scale'): number => {
          let s = 0;
          for (let i = 0; i < N; i++) s += g[i]! * surrogate(u[i]!, aa, spec, r0[i]!, path);
          return s;
        };
        const dX = new Float32Array(N);
        const dS = new Float32Array(C);
        const dA = K.actQuantBackward(dX, shift ? dS : null, Float32Array.from(g), x, shift, a, spec, R, C);
        const h = 1e-6;
        const ga = (loss(u0, a + h, 'scale') - loss(u0, a - h, 'scale')) / (2 * h);
        const qp = hi;
        assert.ok(Math.abs(dA * Math.sqrt(N * qp) - ga) < 1e-4 * (1 + Math.abs(ga)), `dA ${dA * Math.sqrt(N * qp)} vs fd ${ga}`);
        const fdS = new Float64Array(C);
        for (let i = 0; i < N; i++) {
          const up = u0.slice();
          const um = u0.slice();
          up[i] += h;
          um[i] -= h;
          const fd = (loss(up, a, 'input') - loss(um, a, 'input')) / (2 * h);
          fdS[i % C] += fd;
          assert.ok(Math.abs(dX[i]! - fd) < 1e-4, `dX[${i}] ${dX[i]} vs fd ${fd}`);
        }
        if (shift) for (let c = 0; c < C; c++) assert.ok(Math.abs(dS[c]! - fdS[c]!) < 1e-4, `dShift[${c}]`);
      });
    }
  }

  it('1-bit signed at the bounds: x = 0, +-a pass, just outside does not, dA uses sign(0) = +1', () => {
    const a = 0.5;
    const x = new Float32Array([0, 0.5, -0.5, 0.5000001, -0.5000001, 0.4999999]);
    const dY = new Float32Array(6).fill(1);
    const dX = new Float32Array(6);
    const dA = K.actQuantBackward(dX, null, dY, x, null, a, { signed: true, bits: 1, offset: 0 }, 1, 6);
    assert.deepEqual(Array.from(dX), [1, 1, 1, 0, 0, 1]);
    assert.equal(dA, (1 + 1 - 1 + 1 - 1 + 1) / Math.sqrt(6));
  });

  it('1-bit unsigned matches bit-algorithm.md section 3: [1{x > a} + 1{0 <= x <= a} (round(x/a) - x/a)] g / sqrt(N)', () => {
    const a = 1;
    const x = new Float32Array([-0.25, 0, 0.25, 0.5, 0.75, 1, 1.25]);
    const dY = new Float32Array([1, 2, 3, 4, 5, 6, 7]);
    const dX = new Float32Array(7);
    const dA = K.actQuantBackward(dX, null, dY, x, null, a, { signed: false, bits: 1, offset: 0 }, 1, 7);
    assert.deepEqual(Array.from(dX), [0, 2, 3, 4, 5, 6, 0]);
    const want = (0 + 0 + 3 * -0.25 + 4 * -0.5 + 5 * 0.25 + 6 * 0 + 7 * 1) / Math.sqrt(7);
    assert.ok(Math.abs(dA - want) < 1e-15, `dA ${dA} vs ${want}`);
  });

  it('rejects a bit width outside {1,2,4,8} and a non-positive scale', () => {
    const y = new Float32Array(1);
    const x = new Float32Array(1);
    assert.throws(() => K.actQuantForward(y, x, null, 1, { signed: true, bits: 3, offset: 0 }, 1, 1),
      (e: unknown) => e instanceof BitkitError && e.code === 'BK7002');
    assert.throws(() => K.actQuantBackward(y, null, x, x, null, 0, { signed: true, bits: 1, offset: 0 }, 1, 1),
      (e: unknown) => e instanceof BitkitError && e.code === 'BK7002');
  });
});

describe('unsigned 1-bit: packBits and actQuantForward agree', () => {
  it('away from the tie with threshold a/2; at u = a/2 exactly the quantizer gives 0 (round half to even)', () => {
    const a = 0.5;
    const rng = new Rng(11);
    const C = 130;
    const x = new Float32Array(C).map(() => rng.next() * 1.2 - 0.1);
    x[0] = 0.25; // the tie
    const y = new Float32Array(C);
    K.actQuantForward(y, x, null, a, { signed: false, bits: 1, offset: 0 }, 1, C);
    const p = new Uint32Array(packedLength(1, C));
    K.packBits(p, x, null, a / 2, 1, C);
    for (let k = 1; k < C; k++) assert.equal((p[k >> 5]! >>> (k & 31)) & 1, y[k]! / a, `k=${k}`);
    assert.equal(y[0], 0);
    assert.equal(p[0]! & 1, 1); // packBits' ">= threshold" counts the tie as 1: callers must pass a threshold just above a/2
  });
});
