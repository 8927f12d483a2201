/**
 * Scalar helpers of the reference kernels: erf/erfc for the exact GELU, the project's rounding rule, 32-bit popcount.
 */

/**
 * Round half to even (banker's rounding), the rule of torch.round and numpy.round, and therefore of the BiT reference
 * code. Every quantizer of every kernel set rounds with this rule: roundHalfEven(0.5) = 0, (1.5) = 2, (-0.5) = 0,
 * (-1.5) = -2, (2.5) = 2. Never returns -0.
 */
export function roundHalfEven(v: number): number {
  let r = Math.round(v); // exact: floor(v + 0.5) computed without rounding error
  if (r - v === 0.5 && r % 2 !== 0) r -= 1; // a tie rounded up to an odd integer: take the even one below
  return r === 0 ? 0 : r; // normalise -0
}

// Chebyshev coefficients of erfc(z) * exp(z^2) in t = 2 / (2 + z), z >= 0 (the 28-term fit of Numerical Recipes,
// 3rd ed., section 6.2.2); full double precision over z >= 0.
const ERFC_COF = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
  3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6,
  1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10,
  9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
  -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

/** erfc(z) for z >= 0 by Clenshaw summation of the Chebyshev series. */
function erfcNonNeg(z: number): number {
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COF.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COF[j]!;
    dd = tmp;
  }
  return t * Math.exp(-z * z + 0.5 * (ERFC_COF[0]! + ty * d) - dd);
}

/** The error function, to about 1e-16 relative. */
export function erf(x: number): number {
  return x >= 0 ? 1 - erfcNonNeg(x) : erfcNonNeg(-x) - 1;
}

/** The complementary error function 1 - erf(x), accurate in the tail (no cancellation for large x). */
export function erfc(x: number): number {
  return x >= 0 ? erfcNonNeg(x) : 2 - erfcNonNeg(-x);
}

const INV_SQRT2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT2);
}

/** Standard normal density phi(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Number of set bits of the low 32 bits of x (SWAR; no table). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
