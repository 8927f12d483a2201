/**
 * Reference GEMMs (three layouts, batched) and the packed 1-bit path (packBits, binaryGemmSS, binaryGemmUS).
 * Plain loops in the order that streams rows (i-k-j for NN and TN, dot products for NT); products and sums use JS
 * number (double) arithmetic, results are stored to Float32Array.
 * Packed layout: see kernels.ts (64-bit words as low/high Uint32 pairs, bit i of word w = element 64w + i, padding 0).
 */
import { checkDim, checkLength, checkOptional } from './check.js';
import { packedLength, wordsPerRow } from './kernels.js';
import { popcount32 } from './reference-math.js';

function checkGemm(kernel: string, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, batch: number): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', K);
  checkDim(kernel, 'N', N);
  checkDim(kernel, 'batch', batch);
  checkLength(kernel, 'C', C, batch * M * N);
  checkLength(kernel, 'A', A, batch * M * K);
  checkLength(kernel, 'B', B, batch * K * N);
}

/** C[M,N] (+)= A[M,K] · B[K,N], `batch` times. */
export function gemmNN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch = 1): void {
  checkGemm('gemmNN', C, A, B, M, K, N, batch);
  for (let b = 0; b < batch; b++) {
    const aBase = b * M * K;
    const bBase = b * K * N;
    const cBase = b * M * N;
    for (let i = 0; i < M; i++) {
      const cRow = cBase + i * N;
      if (!accumulate) C.fill(0, cRow, cRow + N);
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
    for (let i = 0; i < M; i++) {
      const aRow = aBase + i * K;
      const cRow = cBase + i * N;
      for (let j = 0; j < N; j++) {
        const bRow = bBase + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += A[aRow + k]! * B[bRow + k]!;
        C[cRow + j] = accumulate ? C[cRow + j]! + s : s;
      }
    }
  }
}

/** C[M,N] (+)= A[K,M]^T · B[K,N], `batch` times. */
export function gemmTN(C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number, accumulate: boolean, batch = 1): void {
  checkGemm('gemmTN', C, A, B, M, K, N, batch);
  for (let b = 0; b < batch; b++) {
    const aBase = b * K * M;
    const bBase = b * K * N;
    const cBase = b * M * N;
    if (!accumulate) C.fill(0, cBase, cBase + M * N);
    for (let k = 0; k < K; k++) {
      const aRow = aBase + k * M;
      const bRow = bBase + k * N;
      for (let i = 0; i < M; i++) {
        const aki = A[aRow + i]!;
        const cRow = cBase + i * N;
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

function checkBinaryGemm(kernel: string, C: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number,
  colScale: Float32Array | null, aName: string, bName: string): void {
  checkDim(kernel, 'M', M);
  checkDim(kernel, 'K', K);
  checkDim(kernel, 'N', N);
  checkLength(kernel, 'C', C, M * N);
  checkLength(kernel, aName, A, packedLength(M, K));
  checkLength(kernel, bName, B, packedLength(N, K));
  checkOptional(kernel, 'colScale', colScale, N);
}

/** C[M,N] = scale * (K - 2 * popcount(A[m] XOR B[n])) * colScale[n]; A[M, K bits], B[N, K bits] packed signed. */
export function binaryGemmSS(C: Float32Array, A: Uint32Array, B: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null): void {
  checkBinaryGemm('binaryGemmSS', C, A, B, M, K, N, colScale, 'A', 'B');
  const w = 2 * wordsPerRow(K);
  for (let m = 0; m < M; m++) {
    const aRow = m * w;
    const cRow = m * N;
    for (let n = 0; n < N; n++) {
      const bRow = n * w;
      let pop = 0;
      for (let h = 0; h < w; h++) pop += popcount32(A[aRow + h]! ^ B[bRow + h]!);
      const dot = K - 2 * pop;
      C[cRow + n] = colScale === null ? scale * dot : scale * dot * colScale[n]!;
    }
  }
}

/** C[M,N] = scale * (2 * popcount(P[m] AND V[n]) - popcount(P[m])) * colScale[n]; P unsigned, V signed, packed. */
export function binaryGemmUS(C: Float32Array, P: Uint32Array, V: Uint32Array, M: number, K: number, N: number, scale: number, colScale: Float32Array | null): void {
  checkBinaryGemm('binaryGemmUS', C, P, V, M, K, N, colScale, 'P', 'V');
  const w = 2 * wordsPerRow(K);
  for (let m = 0; m < M; m++) {
    const pRow = m * w;
    const cRow = m * N;
    let popP = 0;
    for (let h = 0; h < w; h++) popP += popcount32(P[pRow + h]!);
    for (let n = 0; n < N; n++) {
      const vRow = n * w;
      let pop = 0;
      for (let h = 0; h < w; h++) pop += popcount32(P[pRow + h]! & V[vRow + h]!);
      const dot = 2 * pop - popP;
      C[cRow + n] = colScale === null ? scale * dot : scale * dot * colScale[n]!;
    }
  }
}
