/**
 * Self-attention of one encoder layer in the packed engine (the inference twin of runtime/model/self-attention.ts):
 *
 *   q, k, v = Lin_q(x), Lin_k(x), Lin_v(x)                       engine-linear.ts (binary GEMMs when W1A1)
 *   scores  = Q_q(q)_h · Q_k(k)_h^T / sqrt(HS) + maskBias         binaryGemmSS on sign bits packed per head
 *   probs   = softmax(scores)                                      FP (the algorithm keeps softmax FP)
 *   ctx     = merge(Q_p(probs) · Q_v(v)_h)                        binaryGemmUS: {0,1} probs x {-1,+1} V^T per head
 *
 * Scores: q is packed as R*NH rows of HS bits (the row-major [B,T,NH,HS] layout is exactly that), then the packed
 * rows are permuted to [B,NH,T] so that each head's Q and K are contiguous for one binary GEMM per (batch, head).
 * When the projections are binary Linears and HS is a multiple of 64, their GEMMs emit those bits directly
 * (linearForwardBits): the float Q and K are never written.
 * The 1/sqrt(HS) scale (folded into the GEMM when it is a power of two) and the mask are applied as the trainer does
 * (scale, addBias), so that the float32 scores, and therefore the probabilities, are the trainer's to the bit.
 * P·V: V is packed along T per channel (packBitsTransposed: V^T per head, [B,NH,HS] rows of T bits, the reduction
 * axis of P·V); when V's Linear is binary its GEMM packs V along C instead and transposeBits turns those bits around
 * (the float V is never written). P is packed along its key axis with the probability quantizer's threshold, by the kernel that
 * computes the scores, mask and softmax (attentionProbsBits) when 1/sqrt(HS) folds into the scale. When the output
 * Linear is binary and heads are whole words, P·V emits that Linear's input bits (the float ctx is never written).
 * Either half falls back to the trainer's FP formulation (actQuantForward, splitHeads, batched FP GEMM) when its
 * quantizers are not both 1 bit.
 * A shift on projected Q/K/V (options.attentionShifts) enters the packing comparison (u + shift >= 0 in double, or a
 * float32 sum compared with 0 on the unfused Q/K path): either keeps the sign of the exact sum, so the bits are the
 * quantizer's.
 */
import { packedLength, type Kernels } from '../kernels/kernels.js';
import { binaryLinearBits, binaryLinearFromBits, inputPackTarget, isBinaryLinear, isOneBit, linearForward, linearForwardBits, packThreshold, quantizeFloat, shiftFor, tieValue, type LinearScratch } from './engine-linear.js';
import type { PackedActQuant, PackedLayer, PackedLinear } from './packed-model.js';

/** Buffers of one attention call; sizes for capacity (B, T): R = B*T, BNH = B*NH. */
export interface AttentionBuffers {
  q: Float32Array; // [R,C]
  k: Float32Array; // [R,C]
  v: Float32Array; // [R,C]
  tmp: Float32Array; // [R,C] shifted / quantized projection
  qBits: Uint32Array; // packedLength(R*NH, HS), [B,NH,T] row order
  kBits: Uint32Array; // packedLength(R*NH, HS)
  rowBits: Uint32Array; // packedLength(R*NH, HS), [B,T,NH] row order before the permutation
  qh: Float32Array; // [B,NH,T,HS] (FP path)
  kh: Float32Array; // [B,NH,T,HS] (FP path)
  vh: Float32Array; // [B,NH,T,HS] (FP path)
  vBits: Uint32Array; // packedLength(BNH*HS, T)
  scores: Float32Array; // [B,NH,T,T]
  probs: Float32Array; // [B,NH,T,T]
  probsQ: Float32Array; // [B,NH,T,T] (FP path)
  pBits: Uint32Array; // packedLength(BNH*T, T)
  ctxh: Float32Array; // [B,NH,T,HS]
  ctx: Float32Array; // [R,C] output
  ctxBits: Uint32Array; // packedLength(R, C): the output packed for the next Linear (attentionForward's ctxLinear)
}

export interface AttentionDims {
  B: number;
  T: number;
  NH: number;
  HS: number;
}

function isSigned1(q: PackedActQuant | null): q is PackedActQuant {
  return isOneBit(q) && q.signed;
}

/** Packed rows in [B,T,NH] order (rowBits) -> [B,NH,T] order (out): a copy of whole words, each head's HS bits. */
function permuteHeads(out: Uint32Array, rowBits: Uint32Array, d: AttentionDims): void {
  const { B, T, NH, HS } = d;
  const w = 2 * Math.ceil(HS / 64); // Uint32 per packed row
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const from = ((b * T + t) * NH + h) * w;
        const to = ((b * NH + h) * T + t) * w;
        for (let i = 0; i < w; i++) out[to + i] = rowBits[from + i]!;
      }
    }
  }
}

/** permuteHeads' inverse: packed rows in [B,NH,T] order (headBits) -> [B,T,NH] order (out), whole words per head. */
function mergeHeadBits(out: Uint32Array, headBits: Uint32Array, d: AttentionDims): void {
  const { B, T, NH, HS } = d;
  const w = 2 * Math.ceil(HS / 64);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const from = ((b * NH + h) * T + t) * w;
        const to = ((b * T + t) * NH + h) * w;
        for (let i = 0; i < w; i++) out[to + i] = headBits[from + i]!;
      }
    }
  }
}

/** Pack a [B,T,NH*HS] projection into sign bits per head, rows in [B,NH,T] order. */
function packHeads(k: Kernels, out: Uint32Array, rowBits: Uint32Array, y: Float32Array, tmp: Float32Array, q: PackedActQuant, d: AttentionDims, lin: LinearScratch): void {
  const { B, T, NH, HS } = d;
  const C = NH * HS;
  let src = y;
  const shift = shiftFor(q, C);
  lin.ties?.scan(y, shift, 0, B * T, C, (r) => r);
  if (shift !== null) {
    k.addBias(tmp, y, shift, B * T, C);
    src = tmp;
  }
  k.packBits(rowBits, src, null, 0, B * T * NH, HS);
  permuteHeads(out, rowBits, d);
}

/**
 * Q or K straight to sign bits per head: the projection's GEMM packs its own output with the quantizer's shift
 * (binaryLinearBits), no float projection is written. A row of C = NH*HS bits is the NH heads' rows side by side
 * when HS is a multiple of 64 (each head whole words), so the packed rows are [B,T,NH] order as packBits makes them.
 * inBits: the layer input already packed for this Linear (by the LayerNorm before), or null to pack x here.
 */
function projectHeadBits(k: Kernels, out: Uint32Array, rowBits: Uint32Array, x: Float32Array, inBits: Uint32Array | null, lin: PackedLayer['query'], q: PackedActQuant, d: AttentionDims, s: LinearScratch): void {
  const shift = shiftFor(q, d.NH * d.HS);
  if (inBits === null) linearForwardBits(k, rowBits, x, lin, d.B * d.T, s, shift, 0);
  else binaryLinearBits(k, rowBits, inBits, lin, d.B * d.T, shift, 0);
  permuteHeads(out, rowBits, d);
}

/** The trainer's projection: yh = split(Q(y)). */
function splitFloat(k: Kernels, yh: Float32Array, y: Float32Array, tmp: Float32Array, q: PackedActQuant | null, d: AttentionDims): void {
  const C = d.NH * d.HS;
  let src = y;
  if (q !== null) {
    quantizeFloat(k, tmp, y, q, d.B * d.T, C);
    src = tmp;
  }
  k.splitHeads(yh, src, d.B, d.T, d.NH, d.HS);
}

/** The layer input packed for the Q, K and V Linears' quantizers (each its own shift), made by the LayerNorm before. */
export interface AttentionInputBits {
  q: Uint32Array;
  k: Uint32Array;
  v: Uint32Array;
}

/**
 * Whether a layer can take AttentionInputBits: its Q, K and V Linears are binary. (Not with tie counting either,
 * which scans the float inputs as they are packed: the engine checks that.)
 */
export function takesInputBits(layer: PackedLayer): boolean {
  return isBinaryLinear(layer.query) && isBinaryLinear(layer.key) && isBinaryLinear(layer.value);
}

/**
 * x[B,T,C] -> buf.ctx[B,T,C]; maskBias[B,T] (0 or -10000); inBits: x already packed (takesInputBits), or null.
 * ctxLinear: the binary Linear that takes ctx next (the attention output), or null. When it is given and the heads
 * are whole words, ctx is not written: its bits for that Linear's quantizer go to buf.ctxBits and the result is true.
 */
export function attentionForward(k: Kernels, layer: PackedLayer, buf: AttentionBuffers, lin: LinearScratch, x: Float32Array, maskBias: Float32Array, d: AttentionDims,
  inBits: AttentionInputBits | null = null, ctxLinear: PackedLinear | null = null): boolean {
  const { B, T, NH, HS } = d;
  const R = B * T;
  const C = NH * HS;
  const BNH = B * NH;
  const nAtt = BNH * T * T;
  const { qQuant, kQuant, vQuant, pQuant } = layer;
  const binaryScores = isSigned1(qQuant) && isSigned1(kQuant);
  // Q and K straight to bits when their Linears are binary, each head is whole 64-bit words and no tie is counted
  const qkBits = binaryScores && HS % 64 === 0 && lin.ties === null && isBinaryLinear(layer.query) && isBinaryLinear(layer.key);
  if (!qkBits) {
    if (inBits === null) {
      linearForward(k, buf.q, x, layer.query, R, lin);
      linearForward(k, buf.k, x, layer.key, R, lin);
    } else {
      binaryLinearFromBits(k, buf.q, inBits.q, layer.query, R);
      binaryLinearFromBits(k, buf.k, inBits.k, layer.key, R);
    }
  }
  // V straight to its packed transpose when P·V is binary and no tie is counted: the GEMM packs V's quantizer along
  // C (binaryLinearBits) and transposeBits turns each batch row's T x C bits into C x T, the same bits as packing
  // the float V along T (packBitsTransposed) without V's floats
  const binaryPV = isOneBit(pQuant) && isSigned1(vQuant);
  const vBitsDirect = binaryPV && inBits !== null && lin.ties === null && isBinaryLinear(layer.value);
  if (vBitsDirect) {
    const rows = buf.rowBits.subarray(0, packedLength(R, C));
    binaryLinearBits(k, rows, inBits.v, layer.value, R, shiftFor(vQuant, C), 0);
    k.transposeBits(buf.vBits, rows, B, T, C);
  } else if (inBits === null) linearForward(k, buf.v, x, layer.value, R, lin);
  else binaryLinearFromBits(k, buf.v, inBits.v, layer.value, R);

  // scores = Q_h · K_h^T (binary x binary when both quantizers are 1-bit signed)
  let probsPacked = false;
  if (binaryScores) {
    if (qkBits) {
      projectHeadBits(k, buf.qBits, buf.rowBits, x, inBits?.q ?? null, layer.query, qQuant, d, lin);
      projectHeadBits(k, buf.kBits, buf.rowBits, x, inBits?.k ?? null, layer.key, kQuant, d, lin);
    } else {
      packHeads(k, buf.qBits, buf.rowBits, buf.q, buf.tmp, qQuant, d, lin);
      packHeads(k, buf.kBits, buf.rowBits, buf.k, buf.tmp, kQuant, d, lin);
    }
    // One batched call over the B*NH heads (each head's Q and K rows are contiguous in [B,NH,T] order). When
    // 1/sqrt(HS) is a power of two (HS = 4, 16, 64, 256: BERT-base's 64) it is folded into the GEMM's scale: scaling
    // by a power of two commutes with rounding, so the float32 scores are the trainer's (outside subnormals).
    const inv = 1 / Math.sqrt(HS);
    const fold = Number.isInteger(Math.log2(inv));
    const scale = qQuant.scale * kQuant.scale * (fold ? inv : 1);
    if (fold && binaryPV && lin.ties === null) {
      // scores, + mask, softmax and P's quantizer in one kernel: only the probabilities' bits reach memory
      k.attentionProbsBits(buf.pBits, buf.qBits, buf.kBits, T, HS, T, scale, maskBias, NH, shiftFor(pQuant, T), packThreshold(pQuant), BNH);
      probsPacked = true;
    } else {
      k.binaryGemmSS(buf.scores, buf.qBits, buf.kBits, T, HS, T, scale, null, null, BNH);
      if (!fold) k.scale(buf.scores, buf.scores, inv, nAtt);
    }
  } else {
    splitFloat(k, buf.qh, buf.q, buf.tmp, qQuant, d);
    splitFloat(k, buf.kh, buf.k, buf.tmp, kQuant, d);
    k.gemmNT(buf.scores, buf.qh, buf.kh, T, HS, T, false, BNH);
    k.scale(buf.scores, buf.scores, 1 / Math.sqrt(HS), nAtt);
  }
  if (!probsPacked) {
    // + mask, softmax: the trainer's kernels in the trainer's order
    for (let b = 0; b < B; b++) {
      const sb = buf.scores.subarray(b * NH * T * T, (b + 1) * NH * T * T);
      k.addBias(sb, sb, maskBias.subarray(b * T, (b + 1) * T), NH * T, T);
    }
    k.softmaxForward(buf.probs, buf.scores, null, 1, BNH * T, T, 1);
  }

  // ctx = Q_p(P) · Q_v(V)_h (binary when both are 1 bit and V is signed)
  if (binaryPV) {
    if (!probsPacked) k.packBits(buf.pBits, buf.probs, shiftFor(pQuant, T), packThreshold(pQuant), BNH * T, T);
    lin.ties?.scan(buf.probs, shiftFor(pQuant, T), tieValue(pQuant), BNH * T, T, (r) => ((r / (NH * T)) | 0) * T + (r % T));
    lin.ties?.scan(buf.v, shiftFor(vQuant, C), 0, B * T, C, (r) => r);
    // V^T per head packed along T: row (b*NH + h)*HS + dd = b*C + c of the transposed packing, c = h*HS + dd
    if (!vBitsDirect) k.packBitsTransposed(buf.vBits, buf.v, shiftFor(vQuant, C), 0, B, T, C);
    const scale = pQuant.scale * vQuant.scale;
    if (ctxLinear !== null && HS % 64 === 0 && lin.ties === null) {
      // straight to the output Linear's input bits: head h's P·V packed with its own channels' shifts (row h of the
      // [NH, HS] shift), rows [B,NH,T] of whole words, then the words put back in [B,T,NH] order (ctx's layout)
      const t = inputPackTarget(ctxLinear, buf.ctxBits);
      if (pQuant.signed) k.binaryGemmSSBits(buf.rowBits, buf.pBits, buf.vBits, T, T, HS, scale, null, null, t.shift, t.threshold, BNH, NH);
      else k.binaryGemmUSBits(buf.rowBits, buf.pBits, buf.vBits, T, T, HS, scale, null, null, t.shift, t.threshold, BNH, NH);
      mergeHeadBits(buf.ctxBits, buf.rowBits, d);
      return true;
    }
    if (pQuant.signed) k.binaryGemmSS(buf.ctxh, buf.pBits, buf.vBits, T, T, HS, scale, null, null, BNH);
    else k.binaryGemmUS(buf.ctxh, buf.pBits, buf.vBits, T, T, HS, scale, null, null, BNH);
  } else {
    splitFloat(k, buf.vh, buf.v, buf.tmp, vQuant, d);
    let pq = buf.probs;
    if (pQuant !== null) {
      quantizeFloat(k, buf.probsQ, buf.probs, pQuant, BNH * T, T);
      pq = buf.probsQ;
    }
    k.gemmNN(buf.ctxh, pq, buf.vh, T, T, HS, false, BNH);
  }
  k.mergeHeads(buf.ctx, buf.ctxh, B, T, NH, HS);
  return false;
}
