/**
 * The native kernel set: a C++17 N-API addon (runtime/kernels/native/src/) implementing every method of the Kernels
 * interface with the reference's semantics, dispatched at run time on CPU features and multi-threaded over a
 * persistent thread pool.
 *
 * Paths: 'amx' (the AVX-512 path with AMX-INT8 tile binary GEMMs), 'avx512' (AVX-512 F/BW/DQ/VL + VPOPCNTDQ),
 * 'avx2' (AVX2 + FMA + POPCNT), 'portable' (plain C++). 'auto'
 * takes the best the CPU supports. The path is chosen per kernel set: option `path`, else the environment variable
 * BITKIT_KERNEL_PATH, else auto; a path the CPU lacks is an error (BK7004). Threads: option `threads`, else
 * BITKIT_THREADS, else every core this process may run on; `setThreads(n)` changes it later.
 *
 * Build: `node scripts/build-native.mjs` (node-gyp; output in runtime/kernels/native/build/, git-ignored).
 * BITKIT_NATIVE_ADDON=/path/to/bitkit_native.node loads the addon from elsewhere (e.g. next to a bundle).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BitkitError } from '../../errors.js';
import type { ActQuantSpec, AdamWOptions, Kernels } from '../kernels.js';

export type NativePath = 'amx' | 'avx512' | 'avx2' | 'portable';

export interface NativeOptions {
  /** Threads per call (the caller included); default BITKIT_THREADS or every available core. */
  threads?: number;
  /** Dispatch path; default BITKIT_KERNEL_PATH or 'auto' (the best the CPU supports). */
  path?: 'auto' | NativePath;
}

export interface NativeInfo {
  /** Paths compiled into the addon (non-x86 builds have only 'portable'). */
  compiled: NativePath[];
  /** Paths this CPU can run, best first. */
  available: NativePath[];
  /** The path `loadNativeKernels()` picks with no options (BITKIT_KERNEL_PATH honoured). */
  chosen: NativePath;
  /** The default thread count (BITKIT_THREADS or the available cores). */
  threads: number;
  /** Cores this process may run on. */
  hardwareThreads: number;
  /** CPU features the dispatch looks at. */
  cpu: Record<string, boolean>;
  /** Where the addon was loaded from. */
  addonPath: string;
}

/** The Kernels interface plus the native extras. */
export interface NativeKernels extends Kernels {
  readonly path: NativePath;
  /** Threads per call (the caller included). */
  readonly threads: number;
  /** Changes the thread count of this set (1..256); the pool grows once, never per call. */
  setThreads(n: number): void;
}

const PATHS: readonly NativePath[] = ['amx', 'avx512', 'avx2', 'portable'];
const SIZE_HINT = 'the sizes passed to the kernel do not match its buffers: this is a shape bug in the caller ' +
  '(model, trainer or engine), not in the recipe';
const BUILD_HINT = 'build it with `node scripts/build-native.mjs` (needs g++, make and python3; node-gyp comes with ' +
  'npm), or run with --kernels reference';

type Fn = (...args: never[]) => unknown;

/** What the addon's createSet returns: the kernels with flattened spec/options arguments (see src/addon.cc). */
interface AddonSet {
  path: NativePath;
  setThreads(n: number): void;
  getThreads(): number;
  [kernel: string]: unknown;
}

interface Addon {
  abi: number;
  createSet(path: NativePath, threads: number): AddonSet;
  info(): { compiled: NativePath[]; supported: NativePath[]; best: NativePath; hardwareThreads: number; features: Record<string, boolean> };
}

let addon: Addon | null = null;
let addonPath = '';
let loadError: unknown = null;

const ADDON = 'build/Release/bitkit_native.node';

/** Where the addon may be: beside this file (source tree), or under the package root when this code is bundled. */
function addonCandidates(): string[] {
  if (process.env.BITKIT_NATIVE_ADDON) return [process.env.BITKIT_NATIVE_ADDON];
  return [`./${ADDON}`, `../runtime/kernels/native/${ADDON}`, `../../runtime/kernels/native/${ADDON}`]
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

function loadAddon(): Addon {
  if (addon !== null) return addon;
  if (loadError === null) {
    const candidates = addonCandidates();
    const path = candidates.find((p) => existsSync(p));
    try {
      if (path === undefined) throw new Error(`${candidates[0]} does not exist`);
      const a = createRequire(import.meta.url)(path) as Addon;
      if (a.abi !== 3) throw new Error(`${path} is an incompatible build (abi ${String(a.abi)}, needs 3): rebuild it`);
      addon = a;
      addonPath = path;
      return a;
    } catch (e) {
      loadError = e;
    }
  }
  const why = loadError instanceof Error ? loadError.message : String(loadError);
  throw new BitkitError('BK7004', `the native kernel addon is not built or failed to load: ${why}`, { hint: BUILD_HINT, cause: loadError });
}

/** True when the addon is built and loads (never throws). */
export function nativeAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

function envThreads(): number | undefined {
  const v = process.env.BITKIT_THREADS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new BitkitError('BK7004', `BITKIT_THREADS is "${v}", needs an integer 1..256`, { hint: 'unset it to use every core' });
  }
  return n;
}

function envPath(): 'auto' | NativePath | undefined {
  const v = process.env.BITKIT_KERNEL_PATH;
  if (v === undefined || v === '') return undefined;
  if (v !== 'auto' && !PATHS.includes(v as NativePath)) {
    throw new BitkitError('BK7004', `BITKIT_KERNEL_PATH is "${v}", needs auto, amx, avx512, avx2 or portable`, { hint: 'unset it to pick the best path' });
  }
  return v as 'auto' | NativePath;
}

function resolvePath(a: Addon, requested: 'auto' | NativePath | undefined): NativePath {
  const want = requested ?? envPath() ?? 'auto';
  const info = a.info();
  if (want === 'auto') return info.best;
  if (!PATHS.includes(want)) {
    throw new BitkitError('BK7004', `kernel path "${String(want)}" is unknown, needs auto, amx, avx512, avx2 or portable`, { hint: 'use path: "auto"' });
  }
  if (!info.supported.includes(want)) {
    const why = info.compiled.includes(want) ? 'this CPU lacks its instructions' : 'it is not compiled into this build';
    throw new BitkitError('BK7004', `native kernel path "${want}" cannot run here: ${why}`, {
      hint: `available paths: ${info.supported.join(', ')} (or leave the path on auto)`,
    });
  }
  return want;
}

/** Where the addon stands: paths, the default choice, threads and the CPU features the dispatch reads. */
export function nativeInfo(): NativeInfo {
  const a = loadAddon();
  const info = a.info();
  return {
    compiled: info.compiled,
    available: info.supported,
    chosen: resolvePath(a, undefined),
    threads: envThreads() ?? info.hardwareThreads,
    hardwareThreads: info.hardwareThreads,
    cpu: info.features,
    addonPath,
  };
}

/** "BK7001|kernel: message|hint" thrown by the addon -> BitkitError; anything else passes through. */
function convert(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const m = /^(BK\d{4})\|([^|]*)(?:\|(.*))?$/s.exec(e.message);
  if (m === null) return e;
  const code = m[1]!;
  return new BitkitError(code, m[2]!, { hint: m[3] ?? (code === 'BK7001' ? SIZE_HINT : undefined) });
}

function guard<F extends Fn>(f: F): F {
  return ((...args: Parameters<F>) => {
    try {
      return f(...args);
    } catch (e) {
      throw convert(e);
    }
  }) as F;
}

/**
 * Loads the native kernel set. Throws BK7004 when the addon is not built or fails to load, when the requested path
 * cannot run on this CPU, or when the thread count is invalid.
 */
export function loadNativeKernels(options: NativeOptions = {}): NativeKernels {
  const a = loadAddon();
  const path = resolvePath(a, options.path);
  const threads = options.threads ?? envThreads() ?? a.info().hardwareThreads;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new BitkitError('BK7004', `threads is ${threads}, needs an integer 1..256`, { hint: 'leave it unset to use every core' });
  }
  let set: AddonSet;
  try {
    set = a.createSet(path, threads);
  } catch (e) {
    throw convert(e);
  }
  // The kernels, each bound once; those with option objects flatten them for the addon.
  const k = (name: string): Fn => guard(set[name] as Fn);
  const actF = set.actQuantForward as (...a: unknown[]) => void;
  const actB = set.actQuantBackward as (...a: unknown[]) => number;
  const adam = set.adamw as (...a: unknown[]) => void;
  const kernels: NativeKernels = {
    name: `native (${path})`,
    path,
    get threads() {
      return set.getThreads();
    },
    setThreads: guard((n: number) => {
      if (!Number.isInteger(n) || n < 1 || n > 256) {
        throw new BitkitError('BK7004', `threads is ${n}, needs an integer 1..256`, { hint: 'the number of threads each call may use' });
      }
      set.setThreads(n);
    }),
    gemmNN: k('gemmNN') as Kernels['gemmNN'],
    gemmNT: k('gemmNT') as Kernels['gemmNT'],
    gemmTN: k('gemmTN') as Kernels['gemmTN'],
    packBits: k('packBits') as Kernels['packBits'],
    binaryGemmSS: k('binaryGemmSS') as Kernels['binaryGemmSS'],
    binaryGemmUS: k('binaryGemmUS') as Kernels['binaryGemmUS'],
    binaryGemmSSBits: k('binaryGemmSSBits') as Kernels['binaryGemmSSBits'],
    binaryGemmUSBits: k('binaryGemmUSBits') as Kernels['binaryGemmUSBits'],
    packBitsTransposed: k('packBitsTransposed') as Kernels['packBitsTransposed'],
    transposeBits: k('transposeBits') as Kernels['transposeBits'],
    attentionProbsBits: k('attentionProbsBits') as Kernels['attentionProbsBits'],
    residualLayerNorm: k('residualLayerNorm') as Kernels['residualLayerNorm'],
    binaryGemmLayerNorm: k('binaryGemmLayerNorm') as Kernels['binaryGemmLayerNorm'],
    addBias: k('addBias') as Kernels['addBias'],
    addBiasBackward: k('addBiasBackward') as Kernels['addBiasBackward'],
    add: k('add') as Kernels['add'],
    scale: k('scale') as Kernels['scale'],
    reluForward: k('reluForward') as Kernels['reluForward'],
    reluBackward: k('reluBackward') as Kernels['reluBackward'],
    geluForward: k('geluForward') as Kernels['geluForward'],
    geluBackward: k('geluBackward') as Kernels['geluBackward'],
    tanhForward: k('tanhForward') as Kernels['tanhForward'],
    tanhBackward: k('tanhBackward') as Kernels['tanhBackward'],
    softmaxForward: k('softmaxForward') as Kernels['softmaxForward'],
    softmaxBackward: k('softmaxBackward') as Kernels['softmaxBackward'],
    layerNormForward: k('layerNormForward') as Kernels['layerNormForward'],
    layerNormBackward: k('layerNormBackward') as Kernels['layerNormBackward'],
    embeddingForward: k('embeddingForward') as Kernels['embeddingForward'],
    embeddingBackward: k('embeddingBackward') as Kernels['embeddingBackward'],
    embeddingSumBinary: k('embeddingSumBinary') as Kernels['embeddingSumBinary'],
    splitHeads: k('splitHeads') as Kernels['splitHeads'],
    mergeHeads: k('mergeHeads') as Kernels['mergeHeads'],
    sum: k('sum') as Kernels['sum'],
    sumAbs: k('sumAbs') as Kernels['sumAbs'],
    sumSquares: k('sumSquares') as Kernels['sumSquares'],
    min: k('min') as Kernels['min'],
    binarizeWeight: k('binarizeWeight') as Kernels['binarizeWeight'],
    binarizeRows: k('binarizeRows') as Kernels['binarizeRows'],
    actQuantForward: guard((y: Float32Array, x: Float32Array, shift: Float32Array | null, s: number, spec: ActQuantSpec, R: number, C: number) =>
      actF(y, x, shift, s, spec.signed, spec.bits, spec.offset, R, C)),
    actQuantBackward: guard((dX: Float32Array, dShift: Float32Array | null, dY: Float32Array, x: Float32Array, shift: Float32Array | null,
      s: number, spec: ActQuantSpec, R: number, C: number) => actB(dX, dShift, dY, x, shift, s, spec.signed, spec.bits, spec.offset, R, C)),
    adamw: guard((param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, opts: AdamWOptions) => {
      const { lr, beta1, beta2, eps, weightDecay, step, biasCorrection } = opts;
      // the bias corrections computed here, with the reference's own `**`, so that both sets use the same values;
      // an invalid step is reported by the addon (BK7002) after its size checks, in the reference's order
      const badStep = biasCorrection && !(Number.isSafeInteger(step) && step >= 1);
      const bc1 = biasCorrection ? 1 - beta1 ** step : 1;
      const bc2 = biasCorrection ? 1 - beta2 ** step : 1;
      adam(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, badStep, step);
    }),
  };
  return kernels;
}
