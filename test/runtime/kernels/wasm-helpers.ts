// Shared by the wasm*.test.ts files: the WASM kernel set (or a skip reason when it is not built) and comparisons
// against the reference set.
import assert from 'node:assert/strict';
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { loadWasmKernels, wasmInfo } from '../../../runtime/kernels/wasm/index.js';
import { Rng } from '../../../runtime/util/rng.js';

const info = wasmInfo();
/** false when the module is built, else the reason the suites are skipped. */
export const skip: string | false = info.built ? false
  : `the WASM kernel module is not built (run \`node scripts/build-wasm.mjs\`); looked in ${info.searched.join(', ')}`;
/** The WASM kernel set (null when not built). */
export const W: Kernels | null = info.built ? loadWasmKernels() : null;

/** Normal random values with some exact specials (0, -0, clip edges...) sprinkled in. */
export function randArray(rng: Rng, n: number, special: number[] = [0]): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() < 0.1 ? special[rng.int(special.length)]! : rng.normal();
  return a;
}

/** |got - want| <= tol * (|want| + floor) element by element; floor defaults to 1e-6 of the largest |want|. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, floor?: number): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let big = 0;
  for (let i = 0; i < want.length; i++) big = Math.max(big, Math.abs(want[i]!));
  const f = floor ?? 1e-6 * big;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g), `${what}[${i}]: got ${g}, want NaN`);
      continue;
    }
    if (!(Math.abs(g - w) <= tol * (Math.abs(w) + f))) assert.fail(`${what}[${i}]: got ${g}, want ${w} (tolerance ${tol} relative)`);
  }
}

/** Exact equality, bit for bit (tolerance 0). */
export function assertExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (exact)`);
  }
}

/** Asserts that fn throws BitkitError BK7001 and that none of the `untouched` buffers changed. */
export function assertRejects(fn: () => unknown, untouched: Float32Array[] | Uint32Array[], what: string): void {
  const before = untouched.map((b) => b.slice());
  assert.throws(fn, (err: unknown) => (err as { code?: string }).code === 'BK7001', `${what}: expected BK7001`);
  untouched.forEach((b, i) => assertExact(b, before[i]!, `${what}: buffer ${i} written before the size check`));
}
