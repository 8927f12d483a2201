/**
 * The .bitpack format: exact round trip of every tensor and of the engine's logits, FP16 only where exact, atomic
 * write, and one clear BitkitError per kind of damage (each naming the file, and the section where there is one).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PackedEngine } from '../../../runtime/engine/packed-engine.js';
import { packModel, type PackedModel } from '../../../runtime/engine/packed-model.js';
import { BitkitError } from '../../../runtime/errors.js';
import { decodeBitpack, encodeBitpack, readBitpack, writeBitpack } from '../../../runtime/io/bitpack.js';
import { crc32 } from '../../../runtime/io/crc32.js';
import { encodeSafetensors } from '../../../runtime/io/safetensors.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { tinyBatch, tinyModel } from '../model/tiny-model.js';
import { metaFor, tinyVocab } from '../engine/helpers.js';
import { refreshChecksums } from './bitpack-mutate.js';

function tinyPacked(): PackedModel {
  const m = tinyModel(1, 1);
  // LayerNorm gammas of exactly 1 are FP16-exact: they must go to the fp16 section; everything else stays fp32
  m.param('bert.encoder.layer.0.output.LayerNorm.weight').fill(1);
  return packModel(m, metaFor(m), tinyVocab);
}

function metadataOf(b: Uint8Array): { tensors: { name: string; section: string }[]; header: { stage: string } } {
  const d = new DataView(b.buffer, b.byteOffset);
  const n = d.getUint32(12, true);
  const off = 64 + n * 32;
  return JSON.parse(new TextDecoder().decode(b.subarray(off, off + Number(d.getBigUint64(32, true)))));
}

function expectError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BitkitError, `not a BitkitError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    assert.ok(e.hint && e.hint.length > 0);
    return true;
  });
}

test('crc32 is the zlib/PNG CRC-32', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const b = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
  assert.equal(crc32(b), 0x414fa339);
  assert.equal(crc32(b, 10, b.length, crc32(b, 0, 10)), 0x414fa339, 'continued');
});

test('round trip: every tensor, the header and the logits come back exactly; 64-bit aligned; fp16 only where exact', () => {
  const pm = tinyPacked();
  const bytes = encodeBitpack(pm);
  const back = decodeBitpack(bytes, 'tiny.bitpack');
  assert.deepEqual(back.header, pm.header);
  assert.equal(back.tensors.length, pm.tensors.length);
  for (let i = 0; i < pm.tensors.length; i++) {
    const a = pm.tensors[i]!;
    const b = back.tensors[i]!;
    assert.equal(b.name, a.name);
    assert.deepEqual(Array.from(b.data), Array.from(a.data), a.name);
  }
  const meta = metadataOf(bytes);
  const sectionOf = new Map(meta.tensors.map((t) => [t.name, t.section]));
  assert.equal(sectionOf.get('bert.encoder.layer.0.output.LayerNorm.weight'), 'fp16');
  assert.equal(sectionOf.get('bert.encoder.layer.0.output.LayerNorm.bias'), 'fp32');
  assert.equal(sectionOf.get('bert.encoder.layer.0.attention.self.query.weight.bits'), 'bits');
  assert.equal(sectionOf.get('bert.encoder.layer.0.attention.self.query.act_quant.shift'), 'shifts');
  const d = new DataView(bytes.buffer);
  for (let i = 0; i < d.getUint32(12, true); i++) assert.equal(Number(d.getBigUint64(64 + i * 32 + 16, true)) % 8, 0, 'section alignment');
  const want = new PackedEngine(pm, referenceKernels).forward(tinyBatch());
  const got = new PackedEngine(back, referenceKernels).forward(tinyBatch());
  assert.deepEqual(Array.from(got), Array.from(want));
  // an unaligned input buffer is copied, not misread
  const unaligned = new Uint8Array(bytes.length + 3).subarray(3);
  unaligned.set(bytes);
  assert.deepEqual(decodeBitpack(unaligned, 'u.bitpack').header, pm.header);
});

test('writeBitpack writes atomically; readBitpack reads the file back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-bitpack-'));
  try {
    const pm = tinyPacked();
    const path = join(dir, 'm.bitpack');
    const n = writeBitpack(path, pm);
    assert.equal(readFileSync(path).length, n);
    assert.deepEqual(readBitpack(path).header, pm.header);
    expectError(() => readBitpack(join(dir, 'missing.bitpack')), 'BK6201', /missing\.bitpack/);
    expectError(() => writeBitpack(join(dir, 'no', 'such', 'dir.bitpack'), pm), 'BK6216', /dir\.bitpack/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('damage of every kind is a clear BitkitError naming the file (and the section)', () => {
  const good = encodeBitpack(tinyPacked());
  const f = 'x.bitpack';
  expectError(() => decodeBitpack(new Uint8Array(0), f), 'BK6204', /x\.bitpack: the file is empty/);
  expectError(() => decodeBitpack(good.slice(0, 5), f), 'BK6204', /shorter than the 64-byte header/);
  expectError(() => decodeBitpack(good.slice(0, good.length - 9), f), 'BK6204', /truncated|header says/);
  const st = encodeSafetensors([{ name: 'w', shape: [2], data: Float32Array.of(1, 2) }]);
  expectError(() => decodeBitpack(st, f), 'BK6202', /safetensors/);
  const longer = new Uint8Array(good.length + 8);
  longer.set(good);
  expectError(() => decodeBitpack(longer, f), 'BK6215', /8 trailing bytes/);
  const flipped = good.slice();
  flipped[20] = flipped[20]! ^ 1;
  expectError(() => decodeBitpack(flipped, f), 'BK6205', /header checksum/);
  const newer = good.slice();
  new DataView(newer.buffer).setUint32(8, 2, true);
  refreshChecksums(newer);
  expectError(() => decodeBitpack(newer, f), 'BK6203', /version 2.*reads version 1/);
  const table = good.slice();
  table[64 + 3] = table[64 + 3]! ^ 0x40;
  expectError(() => decodeBitpack(table, f), 'BK6207', /section table checksum/);
  const meta = good.slice();
  meta[64 + new DataView(good.buffer).getUint32(12, true) * 32 + 5] ^= 1;
  expectError(() => decodeBitpack(meta, f), 'BK6208', /metadata checksum/);
  // a byte of the last section (the vocabulary)
  const data = good.slice();
  data[data.length - 20] = data[data.length - 20]! ^ 0x10;
  expectError(() => decodeBitpack(data, f), 'BK6211', /section "vocab" checksum/);
  // a section that runs past the end (checksums recomputed so the bounds check is what fires)
  const past = good.slice();
  new DataView(past.buffer).setBigUint64(64 + 24, BigInt(good.length), true);
  refreshChecksums(past);
  expectError(() => decodeBitpack(past, f), 'BK6206', /section "bits".*runs past the end/);
});

test('a missing tensor or a wrong shape names the tensor; an uninitialised scale cannot be exported', () => {
  const pm = tinyPacked();
  const missing = { ...pm, tensors: pm.tensors.filter((t) => t.name !== 'bert.encoder.layer.1.output.dense.bias') };
  expectError(() => decodeBitpack(encodeBitpack(missing), 'm.bitpack'), 'BK6212', /"bert\.encoder\.layer\.1\.output\.dense\.bias" \[8\] is missing/);
  const reshaped = { ...pm, tensors: pm.tensors.map((t) => (t.name === 'classifier.weight' ? { ...t, shape: [8, 3] } : t)) };
  expectError(() => decodeBitpack(encodeBitpack(reshaped), 'm.bitpack'), 'BK6212', /"classifier\.weight" has shape \[8, 3\], the architecture needs \[3, 8\]/);
  const m = tinyModel(1, 1);
  m.param('bert.encoder.layer.0.attention.self.key_layer.act_quant.scale')[0] = 0;
  expectError(() => packModel(m, metaFor(m), tinyVocab), 'BK6220', /key_layer is 0/);
});
