/**
 * Feed-forward block of one encoder layer: out = LayerNorm(dropout(Lin_2(act(Lin_1(x)))) + x), x = attnOut.
 * act is config.hiddenAct (GELU) for a full-precision model and options.ffnActivation (ReLU) when the plan quantizes
 * (§2: FFN-2's input is then non-negative and gets the unsigned set). Lin_1 = `intermediate.dense`,
 * Lin_2 = `output.dense`, both quantized per the plan.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { LayerActs, Scratch } from './activations.js';
import { applyMask, dropoutMask, type DropoutCtx } from './dropout.js';
import { QuantLinear, type ParamStore } from './linear.js';
import type { BertConfig, QuantPlan } from './types.js';

export class FeedForward {
  readonly intermediate: QuantLinear;
  readonly output: QuantLinear;
  private readonly gamma: Float32Array;
  private readonly beta: Float32Array;
  private readonly dGamma: Float32Array;
  private readonly dBeta: Float32Array;
  private dropped = false;

  constructor(store: ParamStore, private readonly k: Kernels, private readonly config: BertConfig, plan: QuantPlan | null, layer: number,
    readonly activation: 'gelu' | 'relu') {
    const p = `bert.encoder.layer.${layer}`;
    this.intermediate = new QuantLinear(store, k, plan, `${p}.intermediate.dense`, config.hidden, config.intermediate);
    this.output = new QuantLinear(store, k, plan, `${p}.output.dense`, config.intermediate, config.hidden);
    this.gamma = store.param(`${p}.output.LayerNorm.weight`);
    this.beta = store.param(`${p}.output.LayerNorm.bias`);
    this.dGamma = store.grad(`${p}.output.LayerNorm.weight`);
    this.dBeta = store.grad(`${p}.output.LayerNorm.bias`);
  }

  prepare(): void {
    this.intermediate.prepare();
    this.output.prepare();
  }

  /** a.attnOut [B,T,C] -> a.out [B,T,C] */
  forward(a: LayerActs, s: Scratch, R: number, training: boolean, drop: DropoutCtx | null): void {
    const k = this.k;
    const { hidden: C, intermediate: F } = this.config;
    this.intermediate.forward(a.h, a.attnOut, s.xq, R, training);
    if (this.activation === 'gelu') k.geluForward(a.act, a.h, R * F);
    else k.reluForward(a.act, a.h, R * F);
    this.output.forward(a.sum2, a.act, s.xq, R, training);
    this.dropped = drop !== null && a.ffnMask !== null;
    if (this.dropped) {
      dropoutMask(a.ffnMask!, R * C, this.config.hiddenDropout, drop!.rng);
      applyMask(a.sum2, a.sum2, a.ffnMask!, R * C);
    }
    k.add(a.sum2, a.sum2, a.attnOut, R * C);
    k.layerNormForward(a.out, a.ln2Mean, a.ln2Rstd, a.sum2, this.gamma, this.beta, R, C, this.config.layerNormEps);
  }

  /** dOut[R,C]: gradient of the layer output. dAttnOut[R,C] += gradient of attnOut. */
  backward(a: LayerActs, s: Scratch, dOut: Float32Array, dAttnOut: Float32Array, R: number): void {
    const k = this.k;
    const { hidden: C, intermediate: F } = this.config;
    // LayerNorm
    const dSum = s.dSum;
    dSum.fill(0, 0, R * C);
    k.layerNormBackward(dSum, this.dGamma, this.dBeta, dOut, a.sum2, a.ln2Mean, a.ln2Rstd, this.gamma, R, C);
    // residual
    k.add(dAttnOut, dAttnOut, dSum, R * C);
    // dropout
    if (this.dropped) applyMask(dSum, dSum, a.ffnMask!, R * C);
    // output.dense
    const dAct = s.dF1;
    dAct.fill(0, 0, R * F);
    this.output.backward(dAct, dSum, a.act, s.xq, s.dXq, R);
    // activation
    const dH = s.dF2;
    dH.fill(0, 0, R * F);
    if (this.activation === 'gelu') k.geluBackward(dH, dAct, a.h, R * F);
    else k.reluBackward(dH, dAct, a.h, R * F);
    // intermediate.dense
    this.intermediate.backward(dAttnOut, dH, a.attnOut, s.xq, s.dXq, R);
  }
}
