/**
 * Attention output of one encoder layer: attnOut = LayerNorm(dropout(Lin_o(ctx)) + x), with Lin_o the quantized
 * `attention.output.dense` (quantized input, binarized weight) and a full-precision residual and LayerNorm.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { LayerActs, Scratch } from './activations.js';
import { applyMask, dropoutMask, type DropoutCtx } from './dropout.js';
import { QuantLinear, type ParamStore } from './linear.js';
import type { BertConfig, QuantPlan } from './types.js';

export class AttentionOutput {
  readonly dense: QuantLinear;
  private readonly gamma: Float32Array;
  private readonly beta: Float32Array;
  private readonly dGamma: Float32Array;
  private readonly dBeta: Float32Array;
  private dropped = false;

  constructor(store: ParamStore, private readonly k: Kernels, private readonly config: BertConfig, plan: QuantPlan | null, layer: number) {
    const p = `bert.encoder.layer.${layer}.attention.output`;
    this.dense = new QuantLinear(store, k, plan, `${p}.dense`, config.hidden, config.hidden);
    this.gamma = store.param(`${p}.LayerNorm.weight`);
    this.beta = store.param(`${p}.LayerNorm.bias`);
    this.dGamma = store.grad(`${p}.LayerNorm.weight`);
    this.dBeta = store.grad(`${p}.LayerNorm.bias`);
  }

  prepare(): void {
    this.dense.prepare();
  }

  /** a.ctx, x [B,T,C] -> a.attnOut [B,T,C] */
  forward(a: LayerActs, s: Scratch, x: Float32Array, R: number, training: boolean, drop: DropoutCtx | null): void {
    const k = this.k;
    const C = this.config.hidden;
    this.dense.forward(a.sum1, a.ctx, s.xq, R, training);
    this.dropped = drop !== null && a.attnMask !== null;
    if (this.dropped) {
      dropoutMask(a.attnMask!, R * C, this.config.hiddenDropout, drop!.rng);
      applyMask(a.sum1, a.sum1, a.attnMask!, R * C);
    }
    k.add(a.sum1, a.sum1, x, R * C);
    k.layerNormForward(a.attnOut, a.ln1Mean, a.ln1Rstd, a.sum1, this.gamma, this.beta, R, C, this.config.layerNormEps);
  }

  /** dAttnOut[R,C]: gradient of attnOut. dX += residual gradient; dCtx (overwritten) = gradient of ctx. */
  backward(a: LayerActs, s: Scratch, dAttnOut: Float32Array, dX: Float32Array, dCtx: Float32Array, R: number): void {
    const k = this.k;
    const C = this.config.hidden;
    // LayerNorm
    const dSum = s.dSum;
    dSum.fill(0, 0, R * C);
    k.layerNormBackward(dSum, this.dGamma, this.dBeta, dAttnOut, a.sum1, a.ln1Mean, a.ln1Rstd, this.gamma, R, C);
    // residual
    k.add(dX, dX, dSum, R * C);
    // dropout
    if (this.dropped) applyMask(dSum, dSum, a.attnMask!, R * C);
    // dense
    dCtx.fill(0, 0, R * C);
    this.dense.backward(dCtx, dSum, a.ctx, s.xq, s.dXq, R);
  }
}
