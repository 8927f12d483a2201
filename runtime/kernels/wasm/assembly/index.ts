// Entry of the WASM kernel set (compiled by scripts/build-wasm.mjs with asc: --runtime stub --enable simd,bulk-memory).
// Every export takes byte offsets into linear memory; the TypeScript wrapper (../index.ts) validates sizes, copies
// operands in and results out. Formulas and layouts: runtime/kernels/kernels.ts.
export { gemmWorkspaceBytes, gemmNN, gemmNT, gemmTN } from './gemm';
export { packBits, binaryGemmSS, binaryGemmUS, binaryWorkspaceBytes } from './binary';
export {
  addBias, addBiasBackward, add, scale, reluForward, reluBackward, tanhForward, tanhBackward,
  sum, sumAbs, sumSquares, min, splitHeads, mergeHeads,
} from './elementwise';
export { geluForward, geluBackward, softmaxForward, softmaxBackward, layerNormForward, layerNormBackward } from './norm';
export { binarizeWeight, signScale, binarizeRows, actQuantForward, actQuantBackward, adamw, heapBase } from './quant';
