// FP32 GEMMs for the WASM kernel set (AssemblyScript, SIMD128).
//
// One packed-panel driver in the GotoBLAS/BLIS loop order serves the three layouts: element (i,k) of A lives at
// A + 4 * (i * rsA + k * csA) and element (k,j) of B at B + 4 * (k * rsB + j * csB), so NN, NT and TN differ only in
// the strides. Blocks of B (KC x NC) and A (MC x KC) are packed into zero-padded micro-panels in the workspace,
// then a 4x8 micro-kernel (8 f32x4 accumulators, A broadcast by load32_splat, B read as two f32x4) walks them.
// Sums are float32 (the reference sums in double: results agree to ~sqrt(K) * 2^-24 of sum |a||b|).

const MR: i32 = 4; // rows of a micro-tile
const NR: i32 = 8; // columns of a micro-tile (two f32x4)
const KC: i32 = 256; // depth of a packed block (B micro-panel KC x NR = 8 KiB, stays in L1)
const MC: i32 = 128; // rows of a packed A block (128 KiB, stays in L2)
const NC: i32 = 1024; // columns of a packed B block (1 MiB)

/** Bytes of workspace the GEMMs need (packed A and B blocks and one edge tile). */
export function gemmWorkspaceBytes(): i32 {
  return (KC * NC + MC * KC + MR * NR) * 4 + 64;
}

/** Packs rows i0..i0+mc, depth k0..k0+kc of A into MR-row micro-panels: panel p holds kc groups of MR floats. */
function packA(dst: usize, A: usize, rsA: i32, csA: i32, i0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let p = 0; p < mc; p += MR) {
    const rows = min(MR, mc - p);
    const panel = dst + (<usize>(p * kc) << 2);
    if (rows == MR && csA == 1) {
      // rows contiguous along k (NN, NT): 4x4 transposes
      const r0 = A + (<usize>((i0 + p) * rsA + k0) << 2);
      const r1 = r0 + (<usize>rsA << 2);
      const r2 = r1 + (<usize>rsA << 2);
      const r3 = r2 + (<usize>rsA << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const a0 = v128.load(r0 + o), a1 = v128.load(r1 + o), a2 = v128.load(r2 + o), a3 = v128.load(r3 + o);
        const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5);
        const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
        const d = panel + (<usize>k << 4);
        v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(d, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
        v128.store(d, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
        v128.store(d, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        const d = panel + (<usize>k << 4);
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
      }
    } else if (rows == MR && rsA == 1) {
      // columns contiguous along i (TN): one f32x4 per k
      for (let k = 0; k < kc; k++) {
        v128.store(panel + (<usize>k << 4), v128.load(A + (<usize>(i0 + p + (k0 + k) * csA) << 2)));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = panel + (<usize>(k * MR) << 2);
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < rows ? load<f32>(A + (<usize>((i0 + p + r) * rsA + (k0 + k) * csA) << 2)) : 0;
          store<f32>(d + (<usize>r << 2), v);
        }
      }
    }
  }
}

/** Packs depth k0..k0+kc, columns j0..j0+nc of B into NR-column micro-panels: panel q holds kc groups of NR floats. */
function packB(dst: usize, B: usize, rsB: i32, csB: i32, k0: i32, kc: i32, j0: i32, nc: i32): void {
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const panel = dst + (<usize>(q * kc) << 2);
    if (cols == NR && csB == 1) {
      // rows of B contiguous along j (NN, TN)
      for (let k = 0; k < kc; k++) {
        const s = B + (<usize>((k0 + k) * rsB + j0 + q) << 2);
        const d = panel + (<usize>k << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols == NR && rsB == 1) {
      // B stored [N,K] (NT): 8 rows contiguous along k, two 4x4 transposes per 4 k
      const stride = <usize>csB << 2;
      const base = B + (<usize>((j0 + q) * csB + k0) << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const d = panel + (<usize>k << 5);
        for (let h = 0; h < 2; h++) {
          const r0 = base + <usize>(h * 4) * stride + o;
          const a0 = v128.load(r0), a1 = v128.load(r0 + stride), a2 = v128.load(r0 + 2 * stride), a3 = v128.load(r0 + 3 * stride);
          const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
          const dh = d + (<usize>h << 4);
          v128.store(dh, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(dh, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
          v128.store(dh, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
          v128.store(dh, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        }
      }
      for (; k < kc; k++) {
        const d = panel + (<usize>k << 5);
        for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), load<f32>(base + <usize>c * stride + (<usize>k << 2)));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = panel + (<usize>(k * NR) << 2);
        for (let c = 0; c < NR; c++) {
          const v: f32 = c < cols ? load<f32>(B + (<usize>((k0 + k) * rsB + (j0 + q + c) * csB) << 2)) : 0;
          store<f32>(d + (<usize>c << 2), v);
        }
      }
    }
  }
}

/** c[4x8] (+)= a-panel[kc x 4]^T * b-panel[kc x 8]; ldc in bytes. */
// @ts-ignore: decorator
@inline function micro4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += 16;
    b += 32;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** C[M,N] (+)= A·B for one matrix, A and B addressed through the strides (see the file comment). */
function gemmCore(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, rsA: i32, csA: i32, rsB: i32, csB: i32,
  accumulate: bool, ws: usize): void {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) memory.fill(C, 0, <usize>(M * N) << 2);
    return;
  }
  const Bp = (ws + 15) & ~(<usize>15);
  const Ap = Bp + (<usize>(KC * NC) << 2);
  const tile = Ap + (<usize>(MC * KC) << 2);
  const ldc = <usize>N << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(Bp, B, rsB, csB, pc, kc, jc, nc);
      const acc = accumulate || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(Ap, A, rsA, csA, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const b = Bp + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const a = Ap + (<usize>(ir * kc) << 2);
            const c = C + (<usize>((ic + ir) * N + jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro4x8(kc, a, b, c, ldc, acc);
            } else {
              micro4x8(kc, a, b, tile, <usize>NR << 2, false);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const at = c + <usize>i * ldc + (<usize>j << 2);
                  const t = load<f32>(tile + (<usize>(i * NR + j) << 2));
                  store<f32>(at, acc ? load<f32>(at) + t : t);
                }
              }
            }
          }
        }
      }
    }
  }
}

/** C[M,N] (+)= A[M,K] · B[K,N], `batch` times (matrices consecutive). */
export function gemmNN(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, accumulate: bool, batch: i32, ws: usize): void {
  for (let b = 0; b < batch; b++) {
    gemmCore(C + ((<usize>b * <usize>M * <usize>N) << 2), A + ((<usize>b * <usize>M * <usize>K) << 2), B + ((<usize>b * <usize>K * <usize>N) << 2),
      M, K, N, K, 1, N, 1, accumulate, ws);
  }
}

/** C[M,N] (+)= A[M,K] · B[N,K]^T, `batch` times. */
export function gemmNT(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, accumulate: bool, batch: i32, ws: usize): void {
  for (let b = 0; b < batch; b++) {
    gemmCore(C + ((<usize>b * <usize>M * <usize>N) << 2), A + ((<usize>b * <usize>M * <usize>K) << 2), B + ((<usize>b * <usize>K * <usize>N) << 2),
      M, K, N, K, 1, 1, K, accumulate, ws);
  }
}

/** C[M,N] (+)= A[K,M]^T · B[K,N], `batch` times. */
export function gemmTN(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, accumulate: bool, batch: i32, ws: usize): void {
  for (let b = 0; b < batch; b++) {
    gemmCore(C + ((<usize>b * <usize>M * <usize>N) << 2), A + ((<usize>b * <usize>M * <usize>K) << 2), B + ((<usize>b * <usize>K * <usize>N) << 2),
      M, K, N, 1, M, N, 1, accumulate, ws);
  }
}
