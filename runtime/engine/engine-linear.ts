/**
 * The packed engine's Linear layer and quantizer helpers: the inference twin of runtime/model/linear.ts.
 *
 *   y[R,out] = Q(x + b)[R,in] · W_b[out,in]^T + bias[out]
 *
 * Binary path (1-bit weight AND 1-bit input, signed or unsigned set): the input is packed into sign bits by
 * packBits with the shift `b` and the quantizer's threshold fused (signed: u >= 0; unsigned {0, a}: u > a/2, passed as
 * the next float32 above a/2, see kernels.ts), then one binary GEMM: binaryGemmSS for a signed input,
 * binaryGemmUS for an unsigned one (FFN-2 after ReLU), scaled once per output by a * alpha, the bias added in the
 * GEMM's output stage. No float weight exists.
 *
 * Float path (everything else: W1A2/W1A4/W1A8 intermediate stages, layers a recipe keeps FP, 1-bit weights with an
 * FP input): the input goes through kernels.actQuantForward exactly as in training (same `a`, shift, and for
 * unsigned multi-bit the same tensor-minimum offset), then an FP GEMM (gemmNT) against the weight, dequantized once
 * from its bits (alpha * +-1, cached) when it is binarized. Multi-bit layers therefore run in FP on dequantized
 * values: the same numbers as the trainer, not a faster kernel.
 *
 * Equality with the trainer (BertModel.forward, training=false, same kernel set): the binary GEMM of +-1 products
 * scaled by a*alpha gives the same float32 as the trainer's FP GEMM over +-a and +-alpha as long as the sums are
 * exact in double (always for K <= 32; for larger K the trainer's double sum may round differently in the last bit
 * of a double, which survives the float32 store only in rare ties). Every FP op is the same kernel on the same inputs.
 */
import type { ActQuantSpec, Kernels, PackTarget } from '../kernels/kernels.js';
import { f32Bits, f32FromBits } from '../io/dtype.js';
import type { PackedActQuant, PackedLinear } from './packed-model.js';

/** Scratch a Linear needs, sized for the largest R * max(in, out) the engine was built for. */
export interface LinearScratch {
  /** packed input bits, at least packedLength(R, in) */
  bits: Uint32Array;
  /** quantized float input [R, in] (float path) */
  xq: Float32Array;
  /** Diagnostics (PackedEngineOptions.countTies): null, or a counter of inputs exactly on a 1-bit threshold. */
  ties: TieCounter | null;
  /** Token index (b*T + t) of an input row: the identity in the encoder, b*T for the pooler's rows. */
  tokenOf: (row: number) => number;
}

/**
 * Counts, per example, the 1-bit quantizer inputs u = x + b that sit exactly on the threshold (signed: u = 0;
 * unsigned: u = a/2). There the trainer's value, rounded differently (its P·V GEMM accumulates in float32), may fall
 * on either side: the only places where the engine and the trainer may disagree. `tokenOf(row)` maps a packed row
 * to its token index b*T + t, or -1 for rows no valid output depends on.
 */
export class TieCounter {
  readonly perExample: Int32Array;
  constructor(capB: number, private mask: Int32Array | null = null, private T = 1) {
    this.perExample = new Int32Array(capB);
  }
  reset(mask: Int32Array, B: number, T: number): void {
    this.mask = mask;
    this.T = T;
    this.perExample.fill(0, 0, B);
  }
  scan(x: Float32Array, shift: Float32Array | null, threshold: number, R: number, K: number, tokenOf: (row: number) => number): void {
    for (let r = 0; r < R; r++) {
      const tok = tokenOf(r);
      if (tok < 0 || (this.mask !== null && !this.mask[tok])) continue;
      let n = 0;
      for (let c = 0; c < K; c++) if ((shift === null ? x[r * K + c]! : x[r * K + c]! + shift[c]!) === threshold) n++;
      if (n > 0) this.perExample[(tok / this.T) | 0] += n;
    }
  }
}

/** The exact tie value of a 1-bit quantizer: 0 (signed) or a/2 (unsigned). */
export function tieValue(q: PackedActQuant): number {
  return q.signed ? 0 : q.scale / 2;
}

/** The packBits threshold of a 1-bit quantizer: 0 for {-a, +a}; for {0, a} the next float32 above a/2. */
export function packThreshold(q: PackedActQuant): number {
  if (q.signed) return 0;
  const half = Math.fround(q.scale / 2);
  return f32FromBits(f32Bits(half) + 1);
}

/** Whether a quantizer yields 1-bit values a binary GEMM can take (signed or unsigned set). */
export function isOneBit(q: PackedActQuant | null): q is PackedActQuant {
  return q !== null && q.bits === 1;
}

/** Whether a Linear runs on the binary path. */
export function isBinaryLinear(lin: PackedLinear): boolean {
  return lin.weight.kind === 'binary' && isOneBit(lin.input);
}

/**
 * FFN-2 of a ReLU student packs relu(y) with an unsigned 1-bit quantizer: bit = max(y, 0) + b >= t. Per channel that
 * is y + b >= t where b < t (a negative y gives y + b < b < t, as relu's 0 + b < t does) and always 1 where b >= t
 * (relu(y) + b >= b >= t). So packing the pre-ReLU y with the shift b' = (b < t ? b : +Infinity) gives the same bits
 * for every finite y, and the ReLU pass over the [R, F] activations is skipped. Returns that Linear, or null when the
 * layer is not a binary Linear with a 1-bit unsigned input.
 */
export function reluFoldedLinear(lin: PackedLinear): PackedLinear | null {
  const q = lin.input;
  if (!isBinaryLinear(lin) || q === null || q.signed) return null;
  const t = packThreshold(q);
  const shift = new Float32Array(lin.inF);
  for (let c = 0; c < lin.inF; c++) {
    const b = q.shift === null ? 0 : q.shift[c]!;
    shift[c] = b < t ? b : Infinity;
  }
  return { ...lin, input: { ...q, shift } };
}

/** The shift b restricted to the first C channels (attention probabilities use the first T of maxPositions). */
export function shiftFor(q: PackedActQuant, C: number): Float32Array | null {
  return q.shift === null ? null : q.shift.subarray(0, C);
}

/**
 * y[R,C] = Q(x[R,C] + b), exactly as ActivationQuantizer.forward at inference (runtime/quant/activation-quantizer.ts):
 * unsigned multi-bit subtracts the minimum of u = x + b over the whole tensor first (options.unsignedMinOffset).
 */
export function quantizeFloat(k: Kernels, y: Float32Array, x: Float32Array, q: PackedActQuant, R: number, C: number): void {
  const shift = shiftFor(q, C);
  let offset = 0;
  const n = R * C;
  if (q.minOffset && n > 0) {
    let u = x;
    if (shift !== null) {
      k.addBias(y, x, shift, R, C);
      u = y;
    }
    offset = k.min(u, n);
  }
  const spec: ActQuantSpec = { signed: q.signed, bits: q.bits, offset };
  k.actQuantForward(y, x, shift, q.scale, spec, R, C);
}

const dequantized = new WeakMap<PackedLinear, Float32Array>();

/** W_b as float32 [out, in] (alpha * +-1), computed once per layer; the float weight itself when not binarized. */
export function floatWeight(lin: PackedLinear): Float32Array {
  if (lin.weight.kind === 'float') return lin.weight.w;
  let w = dequantized.get(lin);
  if (w === undefined) {
    w = unpackSigns(lin.weight.bits, lin.outF, lin.inF, lin.weight.alpha);
    dequantized.set(lin, w);
  }
  return w;
}

/** rows x K values scale * (bit ? +1 : -1) from packed bits (kernels.ts layout). */
export function unpackSigns(bits: Uint32Array, rows: number, K: number, scale: number): Float32Array {
  const out = new Float32Array(rows * K);
  const u32PerRow = 2 * Math.ceil(K / 64);
  for (let r = 0; r < rows; r++) {
    const b = r * u32PerRow;
    for (let c = 0; c < K; c++) out[r * K + c] = (bits[b + (c >>> 5)]! >>> (c & 31)) & 1 ? scale : -scale;
  }
  return out;
}

/** Where a binary Linear's input bits come from when a fused kernel makes them: packBits's arguments for its quantizer. */
export function inputPackTarget(lin: PackedLinear, bits: Uint32Array): PackTarget {
  const q = lin.input;
  if (lin.weight.kind !== 'binary' || !isOneBit(q)) throw new Error('inputPackTarget: needs a binary Linear');
  return { bits, shift: shiftFor(q, lin.inF), threshold: packThreshold(q) };
}

/**
 * The bits the next 1-bit quantizer makes of a binary Linear's output, without the float output: bit = y + shift >=
 * threshold (packBits's comparison) for y = Q(x + b) · W_b^T + bias as linearForward computes it, the comparison
 * fused into the GEMM's output stage (binaryGemmSSBits/USBits). `inBits`: the Linear's input already packed by its
 * quantizer (inputPackTarget). out: packedLength(R, out).
 */
export function binaryLinearBits(k: Kernels, out: Uint32Array, inBits: Uint32Array, lin: PackedLinear, R: number, shift: Float32Array | null, threshold: number): void {
  const q = lin.input;
  if (lin.weight.kind !== 'binary' || !isOneBit(q)) throw new Error('binaryLinearBits: needs a binary Linear');
  const scale = q.scale * lin.weight.alpha;
  if (q.signed) k.binaryGemmSSBits(out, inBits, lin.weight.bits, R, lin.inF, lin.outF, scale, null, lin.bias, shift, threshold);
  else k.binaryGemmUSBits(out, inBits, lin.weight.bits, R, lin.inF, lin.outF, scale, null, lin.bias, shift, threshold);
}

/** binaryLinearBits from the float input x (packed here); not with tie counting, which needs the float output. */
export function linearForwardBits(k: Kernels, out: Uint32Array, x: Float32Array, lin: PackedLinear, R: number, s: LinearScratch, shift: Float32Array | null, threshold: number): void {
  if (s.ties !== null) throw new Error('linearForwardBits: tie counting needs the float output');
  const t = inputPackTarget(lin, s.bits);
  k.packBits(t.bits, x, t.shift, t.threshold, R, lin.inF);
  binaryLinearBits(k, out, t.bits, lin, R, shift, threshold);
}

/** y[R,out] = bits · W_b^T * (a * alpha) + bias for a binary Linear whose input is already packed (linearForwardBits). */
export function binaryLinearFromBits(k: Kernels, y: Float32Array, bits: Uint32Array, lin: PackedLinear, R: number): void {
  const q = lin.input;
  if (lin.weight.kind !== 'binary' || !isOneBit(q)) throw new Error('binaryLinearFromBits: needs a binary Linear');
  const scale = q.scale * lin.weight.alpha;
  // the bias fused into the GEMM's output (the same float32 bits as a separate addBias, one pass less)
  if (q.signed) k.binaryGemmSS(y, bits, lin.weight.bits, R, lin.inF, lin.outF, scale, null, lin.bias);
  else k.binaryGemmUS(y, bits, lin.weight.bits, R, lin.inF, lin.outF, scale, null, lin.bias);
}

/**
 * binaryLinearFromBits and residualLayerNorm of its output in one kernel (binaryGemmLayerNorm): y = LayerNorm(bits ·
 * W_b^T * (a * alpha) + bias + residual), then the packs of y; the Linear's float output never reaches memory.
 */
export function binaryLinearLayerNorm(k: Kernels, y: Float32Array, bits: Uint32Array, lin: PackedLinear, R: number, residual: Float32Array,
  ln: { gamma: Float32Array; beta: Float32Array }, eps: number, packs: readonly PackTarget[]): void {
  const q = lin.input;
  if (lin.weight.kind !== 'binary' || !isOneBit(q)) throw new Error('binaryLinearLayerNorm: needs a binary Linear');
  k.binaryGemmLayerNorm(y, !q.signed, bits, lin.weight.bits, R, lin.inF, lin.outF, q.scale * lin.weight.alpha, null, lin.bias, residual, ln.gamma, ln.beta, eps, packs);
}

/** y[R,out] = Q(x + b) · W_b^T + bias (binary or float path, see the file comment). x: [R,in]. */
export function linearForward(k: Kernels, y: Float32Array, x: Float32Array, lin: PackedLinear, R: number, s: LinearScratch): void {
  const { inF: K, outF: N } = lin;
  const q = lin.input;
  if (lin.weight.kind === 'binary' && isOneBit(q)) {
    k.packBits(s.bits, x, shiftFor(q, K), packThreshold(q), R, K);
    s.ties?.scan(x, shiftFor(q, K), tieValue(q), R, K, s.tokenOf);
    binaryLinearFromBits(k, y, s.bits, lin, R);
    return;
  }
  let inp = x;
  if (q !== null) {
    quantizeFloat(k, s.xq, x, q, R, K);
    inp = s.xq;
  }
  k.gemmNT(y, inp, floatWeight(lin), R, K, N, false);
  k.addBias(y, y, lin.bias, R, N);
}
