/**
 * The reference kernel set: plain TypeScript loops, the definition of truth every faster set is tested against.
 * Contract and conventions: kernels.ts. GEMMs and the packed 1-bit path live in reference-gemm.ts, quantizers in
 * reference-quant.ts, scalar helpers (erf, roundHalfEven, popcount) in reference-math.ts; this file holds the
 * element-wise, normalisation, embedding, reduction and optimiser kernels and assembles the set.
 *
 * Numerics: sums and products in JS numbers (double), results stored to Float32Array. Rounding is half-to-even,
 * sign(0) = +1, everywhere.
 */
import { checkAdamWStep, checkDim, checkHeads, checkIds, checkLength, checkResidualLayerNorm, checkSoftmax } from './check.js';
import type { AdamWOptions, Kernels, PackTarget } from './kernels.js';
import { attentionProbsBitsVia, binaryGemmLayerNormVia, binaryGemmSS, binaryGemmSSBits, binaryGemmUS, binaryGemmUSBits, gemmNN, gemmNT, gemmTN, packBits, packBitsTransposed, transposeBits } from './reference-gemm.js';
import { normalCdf, normalPdf } from './reference-math.js';
import { actQuantBackward, actQuantForward, binarizeRows, binarizeWeight } from './reference-quant.js';

export { roundHalfEven, erf, erfc, popcount32 } from './reference-math.js';
export { quantRange } from './reference-quant.js';

// ------------------------------------------------------------------ element-wise

/** y[R,C] = x[R,C] + bias[C] (y may alias x) */
function addBias(y: Float32Array, x: Float32Array, bias: Float32Array, R: number, C: number): void {
  checkDim('addBias', 'R', R);
  checkDim('addBias', 'C', C);
  checkLength('addBias', 'y', y, R * C);
  checkLength('addBias', 'x', x, R * C);
  checkLength('addBias', 'bias', bias, C);
  for (let r = 0; r < R; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) y[row + c] = x[row + c]! + bias[c]!;
  }
}

/** dBias[C] += sum_r dY[r, c] */
function addBiasBackward(dBias: Float32Array, dY: Float32Array, R: number, C: number): void {
  checkDim('addBiasBackward', 'R', R);
  checkDim('addBiasBackward', 'C', C);
  checkLength('addBiasBackward', 'dBias', dBias, C);
  checkLength('addBiasBackward', 'dY', dY, R * C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += dY[r * C + c]!;
    dBias[c] += s;
  }
}

function checkUnary(kernel: string, out: string, y: Float32Array, inp: string, x: Float32Array, n: number): void {
  checkDim(kernel, 'n', n);
  checkLength(kernel, out, y, n);
  checkLength(kernel, inp, x, n);
}

/** y[n] = a[n] + b[n] (y may alias a or b) */
function add(y: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  checkUnary('add', 'y', y, 'a', a, n);
  checkLength('add', 'b', b, n);
  for (let i = 0; i < n; i++) y[i] = a[i]! + b[i]!;
}

/** y[n] = x[n] * s (y may alias x) */
function scale(y: Float32Array, x: Float32Array, s: number, n: number): void {
  checkUnary('scale', 'y', y, 'x', x, n);
  for (let i = 0; i < n; i++) y[i] = x[i]! * s;
}

/** y = max(x, 0) */
function reluForward(y: Float32Array, x: Float32Array, n: number): void {
  checkUnary('reluForward', 'y', y, 'x', x, n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v : 0;
  }
}

/** dX += dY * 1{x > 0} */
function reluBackward(dX: Float32Array, dY: Float32Array, x: Float32Array, n: number): void {
  checkUnary('reluBackward', 'dX', dX, 'dY', dY, n);
  checkLength('reluBackward', 'x', x, n);
  for (let i = 0; i < n; i++) if (x[i]! > 0) dX[i] += dY[i]!;
}

/** y = x * Phi(x), Phi the standard normal CDF through erfc (exact GELU). */
function geluForward(y: Float32Array, x: Float32Array, n: number): void {
  checkUnary('geluForward', 'y', y, 'x', x, n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    y[i] = v * normalCdf(v);
  }
}

/** dX += dY * (Phi(x) + x * phi(x)) */
function geluBackward(dX: Float32Array, dY: Float32Array, x: Float32Array, n: number): void {
  checkUnary('geluBackward', 'dX', dX, 'dY', dY, n);
  checkLength('geluBackward', 'x', x, n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    dX[i] += dY[i]! * (normalCdf(v) + v * normalPdf(v));
  }
}

/** y = tanh(x) */
function tanhForward(y: Float32Array, x: Float32Array, n: number): void {
  checkUnary('tanhForward', 'y', y, 'x', x, n);
  for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
}

/** dX += dY * (1 - y^2), y the forward output */
function tanhBackward(dX: Float32Array, dY: Float32Array, y: Float32Array, n: number): void {
  checkUnary('tanhBackward', 'dX', dX, 'dY', dY, n);
  checkLength('tanhBackward', 'y', y, n);
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    dX[i] += dY[i]! * (1 - t * t);
  }
}

// ------------------------------------------------------------------ softmax

/**
 * y[R,C] = softmax(x[r,:] * scale + maskBias[floor(r / rowsPerMask), :]) row by row (maskBias may be null).
 * The row maximum is subtracted before exp. y may alias x.
 */
function softmaxForward(y: Float32Array, x: Float32Array, maskBias: Float32Array | null, scale: number, R: number, C: number, rowsPerMask: number): void {
  const K = 'softmaxForward';
  checkSoftmax(K, y, x, maskBias, R, C, rowsPerMask);
  for (let r = 0; r < R; r++) {
    const row = r * C;
    const mRow = maskBias === null ? 0 : Math.floor(r / rowsPerMask) * C;
    // pass 1: row maximum of the logits
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const z = maskBias === null ? x[row + c]! * scale : x[row + c]! * scale + maskBias[mRow + c]!;
      if (z > max) max = z;
    }
    // pass 2: exponentials (logits recomputed in double; reading x[i] before writing y[i] keeps aliasing safe)
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const z = maskBias === null ? x[row + c]! * scale : x[row + c]! * scale + maskBias[mRow + c]!;
      const e = Math.exp(z - max);
      y[row + c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < C; c++) y[row + c] *= inv;
  }
}

/** dX[R,C] += scale * y * (dY - sum_c dY * y), row by row */
function softmaxBackward(dX: Float32Array, dY: Float32Array, y: Float32Array, scale: number, R: number, C: number): void {
  const K = 'softmaxBackward';
  checkDim(K, 'R', R);
  checkDim(K, 'C', C);
  checkLength(K, 'dX', dX, R * C);
  checkLength(K, 'dY', dY, R * C);
  checkLength(K, 'y', y, R * C);
  for (let r = 0; r < R; r++) {
    const row = r * C;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dY[row + c]! * y[row + c]!;
    for (let c = 0; c < C; c++) dX[row + c] += scale * y[row + c]! * (dY[row + c]! - dot);
  }
}

// ------------------------------------------------------------------ LayerNorm

/** y[R,C] = (x - mean) * rstd * gamma[C] + beta[C]; mean[R], rstd[R] = 1/sqrt(var + eps) (biased variance). */
function layerNormForward(y: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, gamma: Float32Array,
  beta: Float32Array, R: number, C: number, eps: number): void {
  const K = 'layerNormForward';
  checkDim(K, 'R', R);
  checkDim(K, 'C', C);
  checkLength(K, 'y', y, R * C);
  checkLength(K, 'mean', mean, R);
  checkLength(K, 'rstd', rstd, R);
  checkLength(K, 'x', x, R * C);
  checkLength(K, 'gamma', gamma, C);
  checkLength(K, 'beta', beta, C);
  if (C === 0) return;
  for (let r = 0; r < R; r++) {
    const row = r * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[row + c]!;
    const mu = s / C;
    let ss = 0;
    for (let c = 0; c < C; c++) {
      const d = x[row + c]! - mu;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[row + c] = (x[row + c]! - mu) * rs * gamma[c]! + beta[c]!;
    mean[r] = mu;
    rstd[r] = rs;
  }
}

/**
 * y = LayerNorm(x + residual): the add (rounded to float32; none when residual is null), then layerNormForward row by
 * row; then each pack's packBits of y (kernels.ts).
 */
function residualLayerNorm(y: Float32Array, x: Float32Array, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array,
  R: number, C: number, eps: number, packs: readonly PackTarget[] = []): void {
  checkResidualLayerNorm('residualLayerNorm', y, x, residual, gamma, beta, R, C, packs);
  const u = new Float32Array(C);
  const stat = new Float32Array(2);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) u[c] = residual === null ? x[r * C + c]! : x[r * C + c]! + residual[r * C + c]!;
    layerNormForward(y.subarray(r * C, (r + 1) * C), stat.subarray(0, 1), stat.subarray(1, 2), u, gamma, beta, 1, C, eps);
  }
  for (const p of packs) packBits(p.bits, y, p.shift, p.threshold, R, C);
}

/**
 * Backward of layerNormForward, with xhat = (x - mean) * rstd and dxhat = dY * gamma:
 * dBeta += dY; dGamma += dY * xhat; dX += rstd * (dxhat - mean_c(dxhat) - xhat * mean_c(dxhat * xhat)).
 */
function layerNormBackward(dX: Float32Array, dGamma: Float32Array, dBeta: Float32Array, dY: Float32Array, x: Float32Array,
  mean: Float32Array, rstd: Float32Array, gamma: Float32Array, R: number, C: number): void {
  const K = 'layerNormBackward';
  checkDim(K, 'R', R);
  checkDim(K, 'C', C);
  checkLength(K, 'dX', dX, R * C);
  checkLength(K, 'dGamma', dGamma, C);
  checkLength(K, 'dBeta', dBeta, C);
  checkLength(K, 'dY', dY, R * C);
  checkLength(K, 'x', x, R * C);
  checkLength(K, 'mean', mean, R);
  checkLength(K, 'rstd', rstd, R);
  checkLength(K, 'gamma', gamma, C);
  if (C === 0) return;
  for (let r = 0; r < R; r++) {
    const row = r * C;
    const mu = mean[r]!;
    const rs = rstd[r]!;
    let sumD = 0;
    let sumDX = 0;
    for (let c = 0; c < C; c++) {
      const g = dY[row + c]!;
      const xh = (x[row + c]! - mu) * rs;
      const dxh = g * gamma[c]!;
      sumD += dxh;
      sumDX += dxh * xh;
      dBeta[c] += g;
      dGamma[c] += g * xh;
    }
    const meanD = sumD / C;
    const meanDX = sumDX / C;
    for (let c = 0; c < C; c++) {
      const xh = (x[row + c]! - mu) * rs;
      dX[row + c] += rs * (dY[row + c]! * gamma[c]! - meanD - xh * meanDX);
    }
  }
}

// ------------------------------------------------------------------ embeddings and heads


/** y[n,C] = table[ids[n], :] */
function embeddingForward(y: Float32Array, ids: Int32Array, table: Float32Array, n: number, C: number): void {
  const K = 'embeddingForward';
  checkDim(K, 'n', n);
  checkDim(K, 'C', C);
  checkLength(K, 'y', y, n * C);
  checkLength(K, 'ids', ids, n);
  checkIds(K, ids, n, table.length, C);
  for (let i = 0; i < n; i++) {
    const src = ids[i]! * C;
    const dst = i * C;
    for (let c = 0; c < C; c++) y[dst + c] = table[src + c]!;
  }
}

/** dTable[ids[n], :] += dY[n, :] */
function embeddingBackward(dTable: Float32Array, dY: Float32Array, ids: Int32Array, n: number, C: number): void {
  const K = 'embeddingBackward';
  checkDim(K, 'n', n);
  checkDim(K, 'C', C);
  checkLength(K, 'dY', dY, n * C);
  checkLength(K, 'ids', ids, n);
  checkIds(K, ids, n, dTable.length, C);
  for (let i = 0; i < n; i++) {
    const dst = ids[i]! * C;
    const src = i * C;
    for (let c = 0; c < C; c++) dTable[dst + c] += dY[src + c]!;
  }
}


/** y[B,NH,T,HS] <- x[B,T,NH,HS] (y must not alias x) */
function splitHeads(y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void {
  checkHeads('splitHeads', y, x, B, T, NH, HS);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const src = ((b * T + t) * NH + h) * HS;
        const dst = ((b * NH + h) * T + t) * HS;
        for (let s = 0; s < HS; s++) y[dst + s] = x[src + s]!;
      }
    }
  }
}

/** y[B,T,NH,HS] <- x[B,NH,T,HS] (y must not alias x) */
function mergeHeads(y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void {
  checkHeads('mergeHeads', y, x, B, T, NH, HS);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const src = ((b * NH + h) * T + t) * HS;
        const dst = ((b * T + t) * NH + h) * HS;
        for (let s = 0; s < HS; s++) y[dst + s] = x[src + s]!;
      }
    }
  }
}

// ------------------------------------------------------------------ reductions (double accumulation)

function sum(x: Float32Array, n: number): number {
  checkDim('sum', 'n', n);
  checkLength('sum', 'x', x, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  return s;
}

function sumAbs(x: Float32Array, n: number): number {
  checkDim('sumAbs', 'n', n);
  checkLength('sumAbs', 'x', x, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(x[i]!);
  return s;
}

function sumSquares(x: Float32Array, n: number): number {
  checkDim('sumSquares', 'n', n);
  checkLength('sumSquares', 'x', x, n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    s += v * v;
  }
  return s;
}

/** Smallest element; +Infinity for n = 0; NaN if any element is NaN. */
function min(x: Float32Array, n: number): number {
  checkDim('min', 'n', n);
  checkLength('min', 'x', x, n);
  let m = Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v < m) m = v;
    else if (v !== v) return NaN;
  }
  return m;
}

// ------------------------------------------------------------------ optimiser

/**
 * One AdamW step in place on param[n] with grad[n] and moments m[n], v[n]:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m / (1 - b1^step), vhat = v / (1 - b2^step) when
 * biasCorrection (else mhat = m, vhat = v); p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p)  (decoupled decay).
 */
function adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, opts: AdamWOptions): void {
  const K = 'adamw';
  checkDim(K, 'n', n);
  checkLength(K, 'param', param, n);
  checkLength(K, 'grad', grad, n);
  checkLength(K, 'm', m, n);
  checkLength(K, 'v', v, n);
  const { lr, beta1, beta2, eps, weightDecay, step, biasCorrection } = opts;
  checkAdamWStep(K, step, biasCorrection);
  const bc1 = biasCorrection ? 1 - beta1 ** step : 1;
  const bc2 = biasCorrection ? 1 - beta2 ** step : 1;
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const p = param[i]!;
    param[i] = p - lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + weightDecay * p);
  }
}

function attentionProbsBits(out: Uint32Array, Q: Uint32Array, K: Uint32Array, M: number, Kd: number, N: number, scale: number, maskBias: Float32Array | null,
  productsPerMask: number, shift: Float32Array | null, threshold: number, batch: number): void {
  attentionProbsBitsVia((y, x, R, C) => softmaxForward(y, x, null, 1, R, C, 1), binaryGemmSS, packBits,
    out, Q, K, M, Kd, N, scale, maskBias, productsPerMask, shift, threshold, batch);
}

/** kernels.ts: sign bits x row scale + position, rounded to float32, + type (the trainer's order of adds). */
export function embeddingSumBinary(y: Float32Array, ids: Int32Array, bits: Uint32Array, rowScale: Float32Array, positionIds: Int32Array, position: Float32Array,
  typeIds: Int32Array, type: Float32Array, n: number, C: number): void {
  const K = 'embeddingSumBinary';
  checkDim(K, 'n', n);
  checkDim(K, 'C', C);
  checkLength(K, 'y', y, n * C);
  checkLength(K, 'ids', ids, n);
  checkLength(K, 'positionIds', positionIds, n);
  checkLength(K, 'typeIds', typeIds, n);
  const u32PerRow = 2 * Math.ceil(C / 64);
  // the word table's rows: as many as both the bits and the scales hold
  const V = Math.min(rowScale.length, u32PerRow > 0 ? Math.floor(bits.length / u32PerRow) : rowScale.length);
  checkIds(K, ids, n, V * C, C);
  checkIds(K, positionIds, n, position.length, C);
  checkIds(K, typeIds, n, type.length, C);
  for (let r = 0; r < n; r++) {
    const id = ids[r]!;
    const pOff = positionIds[r]! * C;
    const tOff = typeIds[r]! * C;
    const s = rowScale[id]!;
    const bRow = id * u32PerRow;
    for (let c = 0; c < C; c++) {
      const e = (bits[bRow + (c >>> 5)]! >>> (c & 31)) & 1 ? s : -s;
      y[r * C + c] = Math.fround(e + position[pOff + c]!) + type[tOff + c]!;
    }
  }
}

// ------------------------------------------------------------------ the set

/** A fresh reference kernel set (stateless; every call returns an equivalent object). */
export function createReferenceKernels(): Kernels {
  return {
    name: 'reference',
    gemmNN, gemmNT, gemmTN,
    packBits, binaryGemmSS, binaryGemmUS,
    binaryGemmSSBits, binaryGemmUSBits, packBitsTransposed, transposeBits, attentionProbsBits, residualLayerNorm,
    binaryGemmLayerNorm: (y, unsignedA, A, B, M, K, N, scale, colScale, bias, residual, gamma, beta, eps, packs = []) =>
      binaryGemmLayerNormVia({ binaryGemmSS, binaryGemmUS, residualLayerNorm }, y, unsignedA, A, B, M, K, N, scale, colScale, bias, residual, gamma, beta, eps, packs),
    addBias, addBiasBackward, add, scale,
    reluForward, reluBackward, geluForward, geluBackward, tanhForward, tanhBackward,
    softmaxForward, softmaxBackward,
    layerNormForward, layerNormBackward,
    embeddingForward, embeddingBackward, embeddingSumBinary, splitHeads, mergeHeads,
    sum, sumAbs, sumSquares, min,
    binarizeWeight, binarizeRows, actQuantForward, actQuantBackward,
    adamw,
  };
}

/** The shared reference kernel set. */
export const referenceKernels: Kernels = createReferenceKernels();
