/**
 * Mutations of a valid `.bitpack` for the fuzz test (bitpack-fuzz.test.ts) and bench/fuzz-bitpack.ts. Half of the
 * kinds damage bytes as a disk or a transfer would (every one must be caught by a size or checksum check); the other
 * half change a field and then recompute the checksums, so that the mutation reaches the parsers and the model
 * assembly behind them (such a file may also be valid, e.g. a changed metric value).
 */
import { crc32 } from '../../../runtime/io/crc32.js';
import type { Rng } from '../../../runtime/util/rng.js';

export type MutationKind = 'flip-bits' | 'truncate' | 'append' | 'zero-run' | 'header-field' | 'table-field' | 'metadata-char' | 'section-bytes';
export const MUTATION_KINDS: MutationKind[] = ['flip-bits', 'truncate', 'append', 'zero-run', 'header-field', 'table-field', 'metadata-char', 'section-bytes'];
/** Kinds that recompute checksums (their result may be a valid file). */
export const RECHECKSUMMED: ReadonlySet<MutationKind> = new Set(['header-field', 'table-field', 'metadata-char', 'section-bytes']);

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Recompute the header, section table, metadata and section checksums of a (mutated) file, as far as its fields allow. */
export function refreshChecksums(b: Uint8Array): void {
  if (b.length < 64) return;
  const d = dv(b);
  const n = Math.min(d.getUint32(12, true), 16);
  const metaOffset = 64 + n * 32;
  const metaLength = Number(d.getBigUint64(32, true));
  if (metaOffset <= b.length) {
    for (let i = 0; i < n; i++) {
      const at = 64 + i * 32;
      const off = Number(d.getBigUint64(at + 16, true));
      const len = Number(d.getBigUint64(at + 24, true));
      if (off + len <= b.length) d.setUint32(at + 12, crc32(b, off, off + len), true);
    }
    if (metaOffset + metaLength <= b.length) d.setUint32(40, crc32(b, metaOffset, metaOffset + metaLength), true);
    d.setUint32(44, crc32(b, 64, metaOffset), true);
  }
  d.setUint32(60, crc32(b, 0, 60), true);
}

const INTERESTING = [0, 1, 2, 7, 8, 63, 64, 0x7fffffff, 0xffffffff, 0x80000000, 12345678];

/** One mutated copy of `src`. */
export function mutate(src: Uint8Array, rng: Rng, kind: MutationKind = MUTATION_KINDS[rng.int(MUTATION_KINDS.length)]!): { bytes: Uint8Array; kind: MutationKind } {
  let b = src.slice();
  const d = () => dv(b);
  switch (kind) {
    case 'flip-bits': {
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      }
      break;
    }
    case 'truncate':
      b = b.slice(0, rng.int(b.length));
      break;
    case 'append': {
      const extra = new Uint8Array(1 + rng.int(64));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256);
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      b = out;
      break;
    }
    case 'zero-run': {
      const at = rng.int(b.length);
      b.fill(0, at, Math.min(b.length, at + 1 + rng.int(256)));
      break;
    }
    case 'header-field': {
      const at = 8 + 4 * rng.int(13); // a u32 of bytes 8..59
      d().setUint32(at, rng.int(2) ? INTERESTING[rng.int(INTERESTING.length)]! : (d().getUint32(at, true) + rng.int(17) - 8) >>> 0, true);
      refreshChecksums(b);
      break;
    }
    case 'table-field': {
      const n = Math.max(1, d().getUint32(12, true));
      const at = 64 + 32 * rng.int(Math.min(n, 16)) + 4 * rng.int(8);
      if (at + 4 <= b.length) d().setUint32(at, rng.int(2) ? INTERESTING[rng.int(INTERESTING.length)]! : (d().getUint32(at, true) + (rng.int(33) - 16) * 8) >>> 0, true);
      refreshChecksums(b);
      break;
    }
    case 'metadata-char': {
      // replace characters of the JSON (digits by digits most of the time: shapes, offsets, dimensions)
      const n = d().getUint32(12, true);
      const start = 64 + n * 32;
      const len = Number(d().getBigUint64(32, true));
      const k = 1 + rng.int(3);
      for (let i = 0; i < k && len > 0; i++) {
        const at = start + rng.int(len);
        if (at >= b.length) continue;
        const c = b[at]!;
        if (c >= 0x30 && c <= 0x39) b[at] = 0x30 + rng.int(10);
        else if (rng.int(4) === 0) b[at] = 0x20 + rng.int(95);
      }
      refreshChecksums(b);
      break;
    }
    case 'section-bytes': {
      const n = Math.min(d().getUint32(12, true), 16);
      const at = 64 + 32 * rng.int(Math.max(1, n));
      const off = Number(d().getBigUint64(at + 16, true));
      const len = Number(d().getBigUint64(at + 24, true));
      if (len > 0 && off + len <= b.length) {
        for (let i = 0; i < 1 + rng.int(4); i++) b[off + rng.int(len)] = rng.int(256);
      }
      refreshChecksums(b);
      break;
    }
  }
  return { bytes: b, kind };
}
