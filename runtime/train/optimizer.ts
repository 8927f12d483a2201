/**
 * AdamW over the model's parameter table (bit-algorithm.md §5): one flat buffer each for m and v, laid out like
 * the parameters. Per parameter group:
 *   weight   main lr, weight decay
 *   noDecay  main lr, no weight decay (biases, LayerNorm, shifts `b`)
 *   scale    the separate scale lr (reference 1e-4), no weight decay (elastic scales `a`)
 * Gradients are clipped per parameter tensor to `clipNorm` (the reference code clips each tensor separately).
 */
import type { Kernels } from '../kernels/kernels.js';
import type { ParamSpec } from '../model/types.js';
import type { OptimizerSpec } from '../recipe/types.js';

export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Number of steps taken (1-based after the first step). */
  step = 0;

  constructor(
    private readonly params: ParamSpec[],
    private readonly spec: OptimizerSpec,
    private readonly kernels: Kernels,
    size: number,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /**
   * One update of `data` from `grad`; `lrScale` is the schedule's factor (lr(step) / base lr), applied to both the
   * main and the scale learning rate. Returns the global gradient norm before clipping (for logging).
   */
  update(data: Float32Array, grad: Float32Array, lrScale: number): number {
    this.step++;
    const k = this.kernels;
    let globalSq = 0;
    for (const p of this.params) {
      if ((p as ParamSpec & { frozen?: boolean }).frozen) continue;
      const g = grad.subarray(p.offset, p.offset + p.size);
      const sq = k.sumSquares(g, p.size);
      globalSq += sq;
      const norm = Math.sqrt(sq);
      if (this.spec.clipNorm > 0 && norm > this.spec.clipNorm) k.scale(g, g, this.spec.clipNorm / norm, p.size);
      const isScale = p.group === 'scale';
      k.adamw(
        data.subarray(p.offset, p.offset + p.size),
        g,
        this.m.subarray(p.offset, p.offset + p.size),
        this.v.subarray(p.offset, p.offset + p.size),
        p.size,
        {
          lr: (isScale ? this.spec.scaleLr : this.spec.lr) * lrScale,
          beta1: this.spec.beta1,
          beta2: this.spec.beta2,
          eps: this.spec.eps,
          weightDecay: p.group === 'weight' ? this.spec.weightDecay : 0,
          step: this.step,
          biasCorrection: this.spec.biasCorrection,
        },
      );
    }
    return Math.sqrt(globalSq);
  }
}
