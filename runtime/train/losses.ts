/**
 * Distillation and task losses (bit-algorithm.md §5). Each returns the loss value and ACCUMULATES its gradient,
 * already multiplied by `weight`, into the given d-buffer, so the trainer can sum several losses into one
 * backward pass.
 *
 *   L_pred  soft cross-entropy between teacher and student logits at temperature T
 *           (regression, one logit: MSE between the logits instead, since soft-CE over one class is 0)
 *   L_rep   sum over hidden states of the element-wise MSE (mean over the B*T*C elements of each state)
 *   L_att   sum over layers of the MSE between attention scores
 *   L_label cross-entropy against the gold class (MSE against the gold score for regression)
 */

/**
 * Soft cross-entropy: mean_b sum_c -softmax(t_b/T)_c * log softmax(s_b/T)_c.
 * dS[b,c] += weight * (softmax(s_b/T)_c - softmax(t_b/T)_c) / (T * B)
 */
export function softCrossEntropy(dS: Float32Array, s: Float32Array, t: Float32Array, B: number, nC: number, T: number, weight: number): number {
  let loss = 0;
  const ps = new Float64Array(nC);
  const pt = new Float64Array(nC);
  for (let b = 0; b < B; b++) {
    const o = b * nC;
    const lse = softmaxRow(ps, s, o, nC, T);
    softmaxRow(pt, t, o, nC, T);
    for (let c = 0; c < nC; c++) {
      // log softmax(s/T)_c = s_c/T - lse
      loss -= pt[c]! * (s[o + c]! / T - lse);
      dS[o + c] += (weight * (ps[c]! - pt[c]!)) / (T * B);
    }
  }
  return (weight * loss) / B;
}

/** Cross-entropy against class indices: mean_b -log softmax(s_b)_{y_b}. */
export function crossEntropy(dS: Float32Array, s: Float32Array, labels: Float32Array, B: number, nC: number, weight: number): number {
  let loss = 0;
  const p = new Float64Array(nC);
  for (let b = 0; b < B; b++) {
    const o = b * nC;
    const lse = softmaxRow(p, s, o, nC, 1);
    const y = labels[b]!;
    loss -= s[o + y]! - lse;
    for (let c = 0; c < nC; c++) dS[o + c] += (weight * (p[c]! - (c === y ? 1 : 0))) / B;
  }
  return (weight * loss) / B;
}

/**
 * Mean squared error between a student tensor and a target: mean_i (s_i - t_i)^2.
 * dS[i] += weight * 2 (s_i - t_i) / n
 */
export function meanSquaredError(dS: Float32Array | null, s: Float32Array, t: Float32Array, n: number, weight: number): number {
  let sum = 0;
  const g = (2 * weight) / n;
  for (let i = 0; i < n; i++) {
    const d = s[i]! - t[i]!;
    sum += d * d;
    if (dS) dS[i] += g * d;
  }
  return (weight * sum) / n;
}

/** Writes softmax(x[o..o+n]/T) into p (float64) and returns log-sum-exp of x/T. */
function softmaxRow(p: Float64Array, x: Float32Array, o: number, n: number, T: number): number {
  let max = -Infinity;
  for (let c = 0; c < n; c++) max = Math.max(max, x[o + c]! / T);
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const e = Math.exp(x[o + c]! / T - max);
    p[c] = e;
    sum += e;
  }
  for (let c = 0; c < n; c++) p[c] = p[c]! / sum;
  return max + Math.log(sum);
}

/**
 * MSE between attention scores [B,NH,T,T] over the real (unpadded) keys only: padded keys carry the mask bias
 * (-10000), whose float32 rounding (about 1e-3) would otherwise dominate the loss. Mean over the counted entries.
 * attentionMask[B,T]: 1 = token, 0 = padding.
 */
export function attentionScoreMse(dS: Float32Array, s: Float32Array, t: Float32Array, attentionMask: Int32Array, B: number, NH: number, T: number, weight: number): number {
  let count = 0;
  for (let b = 0; b < B; b++) for (let j = 0; j < T; j++) if (attentionMask[b * T + j]) count++;
  count *= NH * T;
  if (count === 0) return 0;
  let sum = 0;
  const g = (2 * weight) / count;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((b * NH + h) * T + i) * T;
        for (let j = 0; j < T; j++) {
          if (!attentionMask[b * T + j]) continue;
          const d = s[row + j]! - t[row + j]!;
          sum += d * d;
          dS[row + j] += g * d;
        }
      }
    }
  }
  return (weight * sum) / count;
}
