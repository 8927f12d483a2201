// Quantizers and the optimiser of the WASM kernel set: the reference's double-precision formulas, same order
// (sums sequential in double), so results agree bit for bit. Round half to even is the `nearest` instruction.
// The JS wrapper validates spec and scale (BK7002) and computes quantRange; here qn, qp arrive as numbers.

/** wb[n] = alpha * sign(w - centre); returns alpha = mean|w| (centre = mean(w) if centred) */
export function binarizeWeight(wb: usize, w: usize, n: i32, centred: bool): f64 {
  if (n == 0) return 0;
  let s: f64 = 0, sa: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(w + (<usize>i << 2));
    s += v;
    sa += Math.abs(v);
  }
  const centre = centred ? s / <f64>n : 0;
  const alpha = sa / <f64>n;
  const pos = <f32>alpha, neg = <f32>-alpha;
  for (let i = 0; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(wb + k, <f64>load<f32>(w + k) - centre >= 0 ? pos : neg);
  }
  return alpha;
}

/** wb[n] = sign(w - centre) * alpha, sign(0) = +1 (the apply step of binarizeWeight, for chunked calls) */
export function signScale(wb: usize, w: usize, n: i32, centre: f64, alpha: f64): void {
  const pos = <f32>alpha, neg = <f32>-alpha;
  for (let i = 0; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(wb + k, <f64>load<f32>(w + k) - centre >= 0 ? pos : neg);
  }
}

/** eb[r,:] = rowScale[r] * sign(e[r,:] - centre), rowScale[r] = mean_j |e[r,j]| (centre from the caller) */
export function binarizeRows(eb: usize, rowScale: usize, e: usize, R: i32, C: i32, centre: f64): void {
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    let sa: f64 = 0;
    for (let j = 0; j < C; j++) sa += Math.abs(<f64>load<f32>(e + row + (<usize>j << 2)));
    const sc = C > 0 ? sa / <f64>C : 0;
    store<f32>(rowScale + (<usize>r << 2), <f32>sc);
    const pos = <f32>sc, neg = <f32>-sc;
    for (let j = 0; j < C; j++) {
      const k = row + (<usize>j << 2);
      store<f32>(eb + k, <f64>load<f32>(e + k) - centre >= 0 ? pos : neg);
    }
  }
}

/**
 * y[R,C] = Q(x + shift). sign1: a * sign(u); otherwise a * clip(nearest((u - off) / a), qn, qp) + off.
 */
export function actQuantForward(y: usize, x: usize, shift: usize, hasShift: bool, a: f64, sign1: bool, qn: f64, qp: f64,
  off: f64, R: i32, C: i32): void {
  const pos = <f32>a, neg = <f32>-a;
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const u = hasShift ? <f64>load<f32>(x + row + k) + <f64>load<f32>(shift + k) : <f64>load<f32>(x + row + k);
      if (sign1) {
        store<f32>(y + row + k, u >= 0 ? pos : neg);
      } else {
        let q = nearest((u - off) / a);
        if (q < qn) q = qn;
        else if (q > qp) q = qp;
        if (q == 0) q = 0; // normalise -0, as roundHalfEven does
        store<f32>(y + row + k, <f32>(a * q + off));
      }
    }
  }
}

/**
 * Backward of actQuantForward: dX += g * pass, dShift += g * pass; returns dA before its gradient scale
 * (the wrapper divides by sqrt(N) or sqrt(N * qp)).
 */
export function actQuantBackward(dX: usize, dShift: usize, hasDShift: bool, dY: usize, x: usize, shift: usize, hasShift: bool,
  a: f64, sign1: bool, qn: f64, qp: f64, off: f64, R: i32, C: i32): f64 {
  let dA: f64 = 0;
  for (let r = 0; r < R; r++) {
    const row = <usize>r * <usize>C << 2;
    for (let c = 0; c < C; c++) {
      const k = <usize>c << 2;
      const g = <f64>load<f32>(dY + row + k);
      const u = hasShift ? <f64>load<f32>(x + row + k) + <f64>load<f32>(shift + k) : <f64>load<f32>(x + row + k);
      let pass = false;
      if (sign1) {
        dA += u >= 0 ? g : -g;
        pass = u >= -a && u <= a;
      } else {
        const v = (u - off) / a;
        if (v < qn) dA += qn * g;
        else if (v > qp) dA += qp * g;
        else {
          dA += (nearest(v) - v) * g;
          pass = true;
        }
      }
      if (pass) {
        store<f32>(dX + row + k, <f32>(<f64>load<f32>(dX + row + k) + g));
        if (hasDShift) store<f32>(dShift + k, <f32>(<f64>load<f32>(dShift + k) + g));
      }
    }
  }
  return dA;
}

/**
 * One AdamW step in place (f64x2 lanes: IEEE per lane, identical to the scalar double formula):
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * ((m / bc1) / (sqrt(v / bc2) + eps) + wd * p).
 */
export function adamw(param: usize, grad: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64,
  wd: f64, bc1: f64, bc2: f64): void {
  const b1 = f64x2.splat(beta1), c1 = f64x2.splat(1 - beta1);
  const b2 = f64x2.splat(beta2), c2 = f64x2.splat(1 - beta2);
  const vlr = f64x2.splat(lr), veps = f64x2.splat(eps), vwd = f64x2.splat(wd);
  const vbc1 = f64x2.splat(bc1), vbc2 = f64x2.splat(bc2);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const k = <usize>i << 2;
    const g = f64x2.promote_low_f32x4(v128.load64_zero(grad + k));
    const mi = f64x2.add(f64x2.mul(b1, f64x2.promote_low_f32x4(v128.load64_zero(m + k))), f64x2.mul(c1, g));
    const vi = f64x2.add(f64x2.mul(b2, f64x2.promote_low_f32x4(v128.load64_zero(v + k))), f64x2.mul(f64x2.mul(c2, g), g));
    v128.store64_lane(m + k, f32x4.demote_f64x2_zero(mi), 0);
    v128.store64_lane(v + k, f32x4.demote_f64x2_zero(vi), 0);
    const p = f64x2.promote_low_f32x4(v128.load64_zero(param + k));
    const upd = f64x2.add(f64x2.div(f64x2.div(mi, vbc1), f64x2.add(f64x2.sqrt(f64x2.div(vi, vbc2)), veps)), f64x2.mul(vwd, p));
    v128.store64_lane(param + k, f32x4.demote_f64x2_zero(f64x2.sub(p, f64x2.mul(vlr, upd))), 0);
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    const g = <f64>load<f32>(grad + k);
    const mi = beta1 * <f64>load<f32>(m + k) + (1 - beta1) * g;
    const vi = beta2 * <f64>load<f32>(v + k) + (1 - beta2) * g * g;
    store<f32>(m + k, <f32>mi);
    store<f32>(v + k, <f32>vi);
    const p = <f64>load<f32>(param + k);
    store<f32>(param + k, <f32>(p - lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + eps) + wd * p)));
  }
}

/** Start of free linear memory (after the static data). */
export function heapBase(): usize {
  return __heap_base;
}
