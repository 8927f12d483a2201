/**
 * Argument checks shared by the kernel sets (sizes: BK7001; scalar arguments: BK7002). Every kernel validates its sizes and buffer lengths before touching memory,
 * so that a shape bug in the caller surfaces as a BitkitError (BK7001) naming the kernel and the buffer, never as a
 * silent out-of-bounds read (typed arrays return undefined -> NaN) or a dropped write.
 */
import { BitkitError } from '../errors.js';
import { type ActQuantSpec, packedLength, type PackTarget } from './kernels.js';

const HINT = 'the sizes passed to the kernel do not match its buffers: this is a shape bug in the caller ' +
  '(model, trainer or engine), not in the recipe';

/** Throws BK7001 unless `value` is a non-negative safe integer (a dimension). */
export function checkDim(kernel: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BitkitError('BK7001', `${kernel}: size ${name} is ${value}, needs a non-negative integer`, { hint: HINT });
  }
}

/** Throws BK7001 when `buf` holds fewer than `needed` elements. Larger buffers are fine (views into a slab). */
export function checkLength(kernel: string, name: string, buf: ArrayLike<number>, needed: number): void {
  if (buf.length < needed) {
    throw new BitkitError('BK7001', `${kernel}: ${name} has ${buf.length} elements, needs ${needed}`, { hint: HINT });
  }
}

/** checkLength for an optional buffer (null means "absent", nothing to check). */
export function checkOptional(kernel: string, name: string, buf: ArrayLike<number> | null, needed: number): void {
  if (buf !== null) checkLength(kernel, name, buf, needed);
}

/**
 * BK7002: a packing threshold of -Infinity. Every other number (NaN and +Infinity included) is accepted: packing
 * compares x + shift >= threshold, and the native kernels turn that into one float comparison per element, which
 * holds for every threshold but -Infinity (where x = +Inf with a shift of -Inf gives NaN).
 */
export function checkThreshold(kernel: string, threshold: number): void {
  if (threshold === -Infinity) {
    throw new BitkitError('BK7002', `${kernel}: threshold is -Infinity, needs a number above it`, {
      hint: 'a 1-bit quantizer\'s threshold is 0 (signed) or just above a/2 (unsigned); -Infinity would set every bit',
    });
  }
}

/** BK7002: the scalar arguments of actQuantForward/Backward (bit width, scale a, offset). */
export function checkQuant(kernel: string, a: number, spec: ActQuantSpec): void {
  const b = spec.bits;
  if (b !== 1 && b !== 2 && b !== 4 && b !== 8) {
    throw new BitkitError('BK7002', `${kernel}: spec.bits is ${b}, needs 1, 2, 4 or 8`, {
      hint: 'the quantizer spec was built with an unsupported bit width',
    });
  }
  if (!(a > 0) || !Number.isFinite(a)) {
    throw new BitkitError('BK7002', `${kernel}: scale a is ${a}, needs a finite value > 0`, {
      hint: 'the quantizer scale was not initialised or the optimiser drove it to zero, negative or NaN',
    });
  }
  if (!Number.isFinite(spec.offset)) {
    throw new BitkitError('BK7002', `${kernel}: spec.offset is ${spec.offset}, needs a finite value`, {
      hint: 'the offset (tensor minimum) of an unsigned multi-bit quantizer came from a tensor holding NaN or Inf',
    });
  }
}

/** BK7002: the step count AdamW's bias correction needs. */
export function checkAdamWStep(kernel: string, step: number, biasCorrection: boolean): void {
  if (biasCorrection && !(Number.isSafeInteger(step) && step >= 1)) {
    throw new BitkitError('BK7002', `${kernel}: step is ${step}, needs an integer >= 1 with bias correction`, {
      hint: 'the optimiser step count is 1-based',
    });
  }
}

/** The three GEMM layouts: C[M,N], A with M*K and B with K*N elements per batch matrix. */
export function checkGemm(kernel: string, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, batch: number): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', K);
  checkDim(kernel, 'N', N);
  checkDim(kernel, 'batch', batch);
  checkLength(kernel, 'C', C, batch * M * N);
  checkLength(kernel, 'A', A, batch * M * K);
  checkLength(kernel, 'B', B, batch * K * N);
}

/** Binary GEMMs: C[M,N] and packed rows of K bits for A[M] and B[N]. */
export function checkBinaryGemm(kernel: string, C: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number,
  colScale: Float32Array | null, aName: string, bName: string, bias: Float32Array | null = null, batch = 1): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', K);
  checkDim(kernel, 'N', N);
  checkDim(kernel, 'batch', batch);
  checkLength(kernel, 'C', C, batch * M * N);
  checkLength(kernel, aName, A, batch * packedLength(M, K));
  checkLength(kernel, bName, B, batch * packedLength(N, K));
  checkOptional(kernel, 'colScale', colScale, N);
  checkOptional(kernel, 'bias', bias, N);
}

/** Binary GEMMs with a packed output: out[M, N bits] per product, A[M] and B[N] of K bits, shift[N]. */
export function checkBinaryGemmBits(kernel: string, out: Uint32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number,
  colScale: Float32Array | null, bias: Float32Array | null, shift: Float32Array | null, aName: string, bName: string, batch: number, shiftRows = 1): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', K);
  checkDim(kernel, 'N', N);
  checkDim(kernel, 'batch', batch);
  checkDim(kernel, 'shiftRows', shiftRows);
  if (shiftRows < 1) throw new BitkitError('BK7001', `${kernel}: size shiftRows is 0, needs at least 1`, { hint: HINT });
  checkLength(kernel, 'out', out, batch * packedLength(M, N));
  checkLength(kernel, aName, A, batch * packedLength(M, K));
  checkLength(kernel, bName, B, batch * packedLength(N, K));
  checkOptional(kernel, 'colScale', colScale, N);
  checkOptional(kernel, 'bias', bias, N);
  checkOptional(kernel, 'shift', shift, shiftRows * N);
}

/** attentionProbsBits: out[M, N bits], Q[M] and K[N] of Kd bits per product, maskBias[ceil(batch / ppm), N], shift[N]. */
export function checkAttentionBits(kernel: string, out: Uint32Array, Q: Uint32Array, K: Uint32Array, M: number, Kd: number, N: number,
  maskBias: Float32Array | null, productsPerMask: number, shift: Float32Array | null, batch: number): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', Kd);
  checkDim(kernel, 'N', N);
  checkDim(kernel, 'productsPerMask', productsPerMask);
  checkDim(kernel, 'batch', batch);
  if (productsPerMask < 1) throw new BitkitError('BK7001', `${kernel}: size productsPerMask is 0, needs at least 1`, { hint: HINT });
  checkLength(kernel, 'out', out, batch * packedLength(M, N));
  checkLength(kernel, 'Q', Q, batch * packedLength(M, Kd));
  checkLength(kernel, 'K', K, batch * packedLength(N, Kd));
  checkOptional(kernel, 'maskBias', maskBias, Math.ceil(batch / productsPerMask) * N);
  checkOptional(kernel, 'shift', shift, N);
}

/** The packs of a fused kernel with output [R,C]: at most 8, bits packedLength(R, C), shift[C]. */
export function checkPacks(kernel: string, packs: readonly PackTarget[], R: number, C: number): void {
  if (packs.length > 8) throw new BitkitError('BK7001', `${kernel}: ${packs.length} packs, at most 8`, { hint: HINT });
  packs.forEach((p, i) => {
    checkLength(kernel, `packs[${i}].bits`, p.bits, packedLength(R, C));
    checkOptional(kernel, `packs[${i}].shift`, p.shift, C);
    checkThreshold(kernel, p.threshold);
  });
}

/** residualLayerNorm: y, x (and residual when given) [R,C]; gamma, beta [C]; the packs (checkPacks). */
export function checkResidualLayerNorm(kernel: string, y: Float32Array, x: Float32Array, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array,
  R: number, C: number, packs: readonly PackTarget[]): void {
  checkDim(kernel, 'R', R);
  checkDim(kernel, 'C', C);
  checkLength(kernel, 'y', y, R * C);
  checkLength(kernel, 'x', x, R * C);
  checkOptional(kernel, 'residual', residual, R * C);
  checkLength(kernel, 'gamma', gamma, C);
  checkLength(kernel, 'beta', beta, C);
  checkPacks(kernel, packs, R, C);
}

/** binaryGemmLayerNorm: residualLayerNorm's operands (checkResidualLayerNorm, y first) and the GEMM's (checkBinaryGemm). */
export function checkBinaryGemmLayerNorm(kernel: string, y: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, colScale: Float32Array | null,
  bias: Float32Array | null, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array, packs: readonly PackTarget[]): void {
  checkResidualLayerNorm(kernel, y, y, residual, gamma, beta, M, N, packs);
  checkBinaryGemm(kernel, y, A, B, M, K, N, colScale, 'A', 'B', bias);
}

/** packBitsTransposed: x[B,T,C], out rows B*C of T bits, shift[C]. */
export function checkPackTransposed(kernel: string, out: Uint32Array, x: Float32Array, shift: Float32Array | null, B: number, T: number, C: number): void {
  checkDim(kernel, 'B', B);
  checkDim(kernel, 'T', T);
  checkDim(kernel, 'C', C);
  checkLength(kernel, 'out', out, packedLength(B * C, T));
  checkLength(kernel, 'x', x, B * T * C);
  checkOptional(kernel, 'shift', shift, C);
}

/** transposeBits: x rows B*T of C bits, out rows B*C of T bits. */
export function checkTransposeBits(kernel: string, out: Uint32Array, x: Uint32Array, B: number, T: number, C: number): void {
  checkDim(kernel, 'B', B);
  checkDim(kernel, 'T', T);
  checkDim(kernel, 'C', C);
  checkLength(kernel, 'out', out, packedLength(B * C, T));
  checkLength(kernel, 'x', x, packedLength(B * T, C));
}

/** Validates ids[n] against a table of floor(table.length / C) rows, before anything is written. */
export function checkIds(kernel: string, ids: Int32Array, n: number, tableLength: number, C: number): void {
  const V = C > 0 ? Math.floor(tableLength / C) : Infinity;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) {
      throw new BitkitError('BK7001', `${kernel}: ids[${i}] is ${id}, outside the table of ${V} rows`, {
        hint: 'a token id is outside the vocabulary: the tokenizer and the model disagree on the vocabulary size',
      });
    }
  }
}

/** splitHeads/mergeHeads: both buffers hold B*T*NH*HS elements. */
export function checkHeads(kernel: string, y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void {
  checkDim(kernel, 'B', B);
  checkDim(kernel, 'T', T);
  checkDim(kernel, 'NH', NH);
  checkDim(kernel, 'HS', HS);
  checkLength(kernel, 'y', y, B * T * NH * HS);
  checkLength(kernel, 'x', x, B * T * NH * HS);
}

/** softmaxForward's buffers, and the mask's rows when there is one (rowsPerMask >= 1 rows share a mask row). */
export function checkSoftmax(kernel: string, y: Float32Array, x: Float32Array, maskBias: Float32Array | null, R: number, C: number, rowsPerMask: number): void {
  checkDim(kernel, 'R', R);
  checkDim(kernel, 'C', C);
  checkLength(kernel, 'y', y, R * C);
  checkLength(kernel, 'x', x, R * C);
  if (maskBias !== null) {
    checkDim(kernel, 'rowsPerMask', rowsPerMask);
    if (rowsPerMask < 1 && R > 0) {
      throw new BitkitError('BK7001', `${kernel}: rowsPerMask is ${rowsPerMask}, needs >= 1 with a mask`, {
        hint: 'attention passes rowsPerMask = NH * T',
      });
    }
    checkLength(kernel, 'maskBias', maskBias, R > 0 ? (Math.floor((R - 1) / rowsPerMask) + 1) * C : 0);
  }
}
