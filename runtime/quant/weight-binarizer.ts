/**
 * Weight binarization (bit-algorithm.md §1).
 *
 * Forward, per tensor (every encoder Linear and the pooler):
 *   W_b = a_W * sign(W - mean(W)),  a_W = mean|W| over the whole matrix (uncentred),  sign(0) = +1.
 *   The centring by mean(W) is the reference code's (options.weightCentering, default true); BinaryBERT: no centring.
 * Forward, per row (word-embedding table [V,C], when binarized):
 *   E_b[r,:] = mean_j |E[r,j]| * sign(E[r,:] - mean(E)),  centred by the global mean (same option).
 * Gradient: plain straight-through, dL/dW = dL/dW_b (no clipping of |W|); a_W is recomputed from the latent weights
 *   at every forward, is no parameter and gets no gradient. The model therefore accumulates the gradient of W_b
 *   straight into the gradient of W: there is no binarizer backward to call.
 * Source: BiT (Liu et al., NeurIPS 2022) §3.1 and its reference code; BinaryBERT (Bai et al., 2021) for the
 *   uncentred variant.
 */
import type { Kernels } from '../kernels/kernels.js';

/** A binarized view of one latent weight tensor: `forward()` refreshes `wb` from `w` (call once per model forward). */
export class BinarizedWeight {
  /** W_b, same shape as w. */
  readonly wb: Float32Array;
  /** a_W of the last forward (per-tensor mode). */
  alpha = 0;

  constructor(
    private readonly kernels: Kernels,
    /** Latent weight view into the model's parameter buffer. */
    readonly w: Float32Array,
    readonly centred: boolean,
  ) {
    this.wb = new Float32Array(w.length);
  }

  forward(): Float32Array {
    this.alpha = this.kernels.binarizeWeight(this.wb, this.w, this.w.length, this.centred);
    return this.wb;
  }
}

/** The per-row binarized word-embedding table (E_b[V,C] and its row scales[V]). */
export class BinarizedEmbedding {
  readonly eb: Float32Array;
  readonly rowScale: Float32Array;

  constructor(
    private readonly kernels: Kernels,
    readonly e: Float32Array,
    readonly rows: number,
    readonly cols: number,
    readonly centred: boolean,
  ) {
    this.eb = new Float32Array(rows * cols);
    this.rowScale = new Float32Array(rows);
  }

  forward(): Float32Array {
    this.kernels.binarizeRows(this.eb, this.rowScale, this.e, this.rows, this.cols, this.centred);
    return this.eb;
  }
}
