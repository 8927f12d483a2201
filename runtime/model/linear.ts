/**
 * A Linear layer with BiT quantization: y[R,out] = Q(x + b)[R,in] · W_b[out,in]^T + bias[out].
 * W_b is the binarized weight (runtime/quant/weight-binarizer.ts) when the plan gives the layer weightBits 1, else
 * the latent weight; Q is the layer's own input quantizer (runtime/quant/activation-quantizer.ts) when its
 * activationBits < 32, else the identity. The classifier is this class with neither.
 */
import type { Kernels } from '../kernels/kernels.js';
import { ActivationQuantizer } from '../quant/activation-quantizer.js';
import { planFor } from '../quant/plan.js';
import { BinarizedWeight } from '../quant/weight-binarizer.js';
import { SCALE_SUFFIX, SHIFT_SUFFIX } from './param-table.js';
import type { QuantPlan } from './types.js';

/** How blocks reach the model's parameter and gradient buffers. */
export interface ParamStore {
  param(name: string): Float32Array;
  grad(name: string): Float32Array;
  hasParam(name: string): boolean;
  isFrozen(name: string): boolean;
}

/** The activation quantizer of a quant point, or null when the plan keeps it in full precision. */
export function makeActQuantizer(store: ParamStore, kernels: Kernels, plan: QuantPlan | null, point: string): ActivationQuantizer | null {
  const p = planFor(plan, point);
  if (plan === null || p === undefined || p.activationBits >= 32) return null;
  const scaleName = point + SCALE_SUFFIX;
  const shiftName = point + SHIFT_SUFFIX;
  const hasShift = store.hasParam(shiftName);
  return new ActivationQuantizer(kernels, point, p.activationBits, p.activationSet, plan.options, {
    scale: store.param(scaleName),
    dScale: store.isFrozen(scaleName) ? null : store.grad(scaleName),
    shift: hasShift ? store.param(shiftName) : null,
    dShift: hasShift ? store.grad(shiftName) : null,
  });
}

export class QuantLinear {
  readonly w: Float32Array;   // [out,in] latent weight
  readonly b: Float32Array;   // [out]
  readonly dW: Float32Array;  // [out,in]
  readonly dB: Float32Array;  // [out]
  readonly binarized: BinarizedWeight | null;
  readonly quant: ActivationQuantizer | null;

  constructor(
    store: ParamStore,
    private readonly k: Kernels,
    plan: QuantPlan | null,
    readonly name: string,
    readonly inF: number,
    readonly outF: number,
  ) {
    this.w = store.param(`${name}.weight`);
    this.b = store.param(`${name}.bias`);
    this.dW = store.grad(`${name}.weight`);
    this.dB = store.grad(`${name}.bias`);
    const p = planFor(plan, name);
    this.binarized = plan !== null && p !== undefined && p.weightBits === 1 ? new BinarizedWeight(k, this.w, plan.options.weightCentering) : null;
    this.quant = makeActQuantizer(store, k, plan, name);
  }

  /** The weight the forward multiplies by: W_b (refreshed by prepare()) or W. */
  private get wEff(): Float32Array {
    return this.binarized === null ? this.w : this.binarized.wb;
  }

  /** Refresh W_b from the latent weights; once per model forward. */
  prepare(): void {
    this.binarized?.forward();
  }

  /**
   * y[R,out] = Q(x)[R,in] · W_b^T + bias. xq[R,in]: scratch for the quantized input (not needed after the call).
   */
  forward(y: Float32Array, x: Float32Array, xq: Float32Array, R: number, training: boolean): void {
    let inp = x;
    if (this.quant !== null) {
      this.quant.forward(xq, x, R, this.inF, training);
      inp = xq;
    }
    this.k.gemmNT(y, inp, this.wEff, R, this.inF, this.outF, false);
    this.k.addBias(y, y, this.b, R, this.outF);
  }

  /**
   * Reverse of forward. dX[R,in] += dL/dx; dW += dY^T · Q(x) (straight-through: the gradient of W_b goes to W);
   * dBias += sum_r dY. xq, dXq[R,in]: scratch.
   */
  backward(dX: Float32Array, dY: Float32Array, x: Float32Array, xq: Float32Array, dXq: Float32Array, R: number): void {
    const k = this.k;
    // bias
    k.addBiasBackward(this.dB, dY, R, this.outF);
    // matmul: rebuild the quantized input (same a, same offset) for the weight gradient
    let inp = x;
    if (this.quant !== null) {
      this.quant.replay(xq, x, R, this.inF);
      inp = xq;
    }
    k.gemmTN(this.dW, dY, inp, this.outF, R, this.inF, true);
    if (this.quant === null) {
      k.gemmNN(dX, dY, this.wEff, R, this.outF, this.inF, true);
      return;
    }
    // quantizer: dXq = dY · W_b, then through Q into dX (and a, b)
    k.gemmNN(dXq, dY, this.wEff, R, this.outF, this.inF, false);
    this.quant.backward(dX, dXq, x, R, this.inF);
  }
}
