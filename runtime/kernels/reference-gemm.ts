/**
 * Reference GEMMs (three layouts, batched) and the packed 1-bit path (packBits, binaryGemmSS, binaryGemmUS).
 * Loops in the order that streams rows (i-k-j for NN and TN, dot products for NT), register-tiled; products and sums
 * use JS number (double) arithmetic, results are stored to Float32Array.
 * Packed layout: see kernels.ts (64-bit words as low/high Uint32 pairs, bit i of word w = element 64w + i, padding 0).
 */
import { checkAttentionBits, checkBinaryGemm, checkBinaryGemmBits, checkBinaryGemmLayerNorm, checkDim, checkGemm, checkLength, checkOptional, checkPackTransposed, checkThreshold,
  checkTransposeBits } from './check.js';
import { packedLength, wordsPerRow, type Kernels, type PackTarget } from './kernels.js';
import { popcount32 } from './reference-math.js';


// The GEMMs below process 4 rows of A (NN, TN) or a 2x2 tile of outputs (NT) per pass so that each loaded value
// is used several times (JS engines keep the tile in registers): 2-3x the speed of the plain triple loop. Every
// output element still accumulates over k in increasing order, so the results are bit-identical to the plain loop.

/** C[M,N] (+)= A[M,K] · B[K,N], `batch` times. */
export function gemmNN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch = 1): void {
  checkGemm('gemmNN', C, A, B, M, K, N, batch);
  for (let b = 0; b < batch; b++) {
    const aBase = b * M * K;
    const bBase = b * K * N;
    const cBase = b * M * N;
    if (!accumulate) C.fill(0, cBase, cBase + M * N);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const c0 = cBase + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
      const a0 = aBase + i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        const bRow = bBase + k * N;
        for (let j = 0; j < N; j++) {
          const y = B[bRow + j]!;
          C[c0 + j] += x0 * y;
          C[c1 + j] += x1 * y;
          C[c2 + j] += x2 * y;
          C[c3 + j] += x3 * y;
        }
      }
    }
    for (; i < M; i++) {
      const cRow = cBase + i * N;
      const aRow = aBase + i * K;
      for (let k = 0; k < K; k++) {
        const aik = A[aRow + k]!;
        const bRow = bBase + k * N;
        for (let j = 0; j < N; j++) C[cRow + j] += aik * B[bRow + j]!;
      }
    }
  }
}

/** C[M,N] (+)= A[M,K] · B[N,K]^T, `batch` times. */
export function gemmNT(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch = 1): void {
  checkGemm('gemmNT', C, A, B, M, K, N, batch);
  for (let b = 0; b < batch; b++) {
    const aBase = b * M * K;
    const bBase = b * N * K;
    const cBase = b * M * N;
    let i = 0;
    for (; i + 2 <= M; i += 2) {
      const a0 = aBase + i * K, a1 = a0 + K;
      const c0 = cBase + i * N, c1 = c0 + N;
      let j = 0;
      for (; j + 2 <= N; j += 2) {
        const b0 = bBase + j * K, b1 = b0 + K;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = A[a0 + k]!, x1 = A[a1 + k]!, y0 = B[b0 + k]!, y1 = B[b1 + k]!;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        storeNT(C, c0 + j, s00, accumulate);
        storeNT(C, c0 + j + 1, s01, accumulate);
        storeNT(C, c1 + j, s10, accumulate);
        storeNT(C, c1 + j + 1, s11, accumulate);
      }
      for (; j < N; j++) {
        const bRow = bBase + j * K;
        let s0 = 0, s1 = 0;
        for (let k = 0; k < K; k++) {
          const y = B[bRow + k]!;
          s0 += A[a0 + k]! * y;
          s1 += A[a1 + k]! * y;
        }
        storeNT(C, c0 + j, s0, accumulate);
        storeNT(C, c1 + j, s1, accumulate);
      }
    }
    for (; i < M; i++) {
      const aRow = aBase + i * K;
      const cRow = cBase + i * N;
      for (let j = 0; j < N; j++) {
        const bRow = bBase + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[aRow + k]! * B[bRow + k]!;
        storeNT(C, cRow + j, s, accumulate);
      }
    }
  }
}

function storeNT(C: Float32Array, at: number, s: number, accumulate: boolean): void {
  C[at] = accumulate ? C[at]! + s : s;
}

/** C[M,N] (+)= A[K,M]^T · B[K,N], `batch` times. */
export function gemmTN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch = 1): void {
  checkGemm('gemmTN', C, A, B, M, K, N, batch);
  for (let b = 0; b < batch; b++) {
    const aBase = b * K * M;
    const bBase = b * K * N;
    const cBase = b * M * N;
    if (!accumulate) C.fill(0, cBase, cBase + M * N);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const c0 = cBase + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
      for (let k = 0; k < K; k++) {
        const aRow = aBase + k * M + i;
        const x0 = A[aRow]!, x1 = A[aRow + 1]!, x2 = A[aRow + 2]!, x3 = A[aRow + 3]!;
        const bRow = bBase + k * N;
        for (let j = 0; j < N; j++) {
          const y = B[bRow + j]!;
          C[c0 + j] += x0 * y;
          C[c1 + j] += x1 * y;
          C[c2 + j] += x2 * y;
          C[c3 + j] += x3 * y;
        }
      }
    }
    for (; i < M; i++) {
      const cRow = cBase + i * N;
      for (let k = 0; k < K; k++) {
        const aki = A[aBase + k * M + i]!;
        const bRow = bBase + k * N;
        for (let j = 0; j < N; j++) C[cRow + j] += aki * B[bRow + j]!;
      }
    }
  }
}

/**
 * out[packedLength(R, K)] <- bits of x[R,K]: bit 1 where x[r,k] + shift[k] >= threshold (shift[K] may be null).
 * NaN packs as 0. Padding bits (k >= K in the last word) are 0.
 */
export function packBits(out: Uint32Array, x: Float32Array, shift: Float32Array | null, threshold: number, R: number, K: number): void {
  checkDim('packBits', 'R', R);
  checkDim('packBits', 'K', K);
  checkLength('packBits', 'out', out, packedLength(R, K));
  checkLength('packBits', 'x', x, R * K);
  checkOptional('packBits', 'shift', shift, K);
  checkThreshold('packBits', threshold);
  const u32PerRow = 2 * wordsPerRow(K);
  for (let r = 0; r < R; r++) {
    const xRow = r * K;
    const oRow = r * u32PerRow;
    // one Uint32 (half of a 64-bit word) at a time: element k lands in Uint32 k >> 5, bit k & 31
    for (let h = 0; h < u32PerRow; h++) {
      const k0 = h * 32;
      const k1 = Math.min(K, k0 + 32);
      let bits = 0;
      if (shift === null) {
        for (let k = k0; k < k1; k++) if (x[xRow + k]! >= threshold) bits |= 1 << (k - k0);
      } else {
        for (let k = k0; k < k1; k++) if (x[xRow + k]! + shift[k]! >= threshold) bits |= 1 << (k - k0);
      }
      out[oRow + h] = bits >>> 0;
    }
  }
}


/**
 * C[M,N] = scale * (K - 2 * popcount(A[m] XOR B[n])) * colScale[n] (+ bias[n]); A[M, K bits], B[N, K bits] packed
 * signed; `batch` products one after the other (kernels.ts).
 */
export function binaryGemmSS(C: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null = null, batch = 1): void {
  checkBinaryGemm('binaryGemmSS', C, A, B, M, K, N, colScale, 'A', 'B', bias, batch);
  const w = 2 * wordsPerRow(K);
  for (let i = 0; i < batch; i++) {
    const a0 = i * M * w, b0 = i * N * w, c0 = i * M * N;
    for (let m = 0; m < M; m++) {
      const aRow = a0 + m * w;
      const cRow = c0 + m * N;
      for (let n = 0; n < N; n++) {
        const bRow = b0 + n * w;
        let pop = 0;
        for (let h = 0; h < w; h++) pop += popcount32(A[aRow + h]! ^ B[bRow + h]!);
        const dot = K - 2 * pop;
        C[cRow + n] = colScale === null ? scale * dot : scale * dot * colScale[n]!;
        // the product rounded to float32 first (C holds it), then the bias added as addBias does
        if (bias !== null) C[cRow + n] = C[cRow + n]! + bias[n]!;
      }
    }
  }
}

/** C[M,N] = scale * (2 * popcount(P[m] AND V[n]) - popcount(P[m])) * colScale[n] (+ bias[n]); P unsigned, V signed, packed. */
export function binaryGemmUS(C: Float32Array, P: Uint32Array, V: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null = null, batch = 1): void {
  checkBinaryGemm('binaryGemmUS', C, P, V, M, K, N, colScale, 'P', 'V', bias, batch);
  const w = 2 * wordsPerRow(K);
  for (let i = 0; i < batch; i++) {
    const p0 = i * M * w, v0 = i * N * w, c0 = i * M * N;
    for (let m = 0; m < M; m++) {
      const pRow = p0 + m * w;
      const cRow = c0 + m * N;
      let popP = 0;
      for (let h = 0; h < w; h++) popP += popcount32(P[pRow + h]!);
      for (let n = 0; n < N; n++) {
        const vRow = v0 + n * w;
        let pop = 0;
        for (let h = 0; h < w; h++) pop += popcount32(P[pRow + h]! & V[vRow + h]!);
        const dot = 2 * pop - popP;
        C[cRow + n] = colScale === null ? scale * dot : scale * dot * colScale[n]!;
        if (bias !== null) C[cRow + n] = C[cRow + n]! + bias[n]!;
      }
    }
  }
}

/** The float binary GEMMs and packBits of a kernel set, from which binaryGemmBitsVia composes the packed-output ones. */
export interface BinaryGemmParts {
  binaryGemmSS: typeof binaryGemmSS;
  binaryGemmUS: typeof binaryGemmUS;
  packBits: typeof packBits;
}

/**
 * binaryGemmSSBits / binaryGemmUSBits (kernels.ts), by definition: each product computed as the set's float kernel
 * computes it, then packed as its packBits packs it (product i with shift row i % shiftRows).
 */
export function binaryGemmBitsVia(k: BinaryGemmParts, kernel: string, unsignedA: boolean, out: Uint32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number,
  scale: number, colScale: Float32Array | null, bias: Float32Array | null, shift: Float32Array | null, threshold: number, batch: number, shiftRows: number): void {
  checkBinaryGemmBits(kernel, out, A, B, M, K, N, colScale, bias, shift, unsignedA ? 'P' : 'A', unsignedA ? 'V' : 'B', batch, shiftRows);
  checkThreshold(kernel, threshold);
  const c = new Float32Array(M * N);
  const la = packedLength(M, K), lb = packedLength(N, K), lo = packedLength(M, N);
  for (let i = 0; i < batch; i++) {
    const a = A.subarray(i * la, (i + 1) * la);
    const b = B.subarray(i * lb, (i + 1) * lb);
    if (unsignedA) k.binaryGemmUS(c, a, b, M, K, N, scale, colScale, bias);
    else k.binaryGemmSS(c, a, b, M, K, N, scale, colScale, bias);
    const sh = shift === null ? null : shift.subarray((i % shiftRows) * N, (i % shiftRows + 1) * N);
    k.packBits(out.subarray(i * lo, (i + 1) * lo), c, sh, threshold, M, N);
  }
}

const referenceParts: BinaryGemmParts = { binaryGemmSS, binaryGemmUS, packBits };

export function binaryGemmSSBits(out: Uint32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null,
  bias: Float32Array | null, shift: Float32Array | null, threshold: number, batch = 1, shiftRows = 1): void {
  binaryGemmBitsVia(referenceParts, 'binaryGemmSSBits', false, out, A, B, M, K, N, scale, colScale, bias, shift, threshold, batch, shiftRows);
}

export function binaryGemmUSBits(out: Uint32Array, P: Uint32Array, V: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null,
  bias: Float32Array | null, shift: Float32Array | null, threshold: number, batch = 1, shiftRows = 1): void {
  binaryGemmBitsVia(referenceParts, 'binaryGemmUSBits', true, out, P, V, M, K, N, scale, colScale, bias, shift, threshold, batch, shiftRows);
}

/** out row b*C + c <- bits of x[b,t,c] + shift[c] >= threshold over t (packBits's comparison, padding bits 0). */
export function packBitsTransposed(out: Uint32Array, x: Float32Array, shift: Float32Array | null, threshold: number, B: number, T: number, C: number): void {
  checkPackTransposed('packBitsTransposed', out, x, shift, B, T, C);
  checkThreshold('packBitsTransposed', threshold);
  const u32PerRow = 2 * wordsPerRow(T);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const oRow = (b * C + c) * u32PerRow;
      const s = shift === null ? 0 : shift[c]!;
      for (let h = 0; h < u32PerRow; h++) {
        const t0 = h * 32;
        const t1 = Math.min(T, t0 + 32);
        let bits = 0;
        for (let t = t0; t < t1; t++) {
          const v = x[(b * T + t) * C + c]!;
          if ((shift === null ? v : v + s) >= threshold) bits |= 1 << (t - t0);
        }
        out[oRow + h] = bits >>> 0;
      }
    }
  }
}

/**
 * binaryGemmLayerNorm (kernels.ts), by definition: the set's binaryGemmSS/US into a float32 C, then its
 * residualLayerNorm (the reference and WASM sets; the native set fuses them).
 */
export function binaryGemmLayerNormVia(parts: Pick<Kernels, 'binaryGemmSS' | 'binaryGemmUS' | 'residualLayerNorm'>, y: Float32Array, unsignedA: boolean, A: Uint32Array,
  B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null, residual: Float32Array | null,
  gamma: Float32Array, beta: Float32Array, eps: number, packs: readonly PackTarget[] = []): void {
  checkBinaryGemmLayerNorm('binaryGemmLayerNorm', y, A, B, M, K, N, colScale, bias, residual, gamma, beta, packs);
  const C = new Float32Array(M * N);
  if (unsignedA) parts.binaryGemmUS(C, A, B, M, K, N, scale, colScale, bias);
  else parts.binaryGemmSS(C, A, B, M, K, N, scale, colScale, bias);
  parts.residualLayerNorm(y, C, residual, gamma, beta, M, N, eps, packs);
}

/** Transposes the 32 x 32 bit matrix a[0..31] in place (row r = a[r], column c = bit c) by swapping ever smaller
 *  off-diagonal blocks: 16 x 16, then 8 x 8, ... (the classic recursive exchange, least-significant bit first). */
function transpose32(a: Uint32Array): void {
  let m = 0x0000ffff;
  for (let j = 16; j !== 0; j >>>= 1, m = (m ^ (m << j)) >>> 0) {
    for (let k = 0; k < 32; k = ((k | j) + 1) & ~j) {
      const t = ((a[k]! >>> j) ^ a[k | j]!) & m;
      a[k | j] ^= t;
      a[k] ^= t << j;
    }
  }
}

/** out row b*C + c, bit t <- x row b*T + t, bit c (padding bits 0): the bit-matrix transpose of each block b. */
export function transposeBits(out: Uint32Array, x: Uint32Array, B: number, T: number, C: number): void {
  checkTransposeBits('transposeBits', out, x, B, T, C);
  const inRow = 2 * wordsPerRow(C), outRow = 2 * wordsPerRow(T);
  const a = new Uint32Array(32);
  for (let b = 0; b < B; b++) {
    for (let tb = 0; tb * 32 < T; tb++) {
      for (let cb = 0; cb * 32 < C; cb++) {
        for (let r = 0; r < 32; r++) {
          const t = tb * 32 + r;
          a[r] = t < T ? x[(b * T + t) * inRow + cb]! : 0;
        }
        transpose32(a);
        for (let r = 0; r < 32 && cb * 32 + r < C; r++) out[(b * C + cb * 32 + r) * outRow + tb] = a[r]!;
      }
    }
    // a row's last uint32 when T ends in the first half of its last 64-bit word
    for (let u = Math.ceil(T / 32); u < outRow; u++) for (let c = 0; c < C; c++) out[(b * C + c) * outRow + u] = 0;
  }
}

/**
 * attentionProbsBits (kernels.ts), by definition: per product, binaryGemmSS into float32 scores, the mask row added as
 * addBias adds it, `softmax` (the set's softmaxForward, scale 1, no mask), then packBits.
 */
export function attentionProbsBitsVia(softmax: (y: Float32Array, x: Float32Array, R: number, C: number) => void, gemm: typeof binaryGemmSS, pack: typeof packBits,
  out: Uint32Array, Q: Uint32Array, K: Uint32Array, M: number, Kd: number, N: number, scale: number, maskBias: Float32Array | null, productsPerMask: number,
  shift: Float32Array | null, threshold: number, batch: number): void {
  checkAttentionBits('attentionProbsBits', out, Q, K, M, Kd, N, maskBias, productsPerMask, shift, batch);
  checkThreshold('attentionProbsBits', threshold);
  const s = new Float32Array(M * N);
  const lq = packedLength(M, Kd), lk = packedLength(N, Kd), lo = packedLength(M, N);
  for (let i = 0; i < batch; i++) {
    gemm(s, Q.subarray(i * lq, (i + 1) * lq), K.subarray(i * lk, (i + 1) * lk), M, Kd, N, scale, null);
    if (maskBias !== null) {
      const mo = Math.floor(i / productsPerMask) * N;
      for (let m = 0; m < M; m++) for (let j = 0; j < N; j++) s[m * N + j] = s[m * N + j]! + maskBias[mo + j]!;
    }
    softmax(s, s, M, N);
    pack(out.subarray(i * lo, (i + 1) * lo), s, shift, threshold, M, N);
  }
}
