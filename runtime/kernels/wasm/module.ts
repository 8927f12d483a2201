/**
 * Finding, compiling and instantiating the WASM kernel module (built from ./assembly by scripts/build-wasm.mjs).
 * Synchronous: the module is small (tens of KiB), so `new WebAssembly.Module` on the main thread is fine.
 *
 * Where the .wasm is looked for, first hit wins: the `wasmPath` option, the environment variable BITKIT_WASM_PATH,
 * then build/bitkit-kernels.wasm next to this file (the source tree), then runtime/kernels/wasm/build/ from a bundle
 * in dist/ (package root one level up).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BitkitError } from '../../errors.js';

export const WASM_FILE = 'bitkit-kernels.wasm';

const BUILD_HINT = 'build it with `node scripts/build-wasm.mjs` (AssemblyScript, offline, a few seconds), ' +
  'or run with --kernels reference';

// The project compiles against lib ES2022 + @types/node, which do not declare the WebAssembly namespace: the few
// members used here are typed locally.
/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports: every kernel takes byte offsets into `memory` (see assembly/index.ts). */
export interface WasmExports {
  memory: WasmMemory;
  heapBase(): number;
  gemmWorkspaceBytes(): number;
  binaryWorkspaceBytes(M: number, K: number, N: number): number;
  gemmNN(C: number, A: number, B: number, M: number, K: number, N: number, acc: number, batch: number, ws: number): void;
  gemmNT(C: number, A: number, B: number, M: number, K: number, N: number, acc: number, batch: number, ws: number): void;
  gemmTN(C: number, A: number, B: number, M: number, K: number, N: number, acc: number, batch: number, ws: number): void;
  packBits(out: number, x: number, shift: number, hasShift: number, threshold: number, R: number, K: number): void;
  binaryGemmSS(C: number, A: number, B: number, M: number, K: number, N: number, scale: number, col: number, hasCol: number, ws: number): void;
  binaryGemmUS(C: number, P: number, V: number, M: number, K: number, N: number, scale: number, col: number, hasCol: number, ws: number): void;
  addBias(y: number, x: number, bias: number, R: number, C: number): void;
  addBiasBackward(dBias: number, dY: number, R: number, C: number, tmp: number): void;
  add(y: number, a: number, b: number, n: number): void;
  scale(y: number, x: number, s: number, n: number): void;
  reluForward(y: number, x: number, n: number): void;
  reluBackward(dX: number, dY: number, x: number, n: number): void;
  geluForward(y: number, x: number, n: number): void;
  geluBackward(dX: number, dY: number, x: number, n: number): void;
  tanhForward(y: number, x: number, n: number): void;
  tanhBackward(dX: number, dY: number, y: number, n: number): void;
  softmaxForward(y: number, x: number, mask: number, hasMask: number, scale: number, R: number, C: number, rowsPerMask: number, r0: number, m0: number): void;
  softmaxBackward(dX: number, dY: number, y: number, scale: number, R: number, C: number): void;
  layerNormForward(y: number, mean: number, rstd: number, x: number, gamma: number, beta: number, R: number, C: number, eps: number): void;
  layerNormBackward(dX: number, dGamma: number, dBeta: number, dY: number, x: number, mean: number, rstd: number, gamma: number, R: number, C: number): void;
  splitHeads(y: number, x: number, B: number, T: number, NH: number, HS: number): void;
  mergeHeads(y: number, x: number, B: number, T: number, NH: number, HS: number): void;
  sum(x: number, n: number): number;
  sumAbs(x: number, n: number): number;
  sumSquares(x: number, n: number): number;
  min(x: number, n: number): number;
  binarizeWeight(wb: number, w: number, n: number, centred: number): number;
  signScale(wb: number, w: number, n: number, centre: number, alpha: number): void;
  binarizeRows(eb: number, rowScale: number, e: number, R: number, C: number, centre: number): void;
  actQuantForward(y: number, x: number, shift: number, hasShift: number, a: number, sign1: number, qn: number, qp: number, off: number, R: number, C: number): void;
  actQuantBackward(dX: number, dShift: number, hasDShift: number, dY: number, x: number, shift: number, hasShift: number, a: number, sign1: number,
    qn: number, qp: number, off: number, R: number, C: number): number;
  adamw(param: number, grad: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number,
    bc1: number, bc2: number): void;
}

/** Where the .wasm may be, in search order. */
export function wasmCandidates(wasmPath?: string): string[] {
  const out: string[] = [];
  if (wasmPath) out.push(wasmPath);
  const env = process.env.BITKIT_WASM_PATH;
  if (env) out.push(env);
  out.push(fileURLToPath(new URL(`./build/${WASM_FILE}`, import.meta.url)));
  out.push(fileURLToPath(new URL(`../runtime/kernels/wasm/build/${WASM_FILE}`, import.meta.url)));
  return out;
}

/** The first candidate that exists, or null. */
export function findWasm(wasmPath?: string): string | null {
  for (const p of wasmCandidates(wasmPath)) if (existsSync(p)) return p;
  return null;
}

let cached: { path: string; module: object } | null = null;

/** Compiles the module (once per path) and returns a fresh instance's exports. Throws BK7005 when not built. */
export function instantiate(wasmPath?: string): { exports: WasmExports; path: string } {
  const path = findWasm(wasmPath);
  if (path === null) {
    throw new BitkitError('BK7005', `the WASM kernel set is not built (looked for ${wasmCandidates(wasmPath).join(', ')})`, { hint: BUILD_HINT });
  }
  if (cached === null || cached.path !== path) {
    let module: object;
    try {
      module = new WA.Module(readFileSync(path));
    } catch (err) {
      throw new BitkitError('BK7005', `the WASM kernel module ${path} does not compile: ${(err as Error).message}`, {
        hint: 'rebuild it with `node scripts/build-wasm.mjs`; it needs WebAssembly SIMD (Node >= 16.4)', cause: err,
      });
    }
    cached = { path, module };
  }
  const instance = new WA.Instance(cached.module, {});
  return { exports: instance.exports as unknown as WasmExports, path };
}
