/**
 * The scratch arena in the WASM module's linear memory. JavaScript typed arrays live outside that memory, so each
 * kernel call (1) reserves 16-byte-aligned regions for its operands with `take`, (2) `commit`s, which grows the
 * memory once if needed (the only moment the cached views are re-created), (3) copies inputs in with `put*`,
 * (4) runs the kernel on the offsets and (5) copies outputs back with `get*`. The arena restarts at the heap base
 * on every call, so memory is reused and grows to the largest call seen, never per call. Per call the JS side
 * creates only O(1) typed-array views (subarray) for the copies, never a data buffer.
 * Large element-wise calls are split by the kernel set into chunks of at most CHUNK elements per operand, which
 * bounds the arena for everything but one GEMM operand.
 */
import { BitkitError } from '../../errors.js';
import type { WasmExports, WasmMemory } from './module.js';

/** Elements per operand per chunked call (8 MiB of float32). */
export const CHUNK = 1 << 21;

const PAGE = 65536;

export class Arena {
  f32: Float32Array;
  u32: Uint32Array;
  private readonly memory: WasmMemory;
  private readonly base: number;
  private top: number;

  constructor(ex: WasmExports) {
    this.memory = ex.memory;
    this.base = (ex.heapBase() + 63) & ~63;
    this.top = this.base;
    this.f32 = new Float32Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
  }

  /** Starts a call: every region reserved before is free again. */
  begin(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (16-byte aligned) and returns its byte offset. Valid after `commit`. */
  take(bytes: number): number {
    const at = this.top;
    this.top = at + ((bytes + 15) & ~15);
    return at;
  }

  /** Makes every region taken so far addressable (grows the memory once; refreshes the views if it grew). */
  commit(): void {
    const need = this.top;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      // grow by at least a quarter to avoid growing by small steps call after call
      const pages = Math.max(Math.ceil((need - have) / PAGE), Math.ceil(have / PAGE / 4));
      try {
        this.memory.grow(pages);
      } catch {
        try {
          this.memory.grow(Math.ceil((need - have) / PAGE));
        } catch (err) {
          throw new BitkitError('BK7006', `the WASM kernels need ${need} bytes of linear memory, more than WebAssembly (32-bit) can give`, {
            hint: 'one operand is too large for the WASM kernel set: use --kernels native or reference, or a smaller batch',
            cause: err,
          });
        }
      }
      this.f32 = new Float32Array(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
  }

  /** Copies src[from, from + n) to byte offset `at`. */
  putF32(at: number, src: Float32Array, n: number, from = 0): void {
    if (n === 0) return;
    this.f32.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at >>> 2);
  }

  putU32(at: number, src: Uint32Array, n: number, from = 0): void {
    if (n === 0) return;
    this.u32.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at >>> 2);
  }

  /** Copies n floats at byte offset `at` to dst[to, to + n). */
  getF32(dst: Float32Array, at: number, n: number, to = 0): void {
    if (n === 0) return;
    const i = at >>> 2;
    dst.set(this.f32.subarray(i, i + n), to);
  }

  getU32(dst: Uint32Array, at: number, n: number, to = 0): void {
    if (n === 0) return;
    const i = at >>> 2;
    dst.set(this.u32.subarray(i, i + n), to);
  }
}
