/**
 * Activation quantizer: elastic binary (BiT) at 1 bit, learned step size (LSQ) above (bit-algorithm.md §2-§4).
 * The loops are kernels.actQuantForward / actQuantBackward; this unit owns the state around them (scale `a`, shift
 * `b`, first-batch init, min offset) and is shared by training, export and the engine.
 *
 * Forward, u = x + b (b: learned per-channel shift, present for the inputs of Linear layers when elastic, and for
 * projected Q/K/V and attention probabilities only with options.attentionShifts; it starts at 0):
 *   1 bit signed    Q(u) = a * sign(u), sign(0) = +1                                   (BiT eq. 3)
 *   1 bit unsigned  Q(u) = a * clip(round(u / a), 0, 1)    (threshold a/2, i.e. a/2 - b on x)
 *   b bits (LSQ)    Q(u) = a * clip(round((u - o) / a), Qn, Qp) + o; signed Qn = -2^(b-1), Qp = 2^(b-1) - 1;
 *                   unsigned Qn = 0, Qp = 2^b - 1; o = min(u) as a constant when unsigned and
 *                   options.unsignedMinOffset (the reference code), else 0. round = half to even.
 * Gradient (g = dL/dQ, N = number of elements, v = (u - o) / a):
 *   dL/du = dL/dx = g * pass, dL/db[c] = sum over rows of g * pass;
 *     1 bit signed: pass = 1{-a <= u <= a}; otherwise pass = 1{Qn <= v <= Qp} (1 bit unsigned: 1{0 <= u <= a}).
 *   dL/da: 1 bit signed sum(sign(u) g) / sqrt(N);
 *          otherwise sum(g * (Qn if v < Qn; Qp if v > Qp; round(v) - v inside)) / sqrt(N * Qp)
 *          (1 bit unsigned: the doc's sum([1{u > a} + 1{0 <= u <= a}(round(u/a) - u/a)] g) / sqrt(N)).
 * Elastic off (§6): `a` is fixed at its first-batch value (scale-init.ts) and gets no gradient; there is no `b`.
 * Sources: BiT (Liu et al., NeurIPS 2022) §3.2 and its reference code; LSQ (Esser et al., ICLR 2020).
 */
import type { ActQuantSpec, Kernels } from '../kernels/kernels.js';
import type { ActivationSet, QuantizationOptions } from '../recipe/types.js';
import { initialScale } from './scale-init.js';

/** Views into the model's parameter and gradient buffers for one quantizer. */
export interface ActQuantParams {
  /** `a`, [1]. <= 0 means "not initialised yet". */
  scale: Float32Array;
  /** gradient of `a`, [1]; null when `a` is frozen (elastic off). */
  dScale: Float32Array | null;
  /** `b`, [K] with K >= the channel count C of the input (attention probabilities: K = maxPositions, C = T). */
  shift: Float32Array | null;
  dShift: Float32Array | null;
}

export class ActivationQuantizer {
  readonly spec: ActQuantSpec;
  /** The `a` and the offset the last forward used (the backward must see the same). */
  private lastScale = 0;
  private lastOffset = 0;

  constructor(
    private readonly kernels: Kernels,
    /** Quant point name, e.g. `bert.encoder.layer.0.attention.self.query`. */
    readonly name: string,
    bits: number,
    set: ActivationSet,
    private readonly options: QuantizationOptions,
    readonly params: ActQuantParams,
  ) {
    this.spec = { signed: set === 'signed', bits, offset: 0 };
  }

  private get usesMinOffset(): boolean {
    return !this.spec.signed && this.spec.bits > 1 && this.options.unsignedMinOffset;
  }

  /**
   * y[R,C] = Q(x[R,C] + b). A scale <= 0 is initialised from this input (scale-init.ts) and stored when `training`;
   * outside training it is only used for this call (evaluation never changes parameters).
   */
  forward(y: Float32Array, x: Float32Array, R: number, C: number, training: boolean): void {
    const k = this.kernels;
    const n = R * C;
    const shift = this.params.shift === null ? null : this.params.shift.subarray(0, C);
    let a = this.params.scale[0]!;
    const needInit = !(a > 0);
    let u = x;
    if (shift !== null && (needInit || this.usesMinOffset)) {
      k.addBias(y, x, shift, R, C); // y holds u for the statistics; overwritten below
      u = y;
    }
    if (needInit) {
      a = initialScale(k, u, n, this.spec, this.options);
      if (training) this.params.scale[0] = a;
    }
    this.lastOffset = this.usesMinOffset && n > 0 ? k.min(u, n) : 0;
    this.lastScale = a;
    this.spec.offset = this.lastOffset;
    k.actQuantForward(y, x, shift, a, this.spec, R, C);
  }

  /**
   * Recompute the last forward's output from its input (same `a`, same offset): lets a Linear layer drop its
   * quantized input after the forward and rebuild it for the weight gradient instead of storing it per layer.
   */
  replay(y: Float32Array, x: Float32Array, R: number, C: number): void {
    const shift = this.params.shift === null ? null : this.params.shift.subarray(0, C);
    this.spec.offset = this.lastOffset;
    this.kernels.actQuantForward(y, x, shift, this.lastScale, this.spec, R, C);
  }

  /** dX[R,C] += g * pass; dB += ...; dA += ... (not when frozen). Walks forward in reverse with its `a` and offset. */
  backward(dX: Float32Array, dY: Float32Array, x: Float32Array, R: number, C: number): void {
    const shift = this.params.shift === null ? null : this.params.shift.subarray(0, C);
    const dShift = this.params.dShift === null ? null : this.params.dShift.subarray(0, C);
    this.spec.offset = this.lastOffset;
    const dA = this.kernels.actQuantBackward(dX, dShift, dY, x, shift, this.lastScale, this.spec, R, C);
    if (this.params.dScale !== null) this.params.dScale[0] += dA;
  }
}
