/**
 * Reference quantizers: weight binarization (per tensor, per row) and the elastic / LSQ activation quantizer with its
 * backward. Formulas and sources: ../shared/docs/bit-algorithm.md sections 1, 3 and 4 (BiT, Liu et al. 2022;
 * LSQ, Esser et al. 2020).
 *
 * Project-wide choices, identical in every kernel set:
 * - sign(0) = +1.
 * - round() is round-half-to-even (roundHalfEven, like torch.round of the reference code).
 */
import { checkDim, checkLength, checkOptional, checkQuant } from './check.js';
import type { ActQuantSpec } from './kernels.js';
import { roundHalfEven } from './reference-math.js';

/**
 * wb[n] = alpha * sign(w - centre), alpha = mean|w| (of the uncentred w), centre = mean(w) if centred else 0,
 * sign(0) = +1. Returns alpha (0 for n = 0). Backward: straight-through (dW += dWb, done by the caller).
 */
export function binarizeWeight(wb: Float32Array, w: Float32Array, n: number, centred: boolean): number {
  checkDim('binarizeWeight', 'n', n);
  checkLength('binarizeWeight', 'wb', wb, n);
  checkLength('binarizeWeight', 'w', w, n);
  if (n === 0) return 0;
  let s = 0;
  let sa = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    s += v;
    sa += Math.abs(v);
  }
  const centre = centred ? s / n : 0;
  const alpha = sa / n;
  for (let i = 0; i < n; i++) wb[i] = w[i]! - centre >= 0 ? alpha : -alpha;
  return alpha;
}

/**
 * eb[r,:] = rowScale[r] * sign(e[r,:] - centre), rowScale[r] = mean_j |e[r,j]| (uncentred), centre = mean(e) over
 * the whole table if centred else 0, sign(0) = +1. e, eb: [R,C]; rowScale: [R].
 */
export function binarizeRows(eb: Float32Array, rowScale: Float32Array, e: Float32Array, R: number, C: number, centred: boolean): void {
  checkDim('binarizeRows', 'R', R);
  checkDim('binarizeRows', 'C', C);
  checkLength('binarizeRows', 'eb', eb, R * C);
  checkLength('binarizeRows', 'rowScale', rowScale, R);
  checkLength('binarizeRows', 'e', e, R * C);
  const n = R * C;
  let centre = 0;
  if (centred && n > 0) {
    let s = 0;
    for (let i = 0; i < n; i++) s += e[i]!;
    centre = s / n;
  }
  for (let r = 0; r < R; r++) {
    const row = r * C;
    let sa = 0;
    for (let j = 0; j < C; j++) sa += Math.abs(e[row + j]!);
    const scale = C > 0 ? sa / C : 0;
    rowScale[r] = scale;
    for (let j = 0; j < C; j++) eb[row + j] = e[row + j]! - centre >= 0 ? scale : -scale;
  }
}

/** The integer clip range [Qn, Qp] of a quantizer spec (1-bit signed: [-1, 1], the sign quantizer's levels). */
export function quantRange(spec: ActQuantSpec): { qn: number; qp: number } {
  const b = spec.bits;
  if (spec.signed) return b === 1 ? { qn: -1, qp: 1 } : { qn: -(2 ** (b - 1)), qp: 2 ** (b - 1) - 1 };
  return { qn: 0, qp: 2 ** b - 1 };
}


/**
 * Forward, u = x[r,c] + shift[c] (shift[C] may be null); x, y: [R,C].
 * - 1-bit signed (BiT eq. 3): y = a * sign(u), sign(0) = +1. spec.offset is not used.
 * - otherwise (LSQ; 1-bit unsigned is the case Qn=0, Qp=1, i.e. BiT's a * clip(round(u/a), 0, 1)):
 *   v = (u - offset) / a, y = a * clip(round(v), Qn, Qp) + offset; signed Qn = -2^(b-1), Qp = 2^(b-1) - 1,
 *   unsigned Qn = 0, Qp = 2^b - 1; round = round-half-to-even.
 */
export function actQuantForward(y: Float32Array, x: Float32Array, shift: Float32Array | null, a: number, spec: ActQuantSpec, R: number, C: number): void {
  const K = 'actQuantForward';
  checkDim(K, 'R', R);
  checkDim(K, 'C', C);
  checkQuant(K, a, spec);
  checkLength(K, 'y', y, R * C);
  checkLength(K, 'x', x, R * C);
  checkOptional(K, 'shift', shift, C);
  if (spec.signed && spec.bits === 1) {
    for (let r = 0; r < R; r++) {
      const row = r * C;
      for (let c = 0; c < C; c++) {
        const u = shift === null ? x[row + c]! : x[row + c]! + shift[c]!;
        y[row + c] = u >= 0 ? a : -a;
      }
    }
    return;
  }
  const { qn, qp } = quantRange(spec);
  const off = spec.offset;
  for (let r = 0; r < R; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      const u = shift === null ? x[row + c]! : x[row + c]! + shift[c]!;
      let q = roundHalfEven((u - off) / a);
      if (q < qn) q = qn;
      else if (q > qp) q = qp;
      y[row + c] = a * q + off;
    }
  }
}

/**
 * Backward of actQuantForward (walks its steps in reverse), g = dY[r,c]:
 * - 1-bit signed: pass = 1{-a <= u <= a}; dA += sign(u) * g (sign(0) = +1); gradient scale 1/sqrt(N).
 * - otherwise, v = (u - offset) / a: pass = 1{Qn <= v <= Qp}; dA += g * (Qn if v < Qn, Qp if v > Qp,
 *   round(v) - v inside); gradient scale 1/sqrt(N * Qp) (LSQ).
 * Then dX[r,c] += g * pass and dShift[c] += g * pass (straight-through inside the clip range; the shift enters by
 * addition). N = R * C. Returns the scaled dA (0 for N = 0).
 */
export function actQuantBackward(dX: Float32Array, dShift: Float32Array | null, dY: Float32Array, x: Float32Array,
  shift: Float32Array | null, a: number, spec: ActQuantSpec, R: number, C: number): number {
  const K = 'actQuantBackward';
  checkDim(K, 'R', R);
  checkDim(K, 'C', C);
  checkQuant(K, a, spec);
  checkLength(K, 'dX', dX, R * C);
  checkOptional(K, 'dShift', dShift, C);
  checkLength(K, 'dY', dY, R * C);
  checkLength(K, 'x', x, R * C);
  checkOptional(K, 'shift', shift, C);
  const N = R * C;
  if (N === 0) return 0;
  let dA = 0;
  if (spec.signed && spec.bits === 1) {
    for (let r = 0; r < R; r++) {
      const row = r * C;
      for (let c = 0; c < C; c++) {
        const g = dY[row + c]!;
        const u = shift === null ? x[row + c]! : x[row + c]! + shift[c]!;
        dA += u >= 0 ? g : -g;
        if (u >= -a && u <= a) {
          dX[row + c] += g;
          if (dShift !== null) dShift[c] += g;
        }
      }
    }
    return dA / Math.sqrt(N);
  }
  const { qn, qp } = quantRange(spec);
  const off = spec.offset;
  for (let r = 0; r < R; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      const g = dY[row + c]!;
      const u = shift === null ? x[row + c]! : x[row + c]! + shift[c]!;
      const v = (u - off) / a;
      if (v < qn) dA += qn * g;
      else if (v > qp) dA += qp * g;
      else {
        dA += (roundHalfEven(v) - v) * g;
        dX[row + c] += g;
        if (dShift !== null) dShift[c] += g;
      }
    }
  }
  return dA / Math.sqrt(N * qp);
}
