/**
 * Picks the kernel set a command runs on (`--kernels` / the recipe's `kernels:`).
 *
 *   native     the C++ N-API addon (runtime/kernels/native/): AVX-512 / AVX2 / portable, multi-threaded
 *   wasm       the WebAssembly SIMD128 module (runtime/kernels/wasm/): any platform, one thread
 *   reference  the plain TypeScript set (runtime/kernels/reference.ts): the definition of truth, slowest
 *   auto       native, else WASM, else reference; the selection says which it picked and why
 *
 * An explicit choice that cannot load is an error (BK7004 / BK7005 with a hint); `auto` falls back with one
 * warning and never crashes.
 */
import { BitkitError, isBitkitError } from '../errors.js';
import type { KernelsChoice } from '../recipe/types.js';
import type { Kernels } from './kernels.js';
import { loadNativeKernels, type NativeKernels } from './native/index.js';
import { referenceKernels } from './reference.js';
import { loadWasmKernels } from './wasm/index.js';

export interface KernelSelection {
  kernels: Kernels;
  /** Why this set was picked (printed by the CLI). */
  reason: string;
  /** Set when auto fell back from a faster set: what failed (shown once as a warning). */
  fallback?: string;
}

export interface KernelOptions {
  /** Threads of the native set; 0 or undefined = all cores. */
  threads?: number;
}

const cache = new Map<string, Kernels>();

function native(options: KernelOptions): NativeKernels {
  const key = `native:${options.threads ?? 0}`;
  let k = cache.get(key) as NativeKernels | undefined;
  if (!k) {
    k = loadNativeKernels(options.threads ? { threads: options.threads } : {});
    cache.set(key, k);
  }
  return k;
}

function wasm(): Kernels {
  let k = cache.get('wasm');
  if (!k) {
    k = loadWasmKernels();
    cache.set('wasm', k);
  }
  return k;
}

export function selectKernels(choice: KernelsChoice, options: KernelOptions = {}): KernelSelection {
  switch (choice) {
    case 'reference':
      return { kernels: referenceKernels, reason: 'requested: the TypeScript reference set' };
    case 'native':
      return { kernels: native(options), reason: 'requested: the native set' };
    case 'wasm':
      return { kernels: wasm(), reason: 'requested: the WASM set' };
    case 'auto': {
      const failures: string[] = [];
      try {
        const k = native(options);
        return { kernels: k, reason: `auto: native addon loaded (${k.name})` };
      } catch (e) {
        failures.push(`native: ${describe(e)}`);
      }
      try {
        const k = wasm();
        return { kernels: k, reason: 'auto: the native addon is not available, using WASM', fallback: failures.join('; ') };
      } catch (e) {
        failures.push(`wasm: ${describe(e)}`);
      }
      return { kernels: referenceKernels, reason: 'auto: neither the native addon nor the WASM module is available, using the TypeScript reference', fallback: failures.join('; ') };
    }
    default:
      throw new BitkitError('BK9001', `unknown kernel set "${String(choice)}"`, { hint: 'use auto, native, wasm or reference' });
  }
}

function describe(e: unknown): string {
  return isBitkitError(e) ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : (e as Error).message;
}
