// Bit packing and the binary GEMMs of the WASM kernel set (AssemblyScript).
//
// Packed layout (kernels.ts): a row of K elements takes W = ceil(K / 64) 64-bit words, bit i of word w = element
// 64w + i, padding bits 0. The GEMMs use 64-bit scalar popcounts (i64.popcnt -> x86 POPCNT, one per cycle): on
// x86 V8 lowers i8x16.popcnt to a 7-instruction nibble-table sequence, which measured 1.5-2x slower than the
// scalar path here. B is first repacked into panels of 4 rows with their words interleaved (panel[w][4]), so a
// 2x4 register tile reads its 4 B words at constant offsets from one pointer; 8 accumulators, each loaded word
// used 2 or 4 times. Scales are applied in double, in the reference's order (scale * dot) * colScale[n], then
// rounded to float32 (f64x2 lanes): bit-exact with the reference.

const NB: i32 = 4; // B rows per panel (tile columns)
const PB: i32 = 48; // B panels per block (48 x 4 rows x 96 bytes = 18 KiB at K = 768 stay in L1 while all A rows sweep them)

/** Workspace bytes the binary GEMMs need for N rows of K bits and M rows of A. */
export function binaryWorkspaceBytes(M: i32, K: i32, N: i32): usize {
  const W = <usize>((K + 63) >>> 6);
  return (<usize>((N + NB - 1) / NB) * <usize>NB * W << 3) + (<usize>M << 2) + 64;
}

/** Stores 4 outputs f32((scale * dot) * colScale[j]) (colScale omitted when absent), dot an i32x4. */
// @ts-ignore: decorator
@inline function storeScaled4(c: usize, dot: v128, scale: f64, col: usize, hasCol: bool): void {
  const sv = f64x2.splat(scale);
  let lo = f64x2.mul(sv, f64x2.convert_low_i32x4_s(dot));
  let hi = f64x2.mul(sv, f64x2.convert_low_i32x4_s(i32x4.shuffle(dot, dot, 2, 3, 0, 1)));
  if (hasCol) {
    const cs = v128.load(col);
    lo = f64x2.mul(lo, f64x2.promote_low_f32x4(cs));
    hi = f64x2.mul(hi, f64x2.promote_low_f32x4(i32x4.shuffle(cs, cs, 2, 3, 0, 1)));
  }
  v128.store(c, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
}

/** One output f32((scale * dot) * colScale[n]). */
// @ts-ignore: decorator
@inline function storeScaled1(c: usize, dot: i32, scale: f64, col: usize, hasCol: bool): void {
  store<f32>(c, <f32>(hasCol ? scale * <f64>dot * <f64>load<f32>(col) : scale * <f64>dot));
}

/** popcount of a row of W words. */
function rowPop(p: usize, W: i32): i32 {
  let s: i64 = 0;
  for (let w = 0; w < W; w++) s += popcnt<i64>(load<i64>(p + (<usize>w << 3)));
  return <i32>s;
}

/** dot from a popcount: K - 2 pop (signed x signed) or 2 pop - pop(P row) (unsigned x signed). */
// @ts-ignore: decorator
@inline function dot4(pop: v128, K: i32, popP: i32, us: bool): v128 {
  return us ? i32x4.sub(i32x4.shl(pop, 1), i32x4.splat(popP)) : i32x4.sub(i32x4.splat(K), i32x4.shl(pop, 1));
}

// @ts-ignore: decorator
@inline function comb(x: i64, y: i64, us: bool): i64 {
  return us ? x & y : x ^ y;
}

/**
 * The shared body of binaryGemmSS (us = false) and binaryGemmUS (us = true), inlined into each so that `us` is a
 * constant. dot = K - 2 * pop(A xor B) or 2 * pop(P and V) - pop(P).
 */
// @ts-ignore: decorator
@inline function binaryGemm(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, scale: f64, col: usize, hasCol: bool,
  us: bool, ws: usize): void {
  if (M == 0 || N == 0) return;
  const W = (K + 63) >>> 6;
  const rb = <usize>W << 3; // bytes per packed row
  const ldc = <usize>N << 2;
  const panels = (N + NB - 1) / NB;
  const Bp = (ws + 15) & ~(<usize>15);
  const popA = Bp + <usize>panels * <usize>NB * rb; // M ints: popcount of each P row (us only)
  // repack B: panel p, word w, row j at Bp + ((p * W + w) * 4 + j) * 8; rows past N are zero
  for (let p = 0; p < panels; p++) {
    for (let j = 0; j < NB; j++) {
      const n = p * NB + j;
      const dst = Bp + (<usize>(p * W) * <usize>NB + <usize>j << 3);
      if (n < N) {
        const src = B + <usize>n * rb;
        for (let w = 0; w < W; w++) store<i64>(dst + (<usize>w << 5), load<i64>(src + (<usize>w << 3)));
      } else {
        for (let w = 0; w < W; w++) store<i64>(dst + (<usize>w << 5), 0);
      }
    }
  }
  if (us) for (let m = 0; m < M; m++) store<i32>(popA + (<usize>m << 2), rowPop(A + <usize>m * rb, W));
  for (let p0 = 0; p0 < panels; p0 += PB) {
    const p1 = min(panels, p0 + PB);
    let m = 0;
    for (; m + 2 <= M; m += 2) {
      for (let p = p0; p < p1; p++) {
        const n = p * NB;
        const bp = Bp + <usize>p * <usize>NB * rb;
        const fullPanel = n + NB <= N;
        const colN = col + (<usize>n << 2);
        const a0 = A + <usize>m * rb;
        let s00: i64 = 0, s01: i64 = 0, s02: i64 = 0, s03: i64 = 0, s10: i64 = 0, s11: i64 = 0, s12: i64 = 0, s13: i64 = 0;
        let a = a0, b = bp;
        const end = a0 + rb;
        while (a < end) {
          const x0 = load<i64>(a), x1 = load<i64>(a + rb);
          let y = load<i64>(b);
          s00 += popcnt<i64>(comb(x0, y, us)); s10 += popcnt<i64>(comb(x1, y, us));
          y = load<i64>(b, 8);
          s01 += popcnt<i64>(comb(x0, y, us)); s11 += popcnt<i64>(comb(x1, y, us));
          y = load<i64>(b, 16);
          s02 += popcnt<i64>(comb(x0, y, us)); s12 += popcnt<i64>(comb(x1, y, us));
          y = load<i64>(b, 24);
          s03 += popcnt<i64>(comb(x0, y, us)); s13 += popcnt<i64>(comb(x1, y, us));
          a += 8;
          b += 32;
        }
        let p0 = i32x4.splat(<i32>s00);
        p0 = i32x4.replace_lane(p0, 1, <i32>s01);
        p0 = i32x4.replace_lane(p0, 2, <i32>s02);
        p0 = i32x4.replace_lane(p0, 3, <i32>s03);
        let p1 = i32x4.splat(<i32>s10);
        p1 = i32x4.replace_lane(p1, 1, <i32>s11);
        p1 = i32x4.replace_lane(p1, 2, <i32>s12);
        p1 = i32x4.replace_lane(p1, 3, <i32>s13);
        const d0 = dot4(p0, K, us ? load<i32>(popA + (<usize>m << 2)) : 0, us);
        const d1 = dot4(p1, K, us ? load<i32>(popA + (<usize>m << 2), 4) : 0, us);
        const c0 = C + <usize>m * ldc + (<usize>n << 2);
        if (fullPanel) {
          storeScaled4(c0, d0, scale, colN, hasCol);
          storeScaled4(c0 + ldc, d1, scale, colN, hasCol);
        } else {
          for (let j = 0; j < N - n; j++) {
            const cj = colN + (<usize>j << 2);
            const cj0 = c0 + (<usize>j << 2);
            storeScaled1(cj0, j == 0 ? i32x4.extract_lane(d0, 0) : j == 1 ? i32x4.extract_lane(d0, 1) : i32x4.extract_lane(d0, 2), scale, cj, hasCol);
            storeScaled1(cj0 + ldc, j == 0 ? i32x4.extract_lane(d1, 0) : j == 1 ? i32x4.extract_lane(d1, 1) : i32x4.extract_lane(d1, 2), scale, cj, hasCol);
          }
        }
      }
    }
    if (m < M) {
      for (let p = p0; p < p1; p++) {
        const n = p * NB;
        const bp = Bp + <usize>p * <usize>NB * rb;
        const fullPanel = n + NB <= N;
        const colN = col + (<usize>n << 2);
        const a0 = A + <usize>m * rb;
        let s0: i64 = 0, s1: i64 = 0, s2: i64 = 0, s3: i64 = 0;
        let a = a0, b = bp;
        const end = a0 + rb;
        while (a < end) {
          const x0 = load<i64>(a);
          s0 += popcnt<i64>(comb(x0, load<i64>(b), us));
          s1 += popcnt<i64>(comb(x0, load<i64>(b, 8), us));
          s2 += popcnt<i64>(comb(x0, load<i64>(b, 16), us));
          s3 += popcnt<i64>(comb(x0, load<i64>(b, 24), us));
          a += 8;
          b += 32;
        }
        let p0 = i32x4.splat(<i32>s0);
        p0 = i32x4.replace_lane(p0, 1, <i32>s1);
        p0 = i32x4.replace_lane(p0, 2, <i32>s2);
        p0 = i32x4.replace_lane(p0, 3, <i32>s3);
        const d0 = dot4(p0, K, us ? load<i32>(popA + (<usize>m << 2)) : 0, us);
        const c0 = C + <usize>m * ldc + (<usize>n << 2);
        if (fullPanel) {
          storeScaled4(c0, d0, scale, colN, hasCol);
        } else {
          for (let j = 0; j < N - n; j++) {
            storeScaled1(c0 + (<usize>j << 2), j == 0 ? i32x4.extract_lane(d0, 0) : j == 1 ? i32x4.extract_lane(d0, 1) : i32x4.extract_lane(d0, 2),
              scale, colN + (<usize>j << 2), hasCol);
          }
        }
      }
    }
  }
}

/** C[M,N] = scale * (K - 2 * popcount(A[m] XOR B[n])) * (hasCol ? colScale[n] : 1); A, B packed signed. */
export function binaryGemmSS(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, scale: f64, colScale: usize, hasCol: bool, ws: usize): void {
  binaryGemm(C, A, B, M, K, N, scale, colScale, hasCol, false, ws);
}

/** C[M,N] = scale * (2 * popcount(P[m] AND V[n]) - popcount(P[m])) * (hasCol ? colScale[n] : 1). */
export function binaryGemmUS(C: usize, P: usize, V: usize, M: i32, K: i32, N: i32, scale: f64, colScale: usize, hasCol: bool, ws: usize): void {
  binaryGemm(C, P, V, M, K, N, scale, colScale, hasCol, true, ws);
}

/**
 * out[R, 2W u32] <- bits of x[R,K]: bit 1 where x[r,k] (+ shift[k]) >= threshold, NaN -> 0, padding 0.
 * The comparison is the reference's (double) one: float32 lanes when there is no shift and the threshold is a
 * float32 (then both agree exactly), float64 lanes otherwise. 16 elements -> one i8x16.bitmask -> 2 bytes.
 */
export function packBits(out: usize, x: usize, shift: usize, hasShift: bool, threshold: f64, R: i32, K: i32): void {
  const W = (K + 63) >>> 6;
  const rowBytes = <usize>W << 3;
  const t32 = <f32>threshold;
  const fast = !hasShift && <f64>t32 == threshold;
  const tv = f32x4.splat(t32);
  const td = f64x2.splat(threshold);
  for (let r = 0; r < R; r++) {
    const xr = x + (<usize>r * <usize>K << 2);
    const o = out + <usize>r * rowBytes;
    memory.fill(o, 0, rowBytes);
    let k = 0;
    if (fast) {
      for (; k + 16 <= K; k += 16) {
        const p = xr + (<usize>k << 2);
        const m0 = f32x4.ge(v128.load(p), tv), m1 = f32x4.ge(v128.load(p, 16), tv);
        const m2 = f32x4.ge(v128.load(p, 32), tv), m3 = f32x4.ge(v128.load(p, 48), tv);
        const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
        store<u16>(o + (<usize>k >>> 3), <u16>i8x16.bitmask(b));
      }
    } else {
      for (; k + 16 <= K; k += 16) {
        const p = xr + (<usize>k << 2);
        const s = shift + (<usize>k << 2);
        const m0 = ge4(p, s, hasShift, td), m1 = ge4(p + 16, s + 16, hasShift, td);
        const m2 = ge4(p + 32, s + 32, hasShift, td), m3 = ge4(p + 48, s + 48, hasShift, td);
        const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
        store<u16>(o + (<usize>k >>> 3), <u16>i8x16.bitmask(b));
      }
    }
    for (; k < K; k++) {
      let u = <f64>load<f32>(xr + (<usize>k << 2));
      if (hasShift) u += <f64>load<f32>(shift + (<usize>k << 2));
      if (u >= threshold) {
        const at = o + (<usize>k >>> 3);
        store<u8>(at, <u8>(<i32>load<u8>(at) | (1 << (k & 7))));
      }
    }
  }
}

/** i32x4 mask of (x[0..4] (+ s[0..4]) >= t) computed in double. */
// @ts-ignore: decorator
@inline function ge4(p: usize, s: usize, hasShift: bool, td: v128): v128 {
  const v = v128.load(p);
  let lo = f64x2.promote_low_f32x4(v);
  let hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
  if (hasShift) {
    const w = v128.load(s);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(w));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1)));
  }
  return i32x4.shuffle(f64x2.ge(lo, td), f64x2.ge(hi, td), 0, 2, 4, 6);
}
