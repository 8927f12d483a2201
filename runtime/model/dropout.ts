/**
 * Dropout (inverted, as PyTorch): y = x * m with m = 0 (probability p) or 1 / (1 - p). The mask is drawn from the
 * forward's Rng and kept for the backward, which is the same multiplication: dX = dY * m.
 *
 * These two loops are not in the Kernels interface (it has no element-wise product); they are trivial and run once
 * per dropout site, so they live here.
 */
import type { Rng } from '../util/rng.js';

/**
 * mask[n] = 0 with probability p, else 1 / (1 - p): exactly `rng.next() < p ? 0 : keep` per element, in order, with
 * the generator's steps inlined on a local state (mulberry32, util/rng.ts). The masks were a sixth of a small model's
 * training step when each element went through the method and its field; the stream and the masks are unchanged
 * (u = x / 2^32 < p exactly when x < p * 2^32, both sides exact in double).
 */
export function dropoutMask(mask: Float32Array, n: number, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  const limit = p * 4294967296;
  let s = rng.state;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    mask[i] = (t ^ (t >>> 14)) >>> 0 < limit ? 0 : keep;
  }
  rng.state = s;
}

/** y[n] = x[n] * mask[n] (y may alias x); also the backward, dX = dY * mask. */
export function applyMask(y: Float32Array, x: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i]! * mask[i]!;
}

/** What a forward needs to apply dropout: the generator, or null when dropout is off (inference). */
export interface DropoutCtx {
  rng: Rng;
}
