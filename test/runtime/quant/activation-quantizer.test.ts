/**
 * The activation quantizer unit: forward values and the documented gradients recomputed independently (bit-algorithm
 * §3, §4), on inputs that include 0, the clip edges and values just inside and outside them; init on first use;
 * no storing outside training; shift and frozen-scale handling.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as k } from '../../../runtime/kernels/reference.js';
import { ActivationQuantizer } from '../../../runtime/quant/activation-quantizer.js';
import type { ActivationSet, QuantizationOptions } from '../../../runtime/recipe/types.js';

const base: QuantizationOptions = {
  weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true, scaleInit: 'reference',
  attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null,
};

function make(bits: number, set: ActivationSet, a: number, shift: number[] | null, o: Partial<QuantizationOptions> = {}, frozen = false) {
  const params = {
    scale: Float32Array.of(a),
    dScale: frozen ? null : new Float32Array(1),
    shift: shift ? Float32Array.from(shift) : null,
    dShift: shift ? new Float32Array(shift.length) : null,
  };
  return { q: new ActivationQuantizer(k, 'p', bits, set, { ...base, ...o }, params), params };
}

const A = 0.5;
// 2 rows x 6 channels: 0, clip edges, just inside/outside, a rounding midpoint neighbourhood
const X = Float32Array.from([0, 0.5, -0.5, 0.49, 0.51, -0.51, 0.24, 0.26, 1.2, -2, 0.75, 0.1]);
const G = Float32Array.from([1, -2, 0.5, 3, -1, 2, 0.25, -0.75, 1.5, -0.5, 2, 1]);
const R = 2, C = 6, N = 12;
const roundHE = (v: number) => { const f = Math.floor(v); const d = v - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1); };

test('1-bit signed: a·sign(u); pass 1{|u| <= a}; dA = sum(sign(u) g)/sqrt(N); dB per channel', () => {
  const shift = [0, 0, 0, 0.01, -0.02, 0];
  const { q, params } = make(1, 'signed', A, shift);
  const y = new Float32Array(N);
  q.forward(y, X, R, C, true);
  const dX = new Float32Array(N);
  q.backward(dX, G, X, R, C);
  let dA = 0;
  const dB = new Array(C).fill(0);
  for (let i = 0; i < N; i++) {
    const u = X[i]! + Math.fround(shift[i % C]!);
    const s = u >= 0 ? 1 : -1;
    assert.equal(y[i], Math.fround(A * s), `y[${i}]`);
    const pass = u >= -A && u <= A ? 1 : 0;
    assert.equal(dX[i], pass ? G[i] : 0, `dX[${i}]`);
    dB[i % C] += G[i]! * pass;
    dA += s * G[i]!;
  }
  assert.ok(Math.abs(params.dScale![0]! - dA / Math.sqrt(N)) < 1e-6);
  dB.forEach((v, c) => assert.ok(Math.abs(params.dShift![c]! - v) < 1e-6, `dB[${c}]`));
});

test('1-bit unsigned: a·clip(round(u/a),0,1); pass 1{0 <= u <= a}; dA per the doc', () => {
  const { q, params } = make(1, 'unsigned', A, null);
  const y = new Float32Array(N);
  q.forward(y, X, R, C, true);
  const dX = new Float32Array(N);
  q.backward(dX, G, X, R, C);
  let dA = 0;
  for (let i = 0; i < N; i++) {
    const x = X[i]!;
    const v = x / A;
    assert.equal(y[i], Math.fround(A * Math.min(1, Math.max(0, roundHE(v)))), `y[${i}]`);
    const inside = x >= 0 && x <= A;
    assert.equal(dX[i], inside ? G[i] : 0, `dX[${i}]`);
    dA += ((x > A ? 1 : 0) + (inside ? roundHE(v) - v : 0)) * G[i]!;
  }
  assert.ok(Math.abs(params.dScale![0]! - dA / Math.sqrt(N)) < 1e-6);
});

test('LSQ 2-bit signed and unsigned (min offset): levels, pass, dA with 1/sqrt(N·Qp)', () => {
  for (const set of ['signed', 'unsigned'] as const) {
    const { q, params } = make(2, set, A, null);
    const y = new Float32Array(N);
    q.forward(y, X, R, C, true);
    const dX = new Float32Array(N);
    q.backward(dX, G, X, R, C);
    const [qn, qp] = set === 'signed' ? [-2, 1] : [0, 3];
    const off = set === 'unsigned' ? Math.min(...X) : 0;
    let dA = 0;
    for (let i = 0; i < N; i++) {
      const v = (X[i]! - off) / A;
      assert.ok(Math.abs(y[i]! - (A * Math.min(qp, Math.max(qn, roundHE(v))) + off)) < 1e-6, `${set} y[${i}]`);
      const inside = v >= qn && v <= qp;
      assert.equal(dX[i], inside ? G[i] : 0, `${set} dX[${i}]`);
      dA += (v < qn ? qn : v > qp ? qp : roundHE(v) - v) * G[i]!;
    }
    assert.ok(Math.abs(params.dScale![0]! - dA / Math.sqrt(N * qp)) < 1e-5, `${set} dA`);
  }
});

test('scale init on first training use; evaluation uses but never stores it', () => {
  const ev = make(1, 'signed', 0, null);
  ev.q.forward(new Float32Array(N), X, R, C, false);
  assert.equal(ev.params.scale[0], 0);
  const tr = make(1, 'signed', 0, null);
  const y = new Float32Array(N);
  tr.q.forward(y, X, R, C, true);
  let s = 0;
  for (const v of X) s += Math.abs(v);
  assert.ok(Math.abs(tr.params.scale[0]! - (2 * s) / N) < 1e-6);
  assert.equal(Math.abs(y[1]!), tr.params.scale[0]);
  // an initialised scale is kept (stage init)
  const kept = make(1, 'signed', 0.3, null);
  kept.q.forward(y, X, R, C, true);
  assert.equal(kept.params.scale[0], Math.fround(0.3));
});

test('frozen scale gets no gradient; a shift longer than C uses its first C entries', () => {
  const { q, params } = make(1, 'signed', A, null, { elastic: false }, true);
  q.forward(new Float32Array(N), X, R, C, true);
  q.backward(new Float32Array(N), G, X, R, C);
  assert.equal(params.dScale, null);
  const long = make(1, 'unsigned', A, [0, 0, 0, 0, 0, 0, 9, 9]);
  const y = new Float32Array(N);
  long.q.forward(y, X, R, C, true);
  long.q.backward(new Float32Array(N), G, X, R, C);
  assert.deepEqual(Array.from(long.params.dShift!.subarray(6)), [0, 0]);
});
