/**
 * First-batch initialisation of an activation quantizer's scale `a` (bit-algorithm.md §3, §4, §6).
 *
 * The model calls this on the first training forward for every scale that is still <= 0 (0 = "not initialised",
 * the value initWeights gives; a scale copied from an earlier stage is > 0 and kept, §5). `u` is the quantizer's
 * input after the shift, `u = x + b`.
 *
 * elastic (learned `a`):
 *   1 bit, scaleInit 'reference' (reference code): signed 2·mean|u|, unsigned 4·mean|u|.
 *   1 bit, scaleInit 'paper' (the paper's analytic optimum): signed mean|u|, unsigned mean of the entries >= 0.5.
 *   b > 1 bits (LSQ, both scaleInit values): signed 2·mean|u| / sqrt(2^(b-1) - 1), unsigned 4·mean|u| / sqrt(2^b - 1).
 * not elastic (`a` fixed, never trained; §6 ablation and BinaryBERT baseline):
 *   options.fixedClip c set: 1 bit a = c; b > 1 bits a = c / Qp (so the top level sits at the clip value).
 *   otherwise the analytic optimum: the paper's 1-bit rules above; b > 1 bits: the LSQ rule above.
 *
 * Fallbacks (ours, the doc says nothing): the paper's unsigned rule with no entry >= 0.5 uses the mean of the
 * positive entries; a result that is not a finite number > 0 (e.g. an all-zero batch) becomes 1e-3, so that the
 * quantizer stays defined and a later stage may still train it.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { QuantizationOptions } from '../recipe/types.js';

export interface ScaleInitSpec {
  signed: boolean;
  bits: number;
}

/** The largest integer level Qp of a quantizer (1-bit: 1; signed b bits: 2^(b-1) - 1; unsigned: 2^b - 1). */
export function levelsQp(spec: ScaleInitSpec): number {
  if (spec.bits === 1) return 1;
  return spec.signed ? 2 ** (spec.bits - 1) - 1 : 2 ** spec.bits - 1;
}

export const SCALE_FALLBACK = 1e-3;

/** Mean of the entries >= threshold of u[n]; the mean of the positive entries when there is none. */
export function meanAtLeast(u: Float32Array, n: number, threshold: number): number {
  let s = 0;
  let k = 0;
  let sp = 0;
  let kp = 0;
  for (let i = 0; i < n; i++) {
    const v = u[i]!;
    if (v >= threshold) {
      s += v;
      k++;
    }
    if (v > 0) {
      sp += v;
      kp++;
    }
  }
  if (k > 0) return s / k;
  return kp > 0 ? sp / kp : 0;
}

/** The initial (or, elastic off, the fixed) scale `a` for a quantizer seeing u[n]. */
export function initialScale(kernels: Kernels, u: Float32Array, n: number, spec: ScaleInitSpec, options: QuantizationOptions): number {
  let a: number;
  if (!options.elastic && options.fixedClip !== null) {
    a = spec.bits === 1 ? options.fixedClip : options.fixedClip / levelsQp(spec);
  } else {
    const meanAbs = n > 0 ? kernels.sumAbs(u, n) / n : 0;
    const paper = !options.elastic || options.scaleInit === 'paper';
    if (spec.bits > 1) {
      a = spec.signed ? (2 * meanAbs) / Math.sqrt(2 ** (spec.bits - 1) - 1) : (4 * meanAbs) / Math.sqrt(2 ** spec.bits - 1);
    } else if (paper) {
      a = spec.signed ? meanAbs : meanAtLeast(u, n, 0.5);
    } else {
      a = spec.signed ? 2 * meanAbs : 4 * meanAbs;
    }
  }
  return Number.isFinite(a) && a > 0 ? a : SCALE_FALLBACK;
}
