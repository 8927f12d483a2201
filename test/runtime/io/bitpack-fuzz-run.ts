/**
 * The fuzz loop shared by bitpack-fuzz.test.ts (2,000 cases in `npm test`) and bench/fuzz-bitpack.ts (10,000+):
 * every mutated file must give a BitkitError naming the file, or (only for mutations that recomputed the
 * checksums) load as a valid model that then runs one batch without crashing. Tracks the slowest case.
 */
import { PackedEngine } from '../../../runtime/engine/packed-engine.js';
import { BitkitError } from '../../../runtime/errors.js';
import { decodeBitpack } from '../../../runtime/io/bitpack.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import type { Batch } from '../../../runtime/model/types.js';
import { Rng } from '../../../runtime/util/rng.js';
import { mutate, RECHECKSUMMED, type MutationKind } from './bitpack-mutate.js';

export interface FuzzReport {
  cases: number;
  /** BitkitErrors by code. */
  errors: Record<string, number>;
  /** Mutations (checksums recomputed) that still form a valid file, and ran one batch. */
  loaded: number;
  byKind: Record<string, number>;
  /** Failures of the contract: not a BitkitError, an error not naming the file, a valid load of a damaged file. */
  failures: string[];
  slowestMs: number;
}

export function fuzzBitpack(good: Uint8Array, cases: number, seed: number, batch: Batch): FuzzReport {
  const rng = new Rng(seed);
  const r: FuzzReport = { cases, errors: {}, loaded: 0, byKind: {}, failures: [], slowestMs: 0 };
  const name = 'fuzz-case.bitpack';
  for (let i = 0; i < cases; i++) {
    const { bytes, kind } = mutate(good, rng);
    r.byKind[kind] = (r.byKind[kind] ?? 0) + 1;
    const t0 = performance.now();
    try {
      const pm = decodeBitpack(bytes, name);
      if (!RECHECKSUMMED.has(kind as MutationKind) && !sameBytes(bytes, good)) r.failures.push(`case ${i} (${kind}): a damaged file loaded without an error`);
      new PackedEngine(pm, referenceKernels).forward(batch);
      r.loaded++;
    } catch (e) {
      if (!(e instanceof BitkitError)) r.failures.push(`case ${i} (${kind}): ${(e as Error).name}: ${(e as Error).message}`);
      else {
        r.errors[e.code] = (r.errors[e.code] ?? 0) + 1;
        const named = e.message.includes(name) || e.place.file === name || /^BK5|^BK7/.test(e.code);
        if (!named) r.failures.push(`case ${i} (${kind}): ${e.code} does not name the file: ${e.message}`);
      }
    }
    r.slowestMs = Math.max(r.slowestMs, performance.now() - t0);
  }
  return r;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
