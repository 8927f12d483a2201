/**
 * The WASM kernel set: every method of the Kernels interface (../kernels.ts) backed by an AssemblyScript module
 * compiled to WebAssembly with SIMD128 (sources in ./assembly, built by scripts/build-wasm.mjs). Semantics are the
 * reference's (../reference.ts): binary kernels bit-exact, float kernels in the reference's double-precision
 * formulas except the GEMMs, which sum in float32 (register-tiled f32x4 micro-kernel).
 *
 * Memory: operands are copied into a scratch arena in the module's linear memory and results copied back
 * (memory.ts); every size is checked against the buffers (BK7001) before anything is copied or written. Large
 * element-wise calls are processed in chunks of CHUNK elements so the arena stays bounded.
 *
 * Two kernels stay in JavaScript on purpose: embeddingForward/Backward are gathers/scatters of n rows of a table that
 * may hold 90 MB (BERT's word embeddings); routing them through linear memory would copy the touched rows twice
 * more and leaves no arithmetic to vectorize.
 *
 * Over 600 lines because it is one table of 33 thin wrappers (size checks, chunking, copies), kept side by side so
 * they can be read against the reference; the arithmetic lives in ./assembly.
 */
import { statSync } from 'node:fs';
import { checkAdamWStep, checkBinaryGemm, checkDim, checkGemm, checkHeads, checkIds, checkLength, checkOptional, checkQuant, checkResidualLayerNorm, checkSoftmax, checkThreshold } from '../check.js';
import { packedLength, wordsPerRow } from '../kernels.js';
import type { AdamWOptions, Kernels } from '../kernels.js';
import { attentionProbsBitsVia, binaryGemmBitsVia, binaryGemmLayerNormVia, packBitsTransposed, transposeBits } from '../reference-gemm.js';
import { embeddingSumBinary } from '../reference.js';
import { quantRange } from '../reference-quant.js';
import { Arena, CHUNK } from './memory.js';
import { findWasm, instantiate, wasmCandidates } from './module.js';
import type { WasmExports } from './module.js';

export { WASM_FILE } from './module.js';

export interface WasmOptions {
  /** Path of the compiled module; default BITKIT_WASM_PATH, then build/bitkit-kernels.wasm next to this file. */
  wasmPath?: string;
}

export interface WasmInfo {
  /** Whether a compiled module was found. */
  built: boolean;
  /** The module that loadWasmKernels() would load, or null. */
  path: string | null;
  /** Its size in bytes (0 when not built). */
  bytes: number;
  /** Every place looked at, in order. */
  searched: string[];
  /** Instruction sets the module uses. */
  features: string[];
}

/** Where the WASM kernel module is and whether it is built; never throws. */
export function wasmInfo(options: WasmOptions = {}): WasmInfo {
  const path = findWasm(options.wasmPath);
  let bytes = 0;
  if (path !== null) {
    try {
      bytes = statSync(path).size;
    } catch {
      bytes = 0;
    }
  }
  return { built: path !== null, path, bytes, searched: wasmCandidates(options.wasmPath), features: ['simd128', 'bulk-memory'] };
}

/** GEMM operands per call above which batched GEMMs are split into several calls (bytes). */
const GEMM_BUDGET = 64 << 20;



/** Rows per chunk for row-wise kernels on rows of C elements. */
function rowsPerChunk(R: number, C: number): number {
  return C > 0 ? Math.max(1, Math.floor(CHUNK / C)) : Math.max(R, 1);
}

/**
 * A fresh WASM kernel set with its own module instance and memory. Throws BK7005 when the module is not built.
 */
export function loadWasmKernels(options: WasmOptions = {}): Kernels {
  const { exports: ex } = instantiate(options.wasmPath);
  const ar = new Arena(ex);
  const gemmWs = ex.gemmWorkspaceBytes();

  type GemmFn = WasmExports['gemmNN'];
  function gemm(kernel: string, fn: GemmFn, C: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number,
    accumulate: boolean, batch: number): void {
    checkGemm(kernel, C, A, B, M, K, N, batch);
    const mk = M * K, kn = K * N, mn = M * N;
    const step = Math.max(1, Math.min(batch, Math.floor(GEMM_BUDGET / Math.max(4 * (mk + kn + mn), 1))));
    for (let b0 = 0; b0 < batch; b0 += step) {
      const nb = Math.min(step, batch - b0);
      ar.begin();
      const pA = ar.take(4 * nb * mk), pB = ar.take(4 * nb * kn), pC = ar.take(4 * nb * mn), pW = ar.take(gemmWs);
      ar.commit();
      ar.putF32(pA, A, nb * mk, b0 * mk);
      ar.putF32(pB, B, nb * kn, b0 * kn);
      if (accumulate) ar.putF32(pC, C, nb * mn, b0 * mn);
      fn(pC, pA, pB, M, K, N, accumulate ? 1 : 0, nb, pW);
      ar.getF32(C, pC, nb * mn, b0 * mn);
    }
  }

  type BinFn = WasmExports['binaryGemmSS'];
  function binaryGemm(kernel: string, fn: BinFn, aName: string, bName: string, C: Float32Array, A: Uint32Array, B: Uint32Array,
    M: number, K: number, N: number, scale: number, colScale: Float32Array | null, bias: Float32Array | null, batch: number): void {
    checkBinaryGemm(kernel, C, A, B, M, K, N, colScale, aName, bName, bias, batch);
    if (M === 0 || N === 0) return;
    const la = packedLength(M, K), lb = packedLength(N, K);
    ar.begin();
    const pC = ar.take(4 * M * N), pA = ar.take(4 * la), pB = ar.take(4 * lb);
    const pS = colScale === null ? 0 : ar.take(4 * N);
    const pBias = bias === null ? 0 : ar.take(4 * N);
    const pW = ar.take(ex.binaryWorkspaceBytes(M, K, N));
    ar.commit();
    if (colScale !== null) ar.putF32(pS, colScale, N);
    if (bias !== null) ar.putF32(pBias, bias, N);
    for (let i = 0; i < batch; i++) {
      ar.putU32(pA, A, la, i * la);
      ar.putU32(pB, B, lb, i * lb);
      fn(pC, pA, pB, M, K, N, scale, pS, colScale === null ? 0 : 1, pW);
      // float32 + float32 is correctly rounded, as the reference's double sum stored to float32 is
      if (bias !== null) ex.addBias(pC, pC, pBias, M, N);
      ar.getF32(C, pC, M * N, i * M * N);
    }
  }

  type UnaryFn = (y: number, x: number, n: number) => void;
  /** y[n] = f(x[n]), chunked */
  function unary(kernel: string, fn: UnaryFn, y: Float32Array, x: Float32Array, n: number): void {
    checkDim(kernel, 'n', n);
    checkLength(kernel, 'y', y, n);
    checkLength(kernel, 'x', x, n);
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      ar.begin();
      const px = ar.take(4 * len), py = ar.take(4 * len);
      ar.commit();
      ar.putF32(px, x, len, s);
      fn(py, px, len);
      ar.getF32(y, py, len, s);
    }
  }

  type BackFn = (dX: number, dY: number, x: number, n: number) => void;
  /** dX[n] += g(dY[n], x[n]), chunked */
  function backward(kernel: string, fn: BackFn, dX: Float32Array, dY: Float32Array, xName: string, x: Float32Array, n: number): void {
    checkDim(kernel, 'n', n);
    checkLength(kernel, 'dX', dX, n);
    checkLength(kernel, 'dY', dY, n);
    checkLength(kernel, xName, x, n);
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      ar.begin();
      const pd = ar.take(4 * len), pg = ar.take(4 * len), px = ar.take(4 * len);
      ar.commit();
      ar.putF32(pd, dX, len, s);
      ar.putF32(pg, dY, len, s);
      ar.putF32(px, x, len, s);
      fn(pd, pg, px, len);
      ar.getF32(dX, pd, len, s);
    }
  }

  type ReduceFn = (x: number, n: number) => number;
  /** sum of the chunk results */
  function reduce(kernel: string, fn: ReduceFn, x: Float32Array, n: number): number {
    checkDim(kernel, 'n', n);
    checkLength(kernel, 'x', x, n);
    let total = 0;
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      ar.begin();
      const px = ar.take(4 * len);
      ar.commit();
      ar.putF32(px, x, len, s);
      total += fn(px, len);
    }
    return total;
  }

  function splitMerge(kernel: string, fn: WasmExports['splitHeads'], y: Float32Array, x: Float32Array, B: number, T: number, NH: number, HS: number): void {
    checkHeads(kernel, y, x, B, T, NH, HS);
    const per = T * NH * HS; // one batch element is permuted within itself
    const step = per > 0 ? Math.max(1, Math.floor(CHUNK / per)) : Math.max(B, 1);
    for (let b0 = 0; b0 < B; b0 += step) {
      const nb = Math.min(step, B - b0);
      ar.begin();
      const px = ar.take(4 * nb * per), py = ar.take(4 * nb * per);
      ar.commit();
      ar.putF32(px, x, nb * per, b0 * per);
      fn(py, px, nb, T, NH, HS);
      ar.getF32(y, py, nb * per, b0 * per);
    }
  }

  const kernels: Kernels = {
    name: 'wasm (simd128)',

    gemmNN: (C, A, B, M, K, N, accumulate, batch = 1) => gemm('gemmNN', ex.gemmNN, C, A, B, M, K, N, accumulate, batch),
    gemmNT: (C, A, B, M, K, N, accumulate, batch = 1) => gemm('gemmNT', ex.gemmNT, C, A, B, M, K, N, accumulate, batch),
    gemmTN: (C, A, B, M, K, N, accumulate, batch = 1) => gemm('gemmTN', ex.gemmTN, C, A, B, M, K, N, accumulate, batch),

    packBits(out, x, shift, threshold, R, K) {
      const k = 'packBits';
      checkDim(k, 'R', R);
      checkDim(k, 'K', K);
      checkLength(k, 'out', out, packedLength(R, K));
      checkLength(k, 'x', x, R * K);
      checkOptional(k, 'shift', shift, K);
      checkThreshold(k, threshold);
      const u32PerRow = 2 * wordsPerRow(K);
      const step = rowsPerChunk(R, K);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        ar.begin();
        const px = ar.take(4 * nr * K), po = ar.take(4 * nr * u32PerRow);
        const ps = shift === null ? 0 : ar.take(4 * K);
        ar.commit();
        ar.putF32(px, x, nr * K, r0 * K);
        if (shift !== null) ar.putF32(ps, shift, K);
        ex.packBits(po, px, ps, shift === null ? 0 : 1, threshold, nr, K);
        ar.getU32(out, po, nr * u32PerRow, r0 * u32PerRow);
      }
    },
    binaryGemmSS: (C, A, B, M, K, N, scale, colScale, bias = null, batch = 1) => binaryGemm('binaryGemmSS', ex.binaryGemmSS, 'A', 'B', C, A, B, M, K, N, scale, colScale, bias, batch),
    binaryGemmUS: (C, P, V, M, K, N, scale, colScale, bias = null, batch = 1) => binaryGemm('binaryGemmUS', ex.binaryGemmUS, 'P', 'V', C, P, V, M, K, N, scale, colScale, bias, batch),

    // The fused engine kernels, composed from this set's own kernels (the same bits; the saving is native-only) or,
    // for the transposed packing, the bit transpose and the embedding sums, the reference's loops (a comparison, a
    // word exchange or two adds per element: nothing to gain across the copy in and out of WASM memory).
    binaryGemmSSBits: (out, A, B, M, K, N, scale, colScale, bias, shift, threshold, batch = 1, shiftRows = 1) =>
      binaryGemmBitsVia(kernels, 'binaryGemmSSBits', false, out, A, B, M, K, N, scale, colScale, bias, shift, threshold, batch, shiftRows),
    binaryGemmUSBits: (out, P, V, M, K, N, scale, colScale, bias, shift, threshold, batch = 1, shiftRows = 1) =>
      binaryGemmBitsVia(kernels, 'binaryGemmUSBits', true, out, P, V, M, K, N, scale, colScale, bias, shift, threshold, batch, shiftRows),
    packBitsTransposed,
    transposeBits,
    embeddingSumBinary,
    attentionProbsBits: (out, Q, K, M, Kd, N, scale, maskBias, productsPerMask, shift, threshold, batch) =>
      attentionProbsBitsVia((y, x, R, C) => kernels.softmaxForward(y, x, null, 1, R, C, 1), kernels.binaryGemmSS, kernels.packBits,
        out, Q, K, M, Kd, N, scale, maskBias, productsPerMask, shift, threshold, batch),
    binaryGemmLayerNorm: (y, unsignedA, A, B, M, K, N, scale, colScale, bias, residual, gamma, beta, eps, packs = []) =>
      binaryGemmLayerNormVia(kernels, y, unsignedA, A, B, M, K, N, scale, colScale, bias, residual, gamma, beta, eps, packs),
    residualLayerNorm(y, x, residual, gamma, beta, R, C, eps, packs = []) {
      checkResidualLayerNorm('residualLayerNorm', y, x, residual, gamma, beta, R, C, packs);
      let sum = x;
      if (residual !== null) {
        sum = new Float32Array(R * C);
        kernels.add(sum, x, residual, R * C);
      }
      kernels.layerNormForward(y, new Float32Array(R), new Float32Array(R), sum, gamma, beta, R, C, eps);
      for (const p of packs) kernels.packBits(p.bits, y, p.shift, p.threshold, R, C);
    },

    addBias(y, x, bias, R, C) {
      const k = 'addBias';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'y', y, R * C);
      checkLength(k, 'x', x, R * C);
      checkLength(k, 'bias', bias, C);
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const len = Math.min(step, R - r0) * C;
        ar.begin();
        const px = ar.take(4 * len), py = ar.take(4 * len), pb = ar.take(4 * C);
        ar.commit();
        ar.putF32(px, x, len, r0 * C);
        ar.putF32(pb, bias, C);
        ex.addBias(py, px, pb, len / C, C);
        ar.getF32(y, py, len, r0 * C);
      }
    },
    addBiasBackward(dBias, dY, R, C) {
      const k = 'addBiasBackward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'dBias', dBias, C);
      checkLength(k, 'dY', dY, R * C);
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        ar.begin();
        const pg = ar.take(4 * nr * C), pd = ar.take(4 * C), pt = ar.take(8 * C);
        ar.commit();
        ar.putF32(pg, dY, nr * C, r0 * C);
        ar.putF32(pd, dBias, C);
        ex.addBiasBackward(pd, pg, nr, C, pt);
        ar.getF32(dBias, pd, C);
      }
    },
    add(y, a, b, n) {
      const k = 'add';
      checkDim(k, 'n', n);
      checkLength(k, 'y', y, n);
      checkLength(k, 'a', a, n);
      checkLength(k, 'b', b, n);
      for (let s = 0; s < n; s += CHUNK) {
        const len = Math.min(CHUNK, n - s);
        ar.begin();
        const pa = ar.take(4 * len), pb = ar.take(4 * len);
        ar.commit();
        ar.putF32(pa, a, len, s);
        ar.putF32(pb, b, len, s);
        ex.add(pa, pa, pb, len);
        ar.getF32(y, pa, len, s);
      }
    },
    scale(y, x, s, n) {
      const k = 'scale';
      checkDim(k, 'n', n);
      checkLength(k, 'y', y, n);
      checkLength(k, 'x', x, n);
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        ar.begin();
        const px = ar.take(4 * len);
        ar.commit();
        ar.putF32(px, x, len, i);
        ex.scale(px, px, s, len);
        ar.getF32(y, px, len, i);
      }
    },

    reluForward: (y, x, n) => unary('reluForward', ex.reluForward, y, x, n),
    reluBackward: (dX, dY, x, n) => backward('reluBackward', ex.reluBackward, dX, dY, 'x', x, n),
    geluForward: (y, x, n) => unary('geluForward', ex.geluForward, y, x, n),
    geluBackward: (dX, dY, x, n) => backward('geluBackward', ex.geluBackward, dX, dY, 'x', x, n),
    tanhForward: (y, x, n) => unary('tanhForward', ex.tanhForward, y, x, n),
    tanhBackward: (dX, dY, y, n) => backward('tanhBackward', ex.tanhBackward, dX, dY, 'y', y, n),

    softmaxForward(y, x, maskBias, scale, R, C, rowsPerMask) {
      const k = 'softmaxForward';
      checkSoftmax(k, y, x, maskBias, R, C, rowsPerMask);
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        const m0 = maskBias === null ? 0 : Math.floor(r0 / rowsPerMask);
        const nm = maskBias === null ? 0 : Math.floor((r0 + nr - 1) / rowsPerMask) - m0 + 1;
        ar.begin();
        const px = ar.take(4 * nr * C), pm = ar.take(4 * nm * C);
        ar.commit();
        ar.putF32(px, x, nr * C, r0 * C);
        if (maskBias !== null) ar.putF32(pm, maskBias, nm * C, m0 * C);
        ex.softmaxForward(px, px, pm, maskBias === null ? 0 : 1, scale, nr, C, maskBias === null ? 1 : rowsPerMask, r0, m0);
        ar.getF32(y, px, nr * C, r0 * C);
      }
    },
    softmaxBackward(dX, dY, y, scale, R, C) {
      const k = 'softmaxBackward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'dX', dX, R * C);
      checkLength(k, 'dY', dY, R * C);
      checkLength(k, 'y', y, R * C);
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const len = Math.min(step, R - r0) * C;
        ar.begin();
        const pd = ar.take(4 * len), pg = ar.take(4 * len), py = ar.take(4 * len);
        ar.commit();
        ar.putF32(pd, dX, len, r0 * C);
        ar.putF32(pg, dY, len, r0 * C);
        ar.putF32(py, y, len, r0 * C);
        ex.softmaxBackward(pd, pg, py, scale, len / C, C);
        ar.getF32(dX, pd, len, r0 * C);
      }
    },

    layerNormForward(y, mean, rstd, x, gamma, beta, R, C, eps) {
      const k = 'layerNormForward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'y', y, R * C);
      checkLength(k, 'mean', mean, R);
      checkLength(k, 'rstd', rstd, R);
      checkLength(k, 'x', x, R * C);
      checkLength(k, 'gamma', gamma, C);
      checkLength(k, 'beta', beta, C);
      if (C === 0) return;
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        ar.begin();
        const px = ar.take(4 * nr * C), py = ar.take(4 * nr * C), pm = ar.take(4 * nr), pr = ar.take(4 * nr);
        const pg = ar.take(4 * C), pb = ar.take(4 * C);
        ar.commit();
        ar.putF32(px, x, nr * C, r0 * C);
        ar.putF32(pg, gamma, C);
        ar.putF32(pb, beta, C);
        ex.layerNormForward(py, pm, pr, px, pg, pb, nr, C, eps);
        ar.getF32(y, py, nr * C, r0 * C);
        ar.getF32(mean, pm, nr, r0);
        ar.getF32(rstd, pr, nr, r0);
      }
    },
    layerNormBackward(dX, dGamma, dBeta, dY, x, mean, rstd, gamma, R, C) {
      const k = 'layerNormBackward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'dX', dX, R * C);
      checkLength(k, 'dGamma', dGamma, C);
      checkLength(k, 'dBeta', dBeta, C);
      checkLength(k, 'dY', dY, R * C);
      checkLength(k, 'x', x, R * C);
      checkLength(k, 'mean', mean, R);
      checkLength(k, 'rstd', rstd, R);
      checkLength(k, 'gamma', gamma, C);
      if (C === 0) return;
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        const len = nr * C;
        ar.begin();
        const pd = ar.take(4 * len), pg = ar.take(4 * len), px = ar.take(4 * len), pm = ar.take(4 * nr), pr = ar.take(4 * nr);
        const pga = ar.take(4 * C), pdg = ar.take(4 * C), pdb = ar.take(4 * C);
        ar.commit();
        ar.putF32(pd, dX, len, r0 * C);
        ar.putF32(pg, dY, len, r0 * C);
        ar.putF32(px, x, len, r0 * C);
        ar.putF32(pm, mean, nr, r0);
        ar.putF32(pr, rstd, nr, r0);
        ar.putF32(pga, gamma, C);
        ar.putF32(pdg, dGamma, C);
        ar.putF32(pdb, dBeta, C);
        ex.layerNormBackward(pd, pdg, pdb, pg, px, pm, pr, pga, nr, C);
        ar.getF32(dX, pd, len, r0 * C);
        ar.getF32(dGamma, pdg, C);
        ar.getF32(dBeta, pdb, C);
      }
    },

    embeddingForward(y, ids, table, n, C) {
      const k = 'embeddingForward';
      checkDim(k, 'n', n);
      checkDim(k, 'C', C);
      checkLength(k, 'y', y, n * C);
      checkLength(k, 'ids', ids, n);
      checkIds(k, ids, n, table.length, C);
      if (C === 0) return;
      for (let i = 0; i < n; i++) {
        const src = ids[i]! * C;
        y.set(table.subarray(src, src + C), i * C);
      }
    },
    embeddingBackward(dTable, dY, ids, n, C) {
      const k = 'embeddingBackward';
      checkDim(k, 'n', n);
      checkDim(k, 'C', C);
      checkLength(k, 'dY', dY, n * C);
      checkLength(k, 'ids', ids, n);
      checkIds(k, ids, n, dTable.length, C);
      for (let i = 0; i < n; i++) {
        const dst = ids[i]! * C;
        const src = i * C;
        for (let c = 0; c < C; c++) dTable[dst + c] += dY[src + c]!;
      }
    },
    splitHeads: (y, x, B, T, NH, HS) => splitMerge('splitHeads', ex.splitHeads, y, x, B, T, NH, HS),
    mergeHeads: (y, x, B, T, NH, HS) => splitMerge('mergeHeads', ex.mergeHeads, y, x, B, T, NH, HS),

    sum: (x, n) => reduce('sum', ex.sum, x, n),
    sumAbs: (x, n) => reduce('sumAbs', ex.sumAbs, x, n),
    sumSquares: (x, n) => reduce('sumSquares', ex.sumSquares, x, n),
    min(x, n) {
      checkDim('min', 'n', n);
      checkLength('min', 'x', x, n);
      let m = Infinity;
      for (let s = 0; s < n; s += CHUNK) {
        const len = Math.min(CHUNK, n - s);
        ar.begin();
        const px = ar.take(4 * len);
        ar.commit();
        ar.putF32(px, x, len, s);
        const v = ex.min(px, len);
        if (v !== v) return NaN;
        if (v < m) m = v;
      }
      return m;
    },

    binarizeWeight(wb, w, n, centred) {
      const k = 'binarizeWeight';
      checkDim(k, 'n', n);
      checkLength(k, 'wb', wb, n);
      checkLength(k, 'w', w, n);
      if (n === 0) return 0;
      if (n <= CHUNK) {
        ar.begin();
        const pw = ar.take(4 * n), pb = ar.take(4 * n);
        ar.commit();
        ar.putF32(pw, w, n);
        const alpha = ex.binarizeWeight(pb, pw, n, centred ? 1 : 0);
        ar.getF32(wb, pb, n);
        return alpha;
      }
      // large tensors: sums over chunks first, then the sign pass
      const s = centred ? reduce(k, ex.sum, w, n) : 0;
      const alpha = reduce(k, ex.sumAbs, w, n) / n;
      const centre = centred ? s / n : 0;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        ar.begin();
        const pw = ar.take(4 * len), pb = ar.take(4 * len);
        ar.commit();
        ar.putF32(pw, w, len, i);
        ex.signScale(pb, pw, len, centre, alpha);
        ar.getF32(wb, pb, len, i);
      }
      return alpha;
    },
    binarizeRows(eb, rowScale, e, R, C, centred) {
      const k = 'binarizeRows';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkLength(k, 'eb', eb, R * C);
      checkLength(k, 'rowScale', rowScale, R);
      checkLength(k, 'e', e, R * C);
      const n = R * C;
      const centre = centred && n > 0 ? reduce(k, ex.sum, e, n) / n : 0;
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const nr = Math.min(step, R - r0);
        ar.begin();
        const pe = ar.take(4 * nr * C), pb = ar.take(4 * nr * C), ps = ar.take(4 * nr);
        ar.commit();
        ar.putF32(pe, e, nr * C, r0 * C);
        ex.binarizeRows(pb, ps, pe, nr, C, centre);
        ar.getF32(eb, pb, nr * C, r0 * C);
        ar.getF32(rowScale, ps, nr, r0);
      }
    },

    actQuantForward(y, x, shift, a, spec, R, C) {
      const k = 'actQuantForward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkQuant(k, a, spec);
      checkLength(k, 'y', y, R * C);
      checkLength(k, 'x', x, R * C);
      checkOptional(k, 'shift', shift, C);
      const sign1 = spec.signed && spec.bits === 1;
      const { qn, qp } = quantRange(spec);
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const len = Math.min(step, R - r0) * C;
        ar.begin();
        const px = ar.take(4 * len), ps = shift === null ? 0 : ar.take(4 * C);
        ar.commit();
        ar.putF32(px, x, len, r0 * C);
        if (shift !== null) ar.putF32(ps, shift, C);
        ex.actQuantForward(px, px, ps, shift === null ? 0 : 1, a, sign1 ? 1 : 0, qn, qp, spec.offset, len / C, C);
        ar.getF32(y, px, len, r0 * C);
      }
    },
    actQuantBackward(dX, dShift, dY, x, shift, a, spec, R, C) {
      const k = 'actQuantBackward';
      checkDim(k, 'R', R);
      checkDim(k, 'C', C);
      checkQuant(k, a, spec);
      checkLength(k, 'dX', dX, R * C);
      checkOptional(k, 'dShift', dShift, C);
      checkLength(k, 'dY', dY, R * C);
      checkLength(k, 'x', x, R * C);
      checkOptional(k, 'shift', shift, C);
      const N = R * C;
      if (N === 0) return 0;
      const sign1 = spec.signed && spec.bits === 1;
      const { qn, qp } = quantRange(spec);
      let dA = 0;
      const step = rowsPerChunk(R, C);
      for (let r0 = 0; r0 < R; r0 += step) {
        const len = Math.min(step, R - r0) * C;
        ar.begin();
        const pd = ar.take(4 * len), pg = ar.take(4 * len), px = ar.take(4 * len);
        const pds = dShift === null ? 0 : ar.take(4 * C), ps = shift === null ? 0 : ar.take(4 * C);
        ar.commit();
        ar.putF32(pd, dX, len, r0 * C);
        ar.putF32(pg, dY, len, r0 * C);
        ar.putF32(px, x, len, r0 * C);
        if (dShift !== null) ar.putF32(pds, dShift, C);
        if (shift !== null) ar.putF32(ps, shift, C);
        dA += ex.actQuantBackward(pd, pds, dShift === null ? 0 : 1, pg, px, ps, shift === null ? 0 : 1, a, sign1 ? 1 : 0,
          qn, qp, spec.offset, len / C, C);
        ar.getF32(dX, pd, len, r0 * C);
        if (dShift !== null) ar.getF32(dShift, pds, C);
      }
      return sign1 ? dA / Math.sqrt(N) : dA / Math.sqrt(N * qp);
    },

    adamw(param, grad, m, v, n, opts: AdamWOptions) {
      const k = 'adamw';
      checkDim(k, 'n', n);
      checkLength(k, 'param', param, n);
      checkLength(k, 'grad', grad, n);
      checkLength(k, 'm', m, n);
      checkLength(k, 'v', v, n);
      const { lr, beta1, beta2, eps, weightDecay, step, biasCorrection } = opts;
      checkAdamWStep(k, step, biasCorrection);
      const bc1 = biasCorrection ? 1 - beta1 ** step : 1;
      const bc2 = biasCorrection ? 1 - beta2 ** step : 1;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        ar.begin();
        const pp = ar.take(4 * len), pg = ar.take(4 * len), pm = ar.take(4 * len), pv = ar.take(4 * len);
        ar.commit();
        ar.putF32(pp, param, len, i);
        ar.putF32(pg, grad, len, i);
        ar.putF32(pm, m, len, i);
        ar.putF32(pv, v, len, i);
        ex.adamw(pp, pg, pm, pv, len, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
        ar.getF32(param, pp, len, i);
        ar.getF32(m, pm, len, i);
        ar.getF32(v, pv, len, i);
      }
    },
  };
  return kernels;
}
