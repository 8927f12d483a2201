// Softmax, LayerNorm and GELU of the WASM kernel set: the reference's double-precision formulas in the same
// operation order (so results agree to the last bit or nearly: only exp/erfc may differ by an ulp of a double).

// ------------------------------------------------------------------ GELU (exact, through erfc)

// Chebyshev coefficients of erfc(z) * exp(z^2) in t = 2 / (2 + z), z >= 0 (Numerical Recipes 3rd ed. 6.2.2), the
// reference's table (reference-math.ts).
const ERFC_N = 28;
const ERFC_COF = memory.data<f64>([
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
  3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6,
  1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10,
  9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
  -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
]);

/**
 * exp of two doubles: x = k ln2 + r, |r| <= ln2/2, exp(r) by its Taylor polynomial of degree 11 (truncation below
 * 1e-14 relative), times 2^k built in the exponent bits. Inputs are clamped to [-708, 709] (results stay normal;
 * exp(-708) ~ 3e-308 stands in for smaller values, which only ever multiply tiny erfc tails here).
 */
// @ts-ignore: decorator
@inline function expVec(x: v128): v128 {
  x = f64x2.min(f64x2.max(x, f64x2.splat(-708.0)), f64x2.splat(709.0));
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(1.4426950408889634)));
  let r = f64x2.sub(x, f64x2.mul(k, f64x2.splat(6.93147180369123816490e-01))); // ln2 high part (exact k * hi)
  r = f64x2.sub(r, f64x2.mul(k, f64x2.splat(1.90821492927058770002e-10))); // ln2 low part
  let p = f64x2.splat(1.0 / 39916800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  const ki = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return f64x2.mul(p, i64x2.shl(i64x2.add(ki, i64x2.splat(1023)), 52));
}

/** erfc(z) for two z >= 0: the reference's Clenshaw summation lane by lane (about 1e-15 relative). */
// @ts-ignore: decorator
@inline function erfcNonNegVec(z: v128): v128 {
  const two = f64x2.splat(2.0);
  const t = f64x2.div(two, f64x2.add(two, z));
  const ty = f64x2.sub(f64x2.mul(f64x2.splat(4.0), t), two);
  let d = f64x2.splat(0), dd = f64x2.splat(0);
  for (let j = ERFC_N - 1; j > 0; j--) {
    const tmp = d;
    d = f64x2.add(f64x2.sub(f64x2.mul(ty, d), dd), v128.load64_splat(ERFC_COF + (<usize>j << 3)));
    dd = tmp;
  }
  const c0 = v128.load64_splat(ERFC_COF);
  const arg = f64x2.sub(f64x2.add(f64x2.neg(f64x2.mul(z, z)), f64x2.mul(f64x2.splat(0.5), f64x2.add(c0, f64x2.mul(ty, d)))), dd);
  return f64x2.mul(t, expVec(arg));
}

const INV_SQRT2: f64 = 1 / Math.SQRT2;
const INV_SQRT_2PI: f64 = 1 / Math.sqrt(2 * Math.PI);

/** Phi(x) = erfc(-x / sqrt 2) / 2 for two doubles (erfc(z) = 2 - erfc(-z) for z < 0: no cancellation in the tail) */
// @ts-ignore: decorator
@inline function normalCdfVec(v: v128): v128 {
  const z = f64x2.mul(f64x2.neg(v), f64x2.splat(INV_SQRT2));
  const e = erfcNonNegVec(f64x2.abs(z));
  const erfc = v128.bitselect(e, f64x2.sub(f64x2.splat(2.0), e), f64x2.ge(z, f64x2.splat(0)));
  return f64x2.mul(f64x2.splat(0.5), erfc);
}

/** Two floats at p as doubles (n = 1: the second lane is 0). */
// @ts-ignore: decorator
@inline function load2(p: usize, n: i32): v128 {
  return f64x2.promote_low_f32x4(n >= 2 ? v128.load64_zero(p) : v128.load32_zero(p));
}

// @ts-ignore: decorator
@inline function store2(p: usize, v: v128, n: i32): void {
  const f = f32x4.demote_f64x2_zero(v);
  if (n >= 2) v128.store64_lane(p, f, 0);
  else v128.store32_lane(p, f, 0);
}

// Scratch for Phi of 8 elements (4 f64x2): the Clenshaw recurrences of 4 vectors run interleaved, because each is a
// 27-step dependency chain (latency-bound alone).
const PHI = memory.data(64, 16);

/** PHI[0..4] <- Phi of the four f64x2 v0..v3. */
// @ts-ignore: decorator
@inline function normalCdf8(v0: v128, v1: v128, v2: v128, v3: v128): void {
  const s = f64x2.splat(-INV_SQRT2), two = f64x2.splat(2.0), four = f64x2.splat(4.0);
  const z0 = f64x2.mul(v0, s), z1 = f64x2.mul(v1, s), z2 = f64x2.mul(v2, s), z3 = f64x2.mul(v3, s);
  const a0 = f64x2.abs(z0), a1 = f64x2.abs(z1), a2 = f64x2.abs(z2), a3 = f64x2.abs(z3);
  const t0 = f64x2.div(two, f64x2.add(two, a0)), t1 = f64x2.div(two, f64x2.add(two, a1));
  const t2 = f64x2.div(two, f64x2.add(two, a2)), t3 = f64x2.div(two, f64x2.add(two, a3));
  const y0 = f64x2.sub(f64x2.mul(four, t0), two), y1 = f64x2.sub(f64x2.mul(four, t1), two);
  const y2 = f64x2.sub(f64x2.mul(four, t2), two), y3 = f64x2.sub(f64x2.mul(four, t3), two);
  const zero = f64x2.splat(0);
  let d0 = zero, d1 = zero, d2 = zero, d3 = zero, e0 = zero, e1 = zero, e2 = zero, e3 = zero;
  for (let j = ERFC_N - 1; j > 0; j--) {
    const c = v128.load64_splat(ERFC_COF + (<usize>j << 3));
    const n0 = f64x2.add(f64x2.sub(f64x2.mul(y0, d0), e0), c);
    const n1 = f64x2.add(f64x2.sub(f64x2.mul(y1, d1), e1), c);
    const n2 = f64x2.add(f64x2.sub(f64x2.mul(y2, d2), e2), c);
    const n3 = f64x2.add(f64x2.sub(f64x2.mul(y3, d3), e3), c);
    e0 = d0; e1 = d1; e2 = d2; e3 = d3;
    d0 = n0; d1 = n1; d2 = n2; d3 = n3;
  }
  v128.store(PHI, finishPhi(z0, a0, t0, y0, d0, e0));
  v128.store(PHI, finishPhi(z1, a1, t1, y1, d1, e1), 16);
  v128.store(PHI, finishPhi(z2, a2, t2, y2, d2, e2), 32);
  v128.store(PHI, finishPhi(z3, a3, t3, y3, d3, e3), 48);
}

/** Phi from the Clenshaw state: erfc(|z|) = t exp(-z^2 + (c0 + ty d) / 2 - dd); erfc(z) = 2 - erfc(-z) for z < 0. */
// @ts-ignore: decorator
@inline function finishPhi(z: v128, az: v128, t: v128, ty: v128, d: v128, dd: v128): v128 {
  const c0 = v128.load64_splat(ERFC_COF);
  const arg = f64x2.sub(f64x2.add(f64x2.neg(f64x2.mul(az, az)), f64x2.mul(f64x2.splat(0.5), f64x2.add(c0, f64x2.mul(ty, d)))), dd);
  const e = f64x2.mul(t, expVec(arg));
  const erfc = v128.bitselect(e, f64x2.sub(f64x2.splat(2.0), e), f64x2.ge(z, f64x2.splat(0)));
  return f64x2.mul(f64x2.splat(0.5), erfc);
}

/** y = x * Phi(x): 8 elements per step, then pairs */
export function geluForward(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const k = <usize>i << 2;
    const v0 = load2(x + k, 2), v1 = load2(x + k + 8, 2), v2 = load2(x + k + 16, 2), v3 = load2(x + k + 24, 2);
    normalCdf8(v0, v1, v2, v3);
    store2(y + k, f64x2.mul(v0, v128.load(PHI)), 2);
    store2(y + k + 8, f64x2.mul(v1, v128.load(PHI, 16)), 2);
    store2(y + k + 16, f64x2.mul(v2, v128.load(PHI, 32)), 2);
    store2(y + k + 24, f64x2.mul(v3, v128.load(PHI, 48)), 2);
  }
  for (; i < n; i += 2) {
    const k = <usize>i << 2;
    const m = n - i;
    const v = load2(x + k, m);
    store2(y + k, f64x2.mul(v, normalCdfVec(v)), m);
  }
}

/** dX += dY * (Phi(x) + x * phi(x)) for one f64x2, Phi given */
// @ts-ignore: decorator
@inline function geluGrad2(dX: usize, dY: usize, v: v128, phi: v128, m: i32): void {
  const pdf = f64x2.mul(f64x2.splat(INV_SQRT_2PI), expVec(f64x2.mul(f64x2.splat(-0.5), f64x2.mul(v, v))));
  const g = f64x2.add(phi, f64x2.mul(v, pdf));
  store2(dX, f64x2.add(load2(dX, m), f64x2.mul(load2(dY, m), g)), m);
}

/** dX += dY * (Phi(x) + x * phi(x)): 8 elements per step, then pairs */
export function geluBackward(dX: usize, dY: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const k = <usize>i << 2;
    const v0 = load2(x + k, 2), v1 = load2(x + k + 8, 2), v2 = load2(x + k + 16, 2), v3 = load2(x + k + 24, 2);
    normalCdf8(v0, v1, v2, v3);
    geluGrad2(dX + k, dY + k, v0, v128.load(PHI), 2);
    geluGrad2(dX + k + 8, dY + k + 8, v1, v128.load(PHI, 16), 2);
    geluGrad2(dX + k + 16, dY + k + 16, v2, v128.load(PHI, 32), 2);
    geluGrad2(dX + k + 24, dY + k + 24, v3, v128.load(PHI, 48), 2);
  }
  for (; i < n; i += 2) {
    const k = <usize>i << 2;
    const m = n - i;
    const v = load2(x + k, m);
    geluGrad2(dX + k, dY + k, v, normalCdfVec(v), m);
  }
}

// ------------------------------------------------------------------ softmax

/** y[R,C] = softmax(x[r,:] * scale + maskBias[r / rowsPerMask, :]) (hasMask false: no mask) */
// r0: global index of row 0 of this call, m0: global index of mask row 0 of this call (chunked calls)
export function softmaxForward(y: usize, x: usize, mask: usize, hasMask: bool, scale: f64, R: i32, C: i32, rowsPerMask: i32,
  r0: i32, m0: i32): void {
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    const xr = x + row, yr = y + row;
    const mr = hasMask ? mask + (<usize>((r0 + r) / rowsPerMask - m0) * <usize>C << 2) : 0;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const z = hasMask ? <f64>load<f32>(xr + k) * scale + <f64>load<f32>(mr + k) : <f64>load<f32>(xr + k) * scale;
      if (z > max) max = z;
    }
    let s: f64 = 0;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const z = hasMask ? <f64>load<f32>(xr + k) * scale + <f64>load<f32>(mr + k) : <f64>load<f32>(xr + k) * scale;
      const e = Math.exp(z - max);
      store<f32>(yr + k, <f32>e);
      s += e;
    }
    const inv = 1 / s;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      store<f32>(yr + k, <f32>(<f64>load<f32>(yr + k) * inv));
    }
  }
}

/** dX[R,C] += scale * y * (dY - sum_c dY * y) */
export function softmaxBackward(dX: usize, dY: usize, y: usize, scale: f64, R: i32, C: i32): void {
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    let dot: f64 = 0;
    for (let c = 0; c < C; c++) {
      const k = row + (<usize>c << 2);
      dot += <f64>load<f32>(dY + k) * <f64>load<f32>(y + k);
    }
    for (let c = 0; c < C; c++) {
      const k = row + (<usize>c << 2);
      const v = <f64>load<f32>(dX + k) + scale * <f64>load<f32>(y + k) * (<f64>load<f32>(dY + k) - dot);
      store<f32>(dX + k, <f32>v);
    }
  }
}

// ------------------------------------------------------------------ LayerNorm

/** y[R,C] = (x - mean) * rstd * gamma + beta; mean[R], rstd[R] = 1 / sqrt(var + eps) (biased variance) */
export function layerNormForward(y: usize, mean: usize, rstd: usize, x: usize, gamma: usize, beta: usize, R: i32, C: i32, eps: f64): void {
  if (C == 0) return;
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    const xr = x + row, yr = y + row;
    let s: f64 = 0;
    for (let c = 0; c < C; c++) s += <f64>load<f32>(xr + (<usize>c << 2));
    const mu = s / <f64>C;
    let ss: f64 = 0;
    for (let c = 0; c < C; c++) {
      const d = <f64>load<f32>(xr + (<usize>c << 2)) - mu;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / <f64>C + eps);
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      store<f32>(yr + k, <f32>((<f64>load<f32>(xr + k) - mu) * rs * <f64>load<f32>(gamma + k) + <f64>load<f32>(beta + k)));
    }
    store<f32>(mean + (<usize>r << 2), <f32>mu);
    store<f32>(rstd + (<usize>r << 2), <f32>rs);
  }
}

/** dX, dGamma, dBeta += the LayerNorm gradients (formulas in reference.ts) */
export function layerNormBackward(dX: usize, dGamma: usize, dBeta: usize, dY: usize, x: usize, mean: usize, rstd: usize,
  gamma: usize, R: i32, C: i32): void {
  if (C == 0) return;
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    const mu = <f64>load<f32>(mean + (<usize>r << 2));
    const rs = <f64>load<f32>(rstd + (<usize>r << 2));
    let sumD: f64 = 0;
    let sumDX: f64 = 0;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const g = <f64>load<f32>(dY + row + k);
      const xh = (<f64>load<f32>(x + row + k) - mu) * rs;
      const dxh = g * <f64>load<f32>(gamma + k);
      sumD += dxh;
      sumDX += dxh * xh;
      store<f32>(dBeta + k, <f32>(<f64>load<f32>(dBeta + k) + g));
      store<f32>(dGamma + k, <f32>(<f64>load<f32>(dGamma + k) + g * xh));
    }
    const meanD = sumD / <f64>C;
    const meanDX = sumDX / <f64>C;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const xh = (<f64>load<f32>(x + row + k) - mu) * rs;
      const v = <f64>load<f32>(dX + row + k) + rs * (<f64>load<f32>(dY + row + k) * <f64>load<f32>(gamma + k) - meanD - xh * meanDX);
      store<f32>(dX + row + k, <f32>v);
    }
  }
}
