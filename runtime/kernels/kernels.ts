/**
 * The Kernels interface: every numeric loop the model, trainer and engine run goes through here, so that a faster
 * set (native N-API, WASM) can replace the plain TypeScript reference (`reference.ts`, the definition of truth)
 * without touching the model.
 *
 * Conventions (written once, here):
 * - Argument order: outputs, inputs, weights/parameters, then sizes and scalars.
 * - Buffers are Float32Array (activations, weights, gradients), Int32Array (token ids), Uint32Array (packed bits).
 *   Shapes are given in comments from one alphabet:
 *     B batch, T sequence length, C channels (hidden), NH heads, HS head size (C = NH * HS), F FFN width,
 *     V vocabulary, M/K/N generic GEMM sizes, R rows (any leading dimensions flattened).
 *   Every matrix is row-major and contiguous.
 * - Forward kernels OVERWRITE their outputs (except the GEMMs when `accumulate` is true).
 * - Backward kernels ACCUMULATE (+=) into every gradient buffer they are given, inputs' and parameters' alike;
 *   the caller zeroes gradients. This makes residual branches and shared tensors free of special cases.
 * - Gradients are named `dX` for the gradient of the loss with respect to `X`.
 * - No kernel allocates per call in its hot loop; kernels never keep references to their arguments.
 * - A kernel called with buffers too small for the sizes given throws a BitkitError (code BK7001), never reads or
 *   writes out of bounds.
 *
 * Packed bits (binary GEMMs):
 * - Rows are packed along K (the reduction axis) into 64-bit words, stored little-endian as pairs of Uint32
 *   (low half first), so a Uint32Array here has exactly the memory layout of a uint64 array in C.
 * - Bit i of word w of a row holds element k = 64 * w + i (i = 0 is the least significant bit of the low half).
 * - A row takes `wordsPerRow(K) = ceil(K / 64)` words, i.e. 2 * ceil(K / 64) Uint32; padding bits are 0.
 * - Signed set {-1, +1}: bit 1 means +1 (x >= threshold, so sign(0) = +1), bit 0 means -1.
 *   Unsigned set {0, 1}: bit 1 means 1.
 * - Signed x signed:   dot = K - 2 * popcount(a XOR b)      (padding bits are 0 in both, so they never count)
 *   Unsigned x signed: dot = 2 * popcount(p AND v) - popcount(p)
 */

/** Number of 64-bit words for one packed row of K elements. */
export function wordsPerRow(K: number): number {
  return Math.ceil(K / 64);
}

/** Number of Uint32 for R packed rows of K elements. */
export function packedLength(R: number, K: number): number {
  return R * 2 * wordsPerRow(K);
}

/** How an activation quantizer maps values; see runtime/quant/ for the formulas and sources. */
export interface ActQuantSpec {
  /** true: symmetric set ({-a, +a} at 1 bit, LSQ levels -2^(b-1)..2^(b-1)-1 above); false: {0, a} / 0..2^b-1. */
  signed: boolean;
  /** 1, 2, 4 or 8. */
  bits: number;
  /**
   * Constant subtracted before quantizing and added back after (the reference code's unsigned multi-bit path
   * subtracts the tensor minimum). 0 for none. It receives no gradient.
   */
  offset: number;
}

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count (for bias correction). */
  step: number;
  /** torch.optim.AdamW-style bias correction (true) or BertAdam-style none (false). */
  biasCorrection: boolean;
}

/** Bits that a fused kernel also writes for a following 1-bit quantizer: packBits(bits, y, shift, threshold, R, C) of its output y. */
export interface PackTarget {
  bits: Uint32Array;
  shift: Float32Array | null;
  threshold: number;
}

export interface Kernels {
  /** Human-readable name: 'reference', 'native (avx512)', 'wasm (simd128)', ... */
  readonly name: string;

  // ---------------------------------------------------------------- GEMM, three layouts, optionally batched
  // `batch` consecutive independent products; matrix i of each operand starts at i * (rows * cols).
  // accumulate=false: C = A·B; accumulate=true: C += A·B.

  /** C[M,N] (+)= A[M,K] · B[K,N] */
  gemmNN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch?: number): void;
  /** C[M,N] (+)= A[M,K] · B[N,K]^T   (a Linear layer's forward with a Hugging Face [out, in] weight) */
  gemmNT(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch?: number): void;
  /** C[M,N] (+)= A[K,M]^T · B[K,N]   (a weight gradient: dW[out,in] = dY[R,out]^T · X[R,in]) */
  gemmTN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch?: number): void;

  // ---------------------------------------------------------------- bit packing and binary GEMMs
  /**
   * Pack R rows of K values into bits: bit = 1 where x[r,k] + shift[k] >= threshold (shift may be null).
   * Signed set: threshold 0. Unsigned {0,1} set from an elastic quantizer: round-half-even(u/a) >= 1 means u > a/2
   * strictly, so pass the next float32 above a/2 as the threshold to agree with actQuantForward at the tie.
   * out: Uint32Array of packedLength(R, K).
   */
  packBits(out: Uint32Array, x: Float32Array, shift: Float32Array | null, threshold: number, R: number, K: number): void;
  /**
   * C[M,N] = scale * (K - 2 * popcount(A[m] XOR B[n])) * (colScale ? colScale[n] : 1) (+ bias[n]); A, B packed signed.
   * The product is rounded to float32 once, then the bias added as addBias does (so a fused bias gives the same bits
   * as a separate addBias). `batch` independent products: matrix i of C, A and B starts at i * (M*N),
   * i * packedLength(M, K) and i * packedLength(N, K); colScale and bias are shared (attention's heads in one call).
   */
  binaryGemmSS(C: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias?: Float32Array | null, batch?: number): void;
  /** C[M,N] = scale * (2 * popcount(P[m] AND V[n]) - popcount(P[m])) * (colScale ? colScale[n] : 1) (+ bias[n]); P unsigned, V signed; bias and batch as binaryGemmSS. */
  binaryGemmUS(C: Float32Array, P: Uint32Array, V: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias?: Float32Array | null, batch?: number): void;


  // ---------------------------------------------------------------- fused kernels of the packed engine
  /**
   * binaryGemmSS with its output packed instead of stored (the next 1-bit quantizer fused into the output stage):
   * bit n of out row m = 1 where C[m,n] + shift[n] >= threshold, with C[m,n] the float32 binaryGemmSS computes and the
   * comparison packBits makes (shift may be null). out: packedLength(M, N) per product; batch as binaryGemmSS.
   * shiftRows: shift holds that many rows of N and product i uses row i % shiftRows (attention's heads: P·V of head h
   * packed with its own channels' shifts); default 1.
   */
  binaryGemmSSBits(out: Uint32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null, shift: Float32Array | null, threshold: number, batch?: number, shiftRows?: number): void;
  /** binaryGemmUS with its output packed, as binaryGemmSSBits. */
  binaryGemmUSBits(out: Uint32Array, P: Uint32Array, V: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null, shift: Float32Array | null, threshold: number, batch?: number, shiftRows?: number): void;
  /**
   * Pack x[B,T,C] along its middle axis: out row b*C + c holds the T bits of x[b,t,c] + shift[c] >= threshold
   * (packBits's comparison; shift may be null). out: packedLength(B*C, T). Attention's V^T per head, packed along
   * the key axis, without materializing the transpose.
   */
  packBitsTransposed(out: Uint32Array, x: Float32Array, shift: Float32Array | null, threshold: number, B: number, T: number, C: number): void;
  /**
   * The bit-matrix transpose of each of B blocks: x holds B*T packed rows of C bits (packedLength(B*T, C)); out row
   * b*C + c holds bit c of x rows b*T .. b*T+T-1 as its T bits (packedLength(B*C, T), padding bits 0). After
   * binaryGemmSSBits this is packBitsTransposed of the GEMM's output, without its floats (attention's V^T per head).
   * out and x must not overlap.
   */
  transposeBits(out: Uint32Array, x: Uint32Array, B: number, T: number, C: number): void;
  /**
   * Attention probabilities straight to bits, per product i of `batch` (attention: B*NH heads): S = binaryGemmSS(Q_i,
   * K_i, scale) as float32, + maskBias row (i / productsPerMask) added as addBias adds (maskBias may be null), softmax
   * per row as softmaxForward(scale 1, no mask) computes it, then packed: bit = p + shift[j] >= threshold (packBits).
   * Q: packedLength(M, K), K: packedLength(N, K), out: packedLength(M, N) per product; maskBias [ceil(batch /
   * productsPerMask), N]. Scores and probabilities never reach memory.
   */
  attentionProbsBits(out: Uint32Array, Q: Uint32Array, K: Uint32Array, M: number, Kd: number, N: number, scale: number, maskBias: Float32Array | null, productsPerMask: number, shift: Float32Array | null, threshold: number, batch: number): void;
  /**
   * The embedding sums of a model with a binarized word table: y[i,:] = ((bit ? s : -s) + position[positionIds[i],:],
   * rounded to float32) + type[typeIds[i],:], with bit the word row ids[i] of `bits` (packed rows of C bits) and s =
   * rowScale[ids[i]]: the trainer's binarized lookup and its two float32 adds. Ids are checked against each table.
   */
  embeddingSumBinary(y: Float32Array, ids: Int32Array, bits: Uint32Array, rowScale: Float32Array, positionIds: Int32Array, position: Float32Array, typeIds: Int32Array, type: Float32Array, n: number, C: number): void;
  /**
   * y[R,C] = LayerNorm(x + residual) (residual may be null: LayerNorm(x)): add, then layerNormForward (mean and rstd
   * not kept), in one pass; each of `packs` (at most 8) also receives packBits(bits, y, shift, threshold, R, C) of
   * the output, made while its row is still in cache (the next layers' 1-bit input quantizers).
   */
  residualLayerNorm(y: Float32Array, x: Float32Array, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array, R: number, C: number, eps: number, packs?: readonly PackTarget[]): void;
  /**
   * binaryGemmSS (unsignedA false) or binaryGemmUS (true), then residualLayerNorm of its output, in one kernel:
   * y = residualLayerNorm(C, residual, gamma, beta, eps, packs) with C[M,N] the float32 GEMM output (scale, colScale
   * and bias as there), which the native set keeps to a cache-sized block of rows per task; equal to the two calls of
   * the same set to the bit. The packed engine's attention-output and FFN-2 Linears with the LayerNorm after them.
   */
  binaryGemmLayerNorm(y: Float32Array, unsignedA: boolean, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null,
    bias: Float32Array | null, residual: Float32Array | null, gamma: Float32Array, beta: Float32Array, eps: number, packs?: readonly PackTarget[]): void;

  // ---------------------------------------------------------------- element-wise and normalisation
  /** y[R,C] = x[R,C] + bias[C] (y may alias x) */
  addBias(y: Float32Array, x: Float32Array, bias: Float32Array, R: number, C: number): void;
  /** dBias[C] += sum_r dY[r, c] */
  addBiasBackward(dBias: Float32Array, dY: Float32Array, R: number, C: number): void;
  /** y[n] = a[n] + b[n] (y may alias a or b) */
  add(y: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** y[n] = x[n] * s (y may alias x) */
  scale(y: Float32Array, x: Float32Array, s: number, n: number): void;

  /** y = max(x, 0) */
  reluForward(y: Float32Array, x: Float32Array, n: number): void;
  /** dX += dY * 1{x > 0} */
  reluBackward(dX: Float32Array, dY: Float32Array, x: Float32Array, n: number): void;
  /** y = x * Phi(x), the exact (erf) GELU that Hugging Face BERT calls "gelu". */
  geluForward(y: Float32Array, x: Float32Array, n: number): void;
  /** dX += dY * (Phi(x) + x * phi(x)) */
  geluBackward(dX: Float32Array, dY: Float32Array, x: Float32Array, n: number): void;
  /** y = tanh(x) */
  tanhForward(y: Float32Array, x: Float32Array, n: number): void;
  /** dX += dY * (1 - y^2), with y the forward output */
  tanhBackward(dX: Float32Array, dY: Float32Array, y: Float32Array, n: number): void;

  /**
   * Row-wise softmax with an additive mask: y[R,C] = softmax(x[r,:] * scale + maskBias[(r / rowsPerMask) | 0, :]).
   * maskBias may be null. Attention uses R = B*NH*T, C = T, rowsPerMask = NH*T, maskBias[B,T] holding 0 or -10000.
   */
  softmaxForward(y: Float32Array, x: Float32Array, maskBias: Float32Array | null, scale: number, R: number, C: number, rowsPerMask: number): void;
  /** dX += scale * y * (dY - sum_c dY*y)   (the mask is a constant) */
  softmaxBackward(dX: Float32Array, dY: Float32Array, y: Float32Array, scale: number, R: number, C: number): void;

  /** y[R,C] = (x - mean) * rstd * gamma + beta; writes mean[R] and rstd[R] for the backward. */
  layerNormForward(y: Float32Array, mean: Float32Array, rstd: Float32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array, R: number, C: number, eps: number): void;
  /** dX, dGamma, dBeta += the LayerNorm gradients */
  layerNormBackward(dX: Float32Array, dGamma: Float32Array, dBeta: Float32Array, dY: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, gamma: Float32Array, R: number, C: number): void;

  /** y[n,C] = table[ids[n], :] */
  embeddingForward(y: Float32Array, ids: Int32Array, table: Float32Array, n: number, C: number): void;
  /** dTable[ids[n], :] += dY[n, :] */
  embeddingBackward(dTable: Float32Array, dY: Float32Array, ids: Int32Array, n: number, C: number): void;

  /** [B,T,NH,HS] -> [B,NH,T,HS] */
  splitHeads(y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void;
  /** [B,NH,T,HS] -> [B,T,NH,HS]  (also the backward of splitHeads, and vice versa) */
  mergeHeads(y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void;

  // ---------------------------------------------------------------- reductions
  sum(x: Float32Array, n: number): number;
  sumAbs(x: Float32Array, n: number): number;
  sumSquares(x: Float32Array, n: number): number;
  min(x: Float32Array, n: number): number;

  // ---------------------------------------------------------------- quantizers (formulas: runtime/quant/)
  /**
   * Binarize a weight tensor: wb = alpha * sign(w - centre), alpha = mean|w|, centre = mean(w) if centred else 0,
   * sign(0) = +1. Returns alpha. Backward is the identity (straight-through): the caller adds dWb to dW.
   */
  binarizeWeight(wb: Float32Array, w: Float32Array, n: number, centred: boolean): number;
  /**
   * Binarize an embedding table per row: eb[r,:] = mean_j|e[r,j]| * sign(e[r,:] - centre), centre = global mean(e)
   * if centred else 0. Writes the per-row scales into rowScale[R].
   */
  binarizeRows(eb: Float32Array, rowScale: Float32Array, e: Float32Array, R: number, C: number, centred: boolean): void;

  /**
   * Activation quantizer forward: y[R,C] = Q(x[r,c] + shift[c]) with step/scale a (shift may be null).
   * 1-bit signed: a * sign(u); otherwise LSQ: a * clip(round((u - offset) / a), Qn, Qp) + offset.
   */
  actQuantForward(y: Float32Array, x: Float32Array, shift: Float32Array | null, a: number, spec: ActQuantSpec, R: number, C: number): void;
  /**
   * Activation quantizer backward: dX += g * pass(u); dShift[c] += sum_r g * pass(u) (if dShift);
   * returns dA, the gradient of `a` (already multiplied by its gradient scale 1/sqrt(N * Qp), N = R * C).
   */
  actQuantBackward(dX: Float32Array, dShift: Float32Array | null, dY: Float32Array, x: Float32Array, shift: Float32Array | null, a: number, spec: ActQuantSpec, R: number, C: number): number;

  // ---------------------------------------------------------------- optimiser
  /**
   * One AdamW step on n parameters, in place:
   * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p)
   * (decoupled weight decay, as torch.optim.AdamW; mhat, vhat bias-corrected when opts.biasCorrection).
   */
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, opts: AdamWOptions): void;
}
