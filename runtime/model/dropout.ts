/**
 * Dropout (inverted, as PyTorch): y = x * m with m = 0 (probability p) or 1 / (1 - p). The mask is drawn from the
 * forward's Rng and kept for the backward, which is the same multiplication: dX = dY * m.
 *
 * These two loops are not in the Kernels interface (it has no element-wise product); they are trivial and run once
 * per dropout site, so they live here.
 */
import type { Rng } from '../util/rng.js';

/** mask[n] = 0 with probability p, else 1 / (1 - p). */
export function dropoutMask(mask: Float32Array, n: number, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = rng.next() < p ? 0 : keep;
}

/** y[n] = x[n] * mask[n] (y may alias x); also the backward, dX = dY * mask. */
export function applyMask(y: Float32Array, x: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i]! * mask[i]!;
}

/** What a forward needs to apply dropout: the generator, or null when dropout is off (inference). */
export interface DropoutCtx {
  rng: Rng;
}
