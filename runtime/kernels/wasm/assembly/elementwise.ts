// Element-wise kernels, reductions and head permutations of the WASM kernel set (AssemblyScript, SIMD128).
// Pointers are byte offsets into linear memory; sizes are element counts. Where the reference computes in double
// and rounds once to float32 (scale, tanhBackward) the lanes are float64 too, so results agree bit for bit;
// f32x4 is used where float32 arithmetic gives the same result (add, addBias, relu).

/** y[R,C] = x[R,C] + bias[C] */
export function addBias(y: usize, x: usize, bias: usize, R: i32, C: i32): void {
  for (let r = 0; r < R; r++) {
    const o = <usize>r * <usize>C << 2;
    const yr = y + o, xr = x + o;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const k = <usize>c << 2;
      v128.store(yr + k, f32x4.add(v128.load(xr + k), v128.load(bias + k)));
    }
    for (; c < C; c++) {
      const k = <usize>c << 2;
      store<f32>(yr + k, load<f32>(xr + k) + load<f32>(bias + k));
    }
  }
}

/** dBias[C] += sum_r dY[r, c] (column sums in double, rows in order, as the reference) */
export function addBiasBackward(dBias: usize, dY: usize, R: i32, C: i32, tmp: usize): void {
  // tmp: C doubles of column sums
  memory.fill(tmp, 0, <usize>C << 3);
  for (let r = 0; r < R; r++) {
    const row = dY + (<usize>r * <usize>C << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const t = tmp + (<usize>c << 3);
      v128.store(t, f64x2.add(v128.load(t), f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>c << 2)))));
    }
    for (; c < C; c++) {
      const t = tmp + (<usize>c << 3);
      store<f64>(t, load<f64>(t) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
  for (let c = 0; c < C; c++) {
    const d = dBias + (<usize>c << 2);
    store<f32>(d, <f32>(<f64>load<f32>(d) + load<f64>(tmp + (<usize>c << 3))));
  }
}

/** y[n] = a[n] + b[n] */
export function add(y: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    v128.store(y + k, f32x4.add(v128.load(a + k), v128.load(b + k)));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(y + k, load<f32>(a + k) + load<f32>(b + k));
  }
}

/** y[n] = f32(x[n] * s) with s a double */
export function scale(y: usize, x: usize, s: f64, n: i32): void {
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    const v = v128.load(x + k);
    const lo = f64x2.mul(f64x2.promote_low_f32x4(v), sv);
    const hi = f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), sv);
    v128.store(y + k, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(y + k, <f32>(<f64>load<f32>(x + k) * s));
  }
}

/** y = x > 0 ? x : 0 (NaN -> 0, as the reference) */
export function reluForward(y: usize, x: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    v128.store(y + k, f32x4.pmax(z, v128.load(x + k))); // pmax(0, v) = 0 < v ? v : 0
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    const v = load<f32>(x + k);
    store<f32>(y + k, v > 0 ? v : 0);
  }
}

/** dX += dY * 1{x > 0} */
export function reluBackward(dX: usize, dY: usize, x: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    const d = v128.load(dX + k);
    // where x <= 0 keep dX as it is (adding +0 would turn -0 into +0)
    v128.store(dX + k, v128.bitselect(f32x4.add(d, v128.load(dY + k)), d, f32x4.gt(v128.load(x + k), z)));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    if (load<f32>(x + k) > 0) store<f32>(dX + k, load<f32>(dX + k) + load<f32>(dY + k));
  }
}

/** y = tanh(x) (double tanh, rounded once) */
export function tanhForward(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(y + k, <f32>Math.tanh(<f64>load<f32>(x + k)));
  }
}

/** dX += dY * (1 - y^2), in double */
export function tanhBackward(dX: usize, dY: usize, y: usize, n: i32): void {
  const one = f64x2.splat(1);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const k = <usize>i << 2;
    const t = f64x2.promote_low_f32x4(v128.load64_zero(y + k));
    const g = f64x2.promote_low_f32x4(v128.load64_zero(dY + k));
    const d = f64x2.promote_low_f32x4(v128.load64_zero(dX + k));
    const r = f64x2.add(d, f64x2.mul(g, f64x2.sub(one, f64x2.mul(t, t))));
    v128.store64_lane(dX + k, f32x4.demote_f64x2_zero(r), 0);
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    const t = <f64>load<f32>(y + k);
    store<f32>(dX + k, <f32>(<f64>load<f32>(dX + k) + <f64>load<f32>(dY + k) * (1 - t * t)));
  }
}

// ------------------------------------------------------------------ reductions (double accumulation)

/** sum of x[n] */
export function sum(x: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 1);
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

/** sum of |x[n]| */
export function sumAbs(x: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = f32x4.abs(v128.load(x + (<usize>i << 2)));
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 1);
  for (; i < n; i++) s += Math.abs(<f64>load<f32>(x + (<usize>i << 2)));
  return s;
}

/** sum of x[n]^2 (squares in double) */
export function sumSquares(x: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    a = f64x2.add(a, f64x2.mul(lo, lo));
    b = f64x2.add(b, f64x2.mul(hi, hi));
  }
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** Smallest element; +Infinity for n = 0; NaN if any element is NaN. */
export function min(x: usize, n: i32): f64 {
  let m = f32x4.splat(Infinity);
  let nan = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    m = f32x4.pmin(m, v); // v < m ? v : m
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  if (v128.any_true(nan)) return NaN;
  let r = <f64>f32x4.extract_lane(m, 0);
  const m1 = <f64>f32x4.extract_lane(m, 1), m2 = <f64>f32x4.extract_lane(m, 2), m3 = <f64>f32x4.extract_lane(m, 3);
  if (m1 < r) r = m1;
  if (m2 < r) r = m2;
  if (m3 < r) r = m3;
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    if (v < r) r = v;
    else if (v != v) return NaN;
  }
  return r;
}

// ------------------------------------------------------------------ heads

/** y[B,NH,T,HS] <- x[B,T,NH,HS] */
export function splitHeads(y: usize, x: usize, B: i32, T: i32, NH: i32, HS: i32): void {
  const bytes = <usize>HS << 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const src = <usize>((b * T + t) * NH + h) * bytes;
        const dst = <usize>((b * NH + h) * T + t) * bytes;
        memory.copy(y + dst, x + src, bytes);
      }
    }
  }
}

/** y[B,T,NH,HS] <- x[B,NH,T,HS] */
export function mergeHeads(y: usize, x: usize, B: i32, T: i32, NH: i32, HS: i32): void {
  const bytes = <usize>HS << 2;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const src = <usize>((b * NH + h) * T + t) * bytes;
        const dst = <usize>((b * T + t) * NH + h) * bytes;
        memory.copy(y + dst, x + src, bytes);
      }
    }
  }
}
