import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitkitError } from '../../../runtime/errors.js';
import { f16ToF32, f32ToBf16, f32ToF16 } from '../../../runtime/io/dtype.js';
import {
  decodeSafetensors, decodeSafetensorsHeader, encodeSafetensors, readSafetensors, readSafetensorsHeader,
  writeSafetensors, SAFETENSORS_ERRORS as E,
} from '../../../runtime/io/safetensors.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-st-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A safetensors file from a header (object or raw text) and data bytes; `length` overrides the u64 field. */
function build(header: object | string, data: Uint8Array | number[] = [], length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Assert that fn throws a BitkitError with this code whose message contains every fragment. */
function throwsBk(fn: () => unknown, code: string, ...fragments: string[]): BitkitError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BitkitError, `expected a BitkitError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const f of fragments) assert.ok(caught.message.includes(f), `message "${caught.message}" should mention "${f}"`);
  assert.ok(caught.hint, 'every error carries a hint');
  return caught;
}

const f32 = (...xs: number[]) => new Float32Array(xs);

test('F32 and F16 tensors round-trip through a file, in order, with metadata and an 8-byte-aligned header', (t) => {
  const path = join(tempDir(t), 'model.safetensors');
  const w = f32(0.25, -1.5, 3.1415927, 1e-3, 7, -8);
  const b = f32(1, 0.1, -65504, 2 ** -24, 1 / 3);
  writeSafetensors(path, [
    { name: 'bert.encoder.layer.0.attention.self.query.weight', shape: [2, 3], data: w },
    { name: 'classifier.bias', shape: [5], data: b, dtype: 'F16' },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
    { name: 'scalar', shape: [], data: f32(42) },
  ], { format: 'pt', producer: 'bitkit' });

  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0, 'header length is a multiple of 8');
  assert.equal(bytes.length, 8 + n + 6 * 4 + 5 * 2 + 0 + 4);
  assert.match(bytes.subarray(8, 8 + n).toString('utf8'), /^\{"__metadata__":\{"format":"pt","producer":"bitkit"\},.*\} *$/);

  const got = readSafetensors(path);
  assert.deepEqual(got.metadata, { format: 'pt', producer: 'bitkit' });
  assert.deepEqual([...got.tensors.keys()], ['bert.encoder.layer.0.attention.self.query.weight', 'classifier.bias', 'empty', 'scalar']);
  const q = got.tensors.get('bert.encoder.layer.0.attention.self.query.weight')!;
  assert.deepEqual(q, { dtype: 'F32', shape: [2, 3], data: w });
  const cb = got.tensors.get('classifier.bias')!;
  assert.equal(cb.dtype, 'F16');
  assert.deepEqual([...cb.data], [...b].map((x) => f16ToF32(f32ToF16(x))));
  assert.deepEqual([...cb.data].slice(0, 1), [1]);
  assert.equal(cb.data[2], -65504);
  assert.equal(cb.data[3], 2 ** -24);
  assert.deepEqual(got.tensors.get('empty'), { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
  assert.deepEqual(got.tensors.get('scalar'), { dtype: 'F32', shape: [], data: f32(42) });
  assert.equal(got.intTensors.size, 0);
  assert.deepEqual(readdirSync(join(path, '..')), ['model.safetensors'], 'no temp file left behind');
});

test('the header is padded with spaces to a multiple of 8 bytes, whatever the names', () => {
  for (let len = 1; len <= 8; len++) {
    const bytes = encodeSafetensors([{ name: 'x'.repeat(len), shape: [1], data: f32(len) }]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, `name length ${len}: header length ${n}`);
    assert.match(new TextDecoder().decode(bytes.subarray(8, 8 + n)), /^\{.*\} *$/);
    assert.deepEqual(decodeSafetensors(bytes, 'mem').tensors.get('x'.repeat(len))?.data, f32(len));
  }
});

test('encodeSafetensors and decodeSafetensors agree with the file functions', (t) => {
  const path = join(tempDir(t), 'm.safetensors');
  const tensors = [{ name: 'a', shape: [3], data: f32(1, 2, 3) }, { name: 'b', shape: [1, 1], data: f32(-1), dtype: 'F16' as const }];
  writeSafetensors(path, tensors);
  const encoded = encodeSafetensors(tensors);
  assert.deepEqual(new Uint8Array(readFileSync(path)), encoded);
  assert.deepEqual(decodeSafetensors(encoded, 'mem'), readSafetensors(path));
  assert.deepEqual(decodeSafetensors(encoded, 'mem').metadata, {});
});

test('hand-built file with BF16, F16, F64, I64 and I32 tensors at unaligned offsets', (t) => {
  // Data layout: F16 [3] at 0..6, BF16 [2] at 6..10 (not 4-aligned), F64 [1] at 10..18, I64 [2] at 18..34, I32 [1] at 34..38.
  const data = new Uint8Array(38);
  const dv = new DataView(data.buffer);
  [1, -2, 65504].forEach((x, i) => dv.setUint16(2 * i, f32ToF16(x), true));
  [1, -3.140625].forEach((x, i) => dv.setUint16(6 + 2 * i, f32ToBf16(x), true));
  dv.setFloat64(10, 0.5, true);
  dv.setBigInt64(18, 511n, true);
  dv.setBigInt64(26, -3n, true);
  dv.setInt32(34, -7, true);
  const header = {
    // keys deliberately not in storage order; "__metadata__" in the middle
    'bert.embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [18, 34] },
    h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
    __metadata__: { format: 'pt' },
    g: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
    d: { dtype: 'F64', shape: [1], data_offsets: [10, 18] },
    i: { dtype: 'I32', shape: [], data_offsets: [34, 38] },
  };
  const path = join(tempDir(t), 'hf.safetensors');
  writeFileSync(path, build(header, data));
  const got = readSafetensors(path);
  assert.deepEqual(got.metadata, { format: 'pt' });
  assert.deepEqual([...got.tensors.keys()], ['h', 'g', 'd'], 'storage order');
  assert.deepEqual(got.tensors.get('h'), { dtype: 'F16', shape: [3], data: f32(1, -2, 65504) });
  assert.deepEqual(got.tensors.get('g'), { dtype: 'BF16', shape: [2], data: f32(1, -3.140625) });
  assert.deepEqual(got.tensors.get('d'), { dtype: 'F64', shape: [1], data: f32(0.5) });
  assert.deepEqual(got.intTensors.get('bert.embeddings.position_ids'), { dtype: 'I64', shape: [1, 2], data: new Int32Array([511, -3]) });
  assert.deepEqual(got.intTensors.get('i'), { dtype: 'I32', shape: [], data: new Int32Array([-7]) });
});

test('readSafetensorsHeader reads only the 8 + N header bytes', (t) => {
  const path = join(tempDir(t), 'big.safetensors');
  const big = new Float32Array(256 * 1024); // 1 MiB of data that must not be read
  writeSafetensors(path, [{ name: 'w', shape: [512, 512], data: big }, { name: 'b', shape: [2], data: f32(1, 2), dtype: 'F16' }], { k: 'v' });
  const n = Number(readFileSync(path).readBigUInt64LE(0));

  let bytesRead = 0;
  const original = fs.readSync;
  fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
    const got = (original as (...a: unknown[]) => number)(...args);
    bytesRead += got;
    return got;
  }) as typeof fs.readSync;
  syncBuiltinESMExports();
  let header;
  try {
    header = readSafetensorsHeader(path);
  } finally {
    fs.readSync = original;
    syncBuiltinESMExports();
  }
  assert.equal(bytesRead, 8 + n);
  assert.deepEqual(header, {
    metadata: { k: 'v' },
    tensors: new Map([
      ['w', { dtype: 'F32', shape: [512, 512], dataOffsets: [0, 1048576] }],
      ['b', { dtype: 'F16', shape: [2], dataOffsets: [1048576, 1048580] }],
    ]),
    headerLength: n,
    dataStart: 8 + n,
    fileSize: 8 + n + 1048580,
  });
  assert.deepEqual(decodeSafetensorsHeader(readFileSync(path), 'mem'), header);
});

test('the select option loads only the chosen tensors', (t) => {
  const path = join(tempDir(t), 's.safetensors');
  writeFileSync(path, build({ keep: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, mask: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, new Uint8Array(8)));
  const got = readSafetensors(path, { select: (name) => name !== 'mask' });
  assert.deepEqual([...got.tensors.keys()], ['keep']);
  throwsBk(() => readSafetensors(path), E.unsupportedDtype, path, "'mask'", 'U8');
  assert.equal(readSafetensorsHeader(path).tensors.get('mask')?.dtype, 'U8', 'the header read still describes it');
});

// ---- corrupt and truncated files: each has its own code and names the file (and the tensor) ----

function writeCase(t: { after: (fn: () => void) => void }, bytes: Uint8Array): string {
  const path = join(tempDir(t), 'bad.safetensors');
  writeFileSync(path, bytes);
  return path;
}

const good = () => encodeSafetensors([{ name: 'w', shape: [4], data: f32(1, 2, 3, 4) }, { name: 'last', shape: [3], data: f32(5, 6, 7) }]);

test('a missing file is BK6001', () => {
  throwsBk(() => readSafetensors('/nonexistent/model.safetensors'), E.unreadable, '/nonexistent/model.safetensors');
});

test('a file shorter than 8 bytes is BK6002', (t) => {
  const path = writeCase(t, new Uint8Array([1, 2, 3]));
  const e = throwsBk(() => readSafetensors(path), E.tooShort, path, '3 bytes');
  assert.equal(e.place.file, path);
  throwsBk(() => readSafetensorsHeader(writeCase(t, new Uint8Array(0))), E.tooShort);
});

test('a file truncated inside its data is BK6009, naming the tensor and the expected size', (t) => {
  const full = good();
  const path = writeCase(t, full.subarray(0, full.length - 5));
  const e = throwsBk(() => readSafetensors(path), E.truncated, path, "'last'", 'truncated');
  assert.ok(e.hint!.includes(`expected ${full.length} bytes, found ${full.length - 5}`), e.hint);
  // The header alone is complete, but it already knows the data is missing.
  throwsBk(() => readSafetensorsHeader(path), E.truncated);
});

test('a file truncated inside its header, or a length field past the end, is BK6003', (t) => {
  const full = good();
  throwsBk(() => readSafetensorsHeader(writeCase(t, full.subarray(0, 20))), E.headerPastEnd, 'bad.safetensors', 'only 12 bytes');
  const lying = build({}, [], 5000n);
  throwsBk(() => readSafetensors(writeCase(t, lying)), E.headerPastEnd, '5000');
});

test('a header length above 100 MB is BK6004; a PyTorch zip is recognised in the hint', (t) => {
  const e = throwsBk(() => readSafetensors(writeCase(t, build({}, [], 1n << 40n))), E.headerTooLarge, 'bad.safetensors');
  assert.doesNotMatch(e.hint!, /PyTorch/);
  const zip = new Uint8Array(64);
  zip.set([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]);
  const z = throwsBk(() => readSafetensors(writeCase(t, zip)), E.headerTooLarge);
  assert.match(z.hint!, /PyTorch/);
});

test('a header that is not JSON, not UTF-8, or not an object is BK6005', (t) => {
  throwsBk(() => readSafetensors(writeCase(t, build('{"w": {"dtype": "F32", '))), E.badHeader, 'bad.safetensors', 'not valid JSON');
  const bad = build('{"a":1}');
  bad[9] = 0xff;
  throwsBk(() => readSafetensors(writeCase(t, bad)), E.badHeader, 'UTF-8');
  throwsBk(() => readSafetensors(writeCase(t, build('[1,2]'))), E.badHeader, 'JSON object');
  throwsBk(() => decodeSafetensors(build({ __metadata__: { epoch: 3 } }), 'mem.safetensors'), E.badHeader, 'mem.safetensors', 'epoch');
});

test('a malformed tensor entry is BK6006, naming the tensor', (t) => {
  const cases: object[] = [
    { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } },
    { w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 0] } },
    { w: { dtype: 'F32', shape: [1], data_offsets: [0] } },
    { w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } },
    { w: { shape: [1], data_offsets: [0, 4] } },
    { w: 'F32' },
  ];
  for (const header of cases) throwsBk(() => readSafetensors(writeCase(t, build(header, new Uint8Array(4)))), E.badEntry, 'bad.safetensors', "'w'");
});

test('an unknown dtype is BK6007', (t) => {
  const path = writeCase(t, build({ w: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  throwsBk(() => readSafetensorsHeader(path), E.unknownDtype, path, "'w'", 'F17');
});

test('data_offsets that disagree with the shape are BK6008', (t) => {
  const path = writeCase(t, build({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(24)));
  throwsBk(() => readSafetensors(path), E.sizeMismatch, path, "'w'", '24 bytes', 'hold 20');
  const tooMany = writeCase(t, build({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16)));
  throwsBk(() => readSafetensors(tooMany), E.sizeMismatch, "'w'", '12 bytes', 'hold 16');
  // A huge shape is caught by the same check before anything is allocated.
  const huge = writeCase(t, build({ w: { dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 4] } }, new Uint8Array(4)));
  throwsBk(() => readSafetensors(huge), E.sizeMismatch, "'w'");
});

test('data_offsets beyond the data buffer are BK6009', (t) => {
  const path = writeCase(t, build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, w: { dtype: 'F32', shape: [2], data_offsets: [1000, 1008] } }, new Uint8Array(8)));
  throwsBk(() => readSafetensors(path), E.truncated, path, "'w'", '[1000, 1008)', 'only 8 bytes');
});

test('overlapping tensors are BK6010', (t) => {
  const path = writeCase(t, build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)));
  throwsBk(() => readSafetensors(path), E.overlap, path, "'a'", "'b'");
});

test('an I64 value outside int32 is BK6012', (t) => {
  const data = new Uint8Array(16);
  new DataView(data.buffer).setBigInt64(8, 1n << 40n, true);
  const path = writeCase(t, build({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data));
  throwsBk(() => readSafetensors(path), E.intOutOfRange, path, "'ids'", String(1n << 40n));
});

// ---- writing ----

test('an invalid tensor list is BK6013 and creates no file', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.safetensors');
  const cases: [Parameters<typeof writeSafetensors>[1], string][] = [
    [[{ name: 'w', shape: [2, 2], data: f32(1, 2, 3) }], '4 elements'],
    [[{ name: 'w', shape: [1], data: f32(1) }, { name: 'w', shape: [1], data: f32(1) }], 'twice'],
    [[{ name: '__metadata__', shape: [1], data: f32(1) }], '__metadata__'],
    [[{ name: 'w', shape: [-1], data: f32() }], 'non-negative'],
    [[{ name: 'w', shape: [1], data: f32(1), dtype: 'BF16' as 'F16' }], 'BF16'],
  ];
  for (const [tensors, fragment] of cases) throwsBk(() => writeSafetensors(path, tensors), E.badTensorToWrite, path, fragment);
  throwsBk(() => writeSafetensors(path, [], { epoch: 3 as unknown as string }), E.badTensorToWrite, 'epoch');
  assert.deepEqual(readdirSync(dir), []);
});

test('a write that fails leaves no file at the target and no temp files (BK6014)', (t) => {
  const dir = tempDir(t);
  const tensors = [{ name: 'w', shape: [1024], data: new Float32Array(1024).fill(1) }];
  // The temp file is written in full, then the rename onto a folder fails.
  const folder = join(dir, 'model.safetensors');
  mkdirSync(folder);
  throwsBk(() => writeSafetensors(folder, tensors), E.writeFailed, folder);
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  assert.deepEqual(readdirSync(folder), []);
  // The folder does not exist: the hint says so.
  const e = throwsBk(() => writeSafetensors(join(dir, 'missing', 'm.safetensors'), tensors), E.writeFailed, 'missing');
  assert.match(e.hint!, /folder does not exist/);
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('overwriting keeps the old checkpoint until the new one is complete', (t) => {
  const path = join(tempDir(t), 'm.safetensors');
  writeSafetensors(path, [{ name: 'w', shape: [1], data: f32(1) }]);
  const before = readFileSync(path);
  assert.throws(() => writeSafetensors(path, [{ name: 'w', shape: [2], data: f32(1) }]));
  assert.deepEqual(readFileSync(path), before);
  writeSafetensors(path, [{ name: 'w', shape: [1], data: f32(2) }]);
  assert.deepEqual(readSafetensors(path).tensors.get('w')?.data, f32(2));
});
