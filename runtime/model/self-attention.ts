/**
 * Self-attention of one encoder layer (BiT §2: both attention matmuls binary x binary when quantized):
 *   q = Lin_q(x), k = Lin_k(x), v = Lin_v(x)              QuantLinear: quantized input, binarized weight
 *   qh = split(Q_q(q)), kh = split(Q_k(k)), vh = split(Q_v(v))   projected Q, K, V quantizers (signed)
 *   scores = qh · kh^T / sqrt(HS) + maskBias              (ForwardOutputs.attentionScores)
 *   probs = softmax(scores); pd = dropout(probs); pq = Q_p(pd)  (unsigned)
 *   ctx = merge(pq · vh)
 * The output dense, its dropout, residual and LayerNorm are attention-output.ts.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { ActivationQuantizer } from '../quant/activation-quantizer.js';
import type { LayerActs, Scratch } from './activations.js';
import { applyMask, dropoutMask, type DropoutCtx } from './dropout.js';
import { makeActQuantizer, QuantLinear, type ParamStore } from './linear.js';
import type { BertConfig, QuantPlan } from './types.js';

export class SelfAttention {
  readonly query: QuantLinear;
  readonly key: QuantLinear;
  readonly value: QuantLinear;
  readonly qQuant: ActivationQuantizer | null;
  readonly kQuant: ActivationQuantizer | null;
  readonly vQuant: ActivationQuantizer | null;
  readonly pQuant: ActivationQuantizer | null;
  private readonly C: number;
  private readonly NH: number;
  private readonly HS: number;
  // what the last forward used (views into the activations)
  private probsUsed: Float32Array | null = null; // pd: probs after dropout
  private probsQUsed: Float32Array | null = null; // pq
  private dropped = false;

  constructor(store: ParamStore, private readonly k: Kernels, private readonly config: BertConfig, plan: QuantPlan | null, readonly layer: number) {
    const p = `bert.encoder.layer.${layer}.attention.self`;
    const C = (this.C = config.hidden);
    this.NH = config.heads;
    this.HS = C / config.heads;
    this.query = new QuantLinear(store, k, plan, `${p}.query`, C, C);
    this.key = new QuantLinear(store, k, plan, `${p}.key`, C, C);
    this.value = new QuantLinear(store, k, plan, `${p}.value`, C, C);
    this.qQuant = makeActQuantizer(store, k, plan, `${p}.query_layer`);
    this.kQuant = makeActQuantizer(store, k, plan, `${p}.key_layer`);
    this.vQuant = makeActQuantizer(store, k, plan, `${p}.value_layer`);
    this.pQuant = makeActQuantizer(store, k, plan, `${p}.attention_probs`);
  }

  prepare(): void {
    this.query.prepare();
    this.key.prepare();
    this.value.prepare();
  }

  /** One projection: y = Lin(x), then yh = split(Q(y)). */
  private project(lin: QuantLinear, quant: ActivationQuantizer | null, y: Float32Array, yh: Float32Array, x: Float32Array, s: Scratch, B: number, T: number, training: boolean): void {
    const R = B * T;
    lin.forward(y, x, s.xq, R, training);
    let src = y;
    if (quant !== null) {
      quant.forward(s.qq, y, R, this.C, training);
      src = s.qq;
    }
    this.k.splitHeads(yh, src, B, T, this.NH, this.HS);
  }

  /** x[B,T,C] -> a.ctx[B,T,C]; maskBias[B,T]. */
  forward(a: LayerActs, s: Scratch, x: Float32Array, maskBias: Float32Array, B: number, T: number, training: boolean, drop: DropoutCtx | null): void {
    const k = this.k;
    const { NH, HS } = this;
    const BNH = B * NH;
    const nAtt = BNH * T * T;
    this.project(this.query, this.qQuant, a.q, a.qh, x, s, B, T, training);
    this.project(this.key, this.kQuant, a.k, a.kh, x, s, B, T, training);
    this.project(this.value, this.vQuant, a.v, a.vh, x, s, B, T, training);
    // scores = qh · kh^T / sqrt(HS) + maskBias
    k.gemmNT(a.scores, a.qh, a.kh, T, HS, T, false, BNH);
    k.scale(a.scores, a.scores, 1 / Math.sqrt(HS), nAtt);
    for (let b = 0; b < B; b++) {
      const sb = a.scores.subarray(b * NH * T * T, (b + 1) * NH * T * T);
      k.addBias(sb, sb, maskBias.subarray(b * T, (b + 1) * T), NH * T, T);
    }
    // softmax, dropout, quantize
    k.softmaxForward(a.probs, a.scores, null, 1, BNH * T, T, 1);
    this.dropped = drop !== null && a.probsMask !== null;
    let pd = a.probs;
    if (this.dropped) {
      dropoutMask(a.probsMask!, nAtt, this.config.attentionDropout, drop!.rng);
      applyMask(a.probsDrop, a.probs, a.probsMask!, nAtt);
      pd = a.probsDrop;
    }
    let pq = pd;
    if (this.pQuant !== null) {
      this.pQuant.forward(a.probsQ, pd, BNH * T, T, training);
      pq = a.probsQ;
    }
    this.probsUsed = pd;
    this.probsQUsed = pq;
    // ctx = merge(pq · vh)
    k.gemmNN(s.ctxh, pq, a.vh, T, T, HS, false, BNH);
    k.mergeHeads(a.ctx, s.ctxh, B, T, NH, HS);
  }

  /**
   * Reverse of forward. dCtx[B,T,C] (clobbered): gradient of ctx; dScores[B,NH,T,T] | null: upstream gradient of the
   * exposed scores; dX[B,T,C] += gradient of the layer input.
   */
  backward(a: LayerActs, s: Scratch, x: Float32Array, dCtx: Float32Array, dScores: Float32Array | null, dX: Float32Array, B: number, T: number): void {
    const k = this.k;
    const { NH, HS } = this;
    const BNH = B * NH;
    const nAtt = BNH * T * T;
    const pd = this.probsUsed!;
    const pq = this.probsQUsed!;
    // ctx = merge(pq · vh): dCtxh = split(dCtx); dPq = dCtxh · vh^T; dVh = pq^T · dCtxh
    const dCtxh = s.ctxh;
    k.splitHeads(dCtxh, dCtx, B, T, NH, HS);
    const dPq = s.dAtt1;
    k.gemmNT(dPq, dCtxh, a.vh, T, HS, T, false, BNH);
    k.gemmTN(s.dVh, pq, dCtxh, T, T, HS, false, BNH);
    // quantize probs
    let dPd = dPq;
    if (this.pQuant !== null) {
      dPd = s.dAtt2;
      dPd.fill(0, 0, nAtt);
      this.pQuant.backward(dPd, dPq, pd, BNH * T, T);
    }
    // dropout (in place: dPd becomes dProbs)
    if (this.dropped) applyMask(dPd, dPd, a.probsMask!, nAtt);
    // softmax: dS = (upstream dScores) + softmax'(dProbs); then the 1/sqrt(HS) scale (the mask is a constant)
    const dS = dPd === s.dAtt1 ? s.dAtt2 : s.dAtt1;
    if (dScores !== null) dS.set(dScores.subarray(0, nAtt));
    else dS.fill(0, 0, nAtt);
    k.softmaxBackward(dS, dPd, a.probs, 1, BNH * T, T);
    k.scale(dS, dS, 1 / Math.sqrt(HS), nAtt);
    // scores = qh · kh^T: dQh = dS · kh; dKh = dS^T · qh
    k.gemmNN(s.dQh, dS, a.kh, T, T, HS, false, BNH);
    k.gemmTN(s.dKh, dS, a.qh, T, T, HS, false, BNH);
    // projections, in reverse order v, k, q
    this.projectBackward(this.value, this.vQuant, a.v, s.dVh, x, dX, s, B, T);
    this.projectBackward(this.key, this.kQuant, a.k, s.dKh, x, dX, s, B, T);
    this.projectBackward(this.query, this.qQuant, a.q, s.dQh, x, dX, s, B, T);
  }

  /** Reverse of project(): merge heads, through the quantizer, through the Linear into dX. */
  private projectBackward(lin: QuantLinear, quant: ActivationQuantizer | null, y: Float32Array, dYh: Float32Array, x: Float32Array, dX: Float32Array, s: Scratch, B: number, T: number): void {
    const R = B * T;
    const dYq = s.qq;
    this.k.mergeHeads(dYq, dYh, B, T, this.NH, this.HS);
    let dY = dYq;
    if (quant !== null) {
      dY = s.dProj;
      dY.fill(0, 0, R * this.C);
      quant.backward(dY, dYq, y, R, this.C);
    }
    lin.backward(dX, dY, x, s.xq, s.dXq, R);
  }
}
