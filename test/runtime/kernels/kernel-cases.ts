/**
 * Valid arguments for every kernel of the Kernels interface (fresh random buffers on every call), shared by the
 * size-check tests of the reference set (sizes.test.ts) and the native set (native-api.test.ts).
 * Not a test file itself (the runner picks up *.test.ts only).
 */
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { Rng } from '../../../runtime/util/rng.js';

export type Buf = Float32Array | Int32Array | Uint32Array;
export type Method = Exclude<keyof Kernels, 'name'>;

const rng = new Rng(42);
const f = (n: number): Float32Array => new Float32Array(n).map(() => rng.normal());
const u = (n: number): Uint32Array => new Uint32Array(n).map(() => (rng.next() * 4294967296) >>> 0);

const M = 3;
const KK = 70;
const N = 4;
const R = 6;
const C = 5;
const B = 2;
const T = 3;
const NH = 2;
const HS = 2;
export const spec = { signed: false, bits: 4, offset: -0.5 };
export const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, step: 1, biasCorrection: true };

/** Valid arguments for each kernel (fresh buffers on every call). */
export const kernelCases: Record<Method, () => unknown[]> = {
  gemmNN: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, false, 2],
  gemmNT: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, true, 2],
  gemmTN: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, false, 2],
  packBits: () => [new Uint32Array(packedLength(M, KK)), f(M * KK), f(KK), 0, M, KK],
  // batch 2 with colScale and bias: every buffer's size depends on the batch
  binaryGemmSS: () => [f(2 * M * N), u(2 * packedLength(M, KK)), u(2 * packedLength(N, KK)), M, KK, N, 1, f(N), f(N), 2],
  binaryGemmUS: () => [f(2 * M * N), u(2 * packedLength(M, KK)), u(2 * packedLength(N, KK)), M, KK, N, 1, f(N), f(N), 2],
  binaryGemmSSBits: () => [new Uint32Array(2 * packedLength(M, N)), u(2 * packedLength(M, KK)), u(2 * packedLength(N, KK)), M, KK, N, 1, f(N), f(N), f(N), 0, 2],
  binaryGemmUSBits: () => [new Uint32Array(2 * packedLength(M, N)), u(2 * packedLength(M, KK)), u(2 * packedLength(N, KK)), M, KK, N, 1, f(N), f(N), f(N), 0.5, 2],
  attentionProbsBits: () => [new Uint32Array(B * NH * packedLength(T, T)), u(B * NH * packedLength(T, KK)), u(B * NH * packedLength(T, KK)), T, KK, T, 0.1, f(B * T), NH, f(T), 0.05, B * NH],
  packBitsTransposed: () => [new Uint32Array(packedLength(B * C, T)), f(B * T * C), f(C), 0, B, T, C],
  transposeBits: () => [new Uint32Array(packedLength(B * C, T)), u(packedLength(B * T, C)), B, T, C],
  residualLayerNorm: () => [f(R * C), f(R * C), f(R * C), f(C), f(C), R, C, 1e-5],
  binaryGemmLayerNorm: () => [f(M * N), false, u(packedLength(M, KK)), u(packedLength(N, KK)), M, KK, N, 1, f(N), f(N), f(M * N), f(N), f(N), 1e-5],
  addBias: () => [f(R * C), f(R * C), f(C), R, C],
  addBiasBackward: () => [f(C), f(R * C), R, C],
  add: () => [f(R), f(R), f(R), R],
  scale: () => [f(R), f(R), 2, R],
  reluForward: () => [f(R), f(R), R],
  reluBackward: () => [f(R), f(R), f(R), R],
  geluForward: () => [f(R), f(R), R],
  geluBackward: () => [f(R), f(R), f(R), R],
  tanhForward: () => [f(R), f(R), R],
  tanhBackward: () => [f(R), f(R), f(R), R],
  softmaxForward: () => [f(B * NH * T * T), f(B * NH * T * T), f(B * T), 0.5, B * NH * T, T, NH * T],
  softmaxBackward: () => [f(R * C), f(R * C), f(R * C), 0.5, R, C],
  layerNormForward: () => [f(R * C), f(R), f(R), f(R * C), f(C), f(C), R, C, 1e-5],
  layerNormBackward: () => [f(R * C), f(C), f(C), f(R * C), f(R * C), f(R), f(R).map(Math.abs), f(C), R, C],
  embeddingForward: () => [f(R * C), new Int32Array([0, 3, 1, 3, 2, 0]), f(4 * C), R, C],
  embeddingSumBinary: () => [f(R * C), new Int32Array([0, 3, 1, 3, 2, 0]), u(4 * packedLength(1, C)), f(4), new Int32Array([1, 0, 2, 2, 0, 1]), f(3 * C), new Int32Array([0, 1, 1, 0, 0, 1]), f(2 * C), R, C],
  embeddingBackward: () => [f(4 * C), f(R * C), new Int32Array([0, 3, 1, 3, 2, 0]), R, C],
  splitHeads: () => [f(B * T * NH * HS), f(B * T * NH * HS), B, T, NH, HS],
  mergeHeads: () => [f(B * T * NH * HS), f(B * T * NH * HS), B, T, NH, HS],
  sum: () => [f(R), R],
  sumAbs: () => [f(R), R],
  sumSquares: () => [f(R), R],
  min: () => [f(R), R],
  binarizeWeight: () => [f(R * C), f(R * C), R * C, true],
  binarizeRows: () => [f(R * C), f(R), f(R * C), R, C, true],
  actQuantForward: () => [f(R * C), f(R * C), f(C), 0.3, spec, R, C],
  actQuantBackward: () => [f(R * C), f(C), f(R * C), f(R * C), f(C), 0.3, spec, R, C],
  adamw: () => [f(R), f(R), f(R), f(R).map(Math.abs), R, opts],
};

export function call(k: Kernels, name: Method, args: unknown[]): unknown {
  return (k[name] as (...a: unknown[]) => unknown)(...args);
}

export function isBuf(a: unknown): a is Buf {
  return a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint32Array;
}
