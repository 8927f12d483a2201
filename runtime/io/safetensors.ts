/**
 * The safetensors format (Hugging Face's model.safetensors), read and written without dependencies.
 *
 * Layout:  [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header, may be padded with spaces] [data buffer]
 * Header:  {"__metadata__": {string: string}, "<tensor name>": {"dtype": "F32", "shape": [d0, d1, ...],
 *           "data_offsets": [begin, end]}, ...}; offsets are byte offsets into the data buffer, little-endian data.
 *
 * Reading validates everything before allocating anything a corrupt header could make huge: the header length
 * against the file size and a 100 MB cap, the JSON, each tensor's dtype, shape and offsets (inside the data buffer,
 * end - begin = prod(shape) * dtype size, no overlaps). F32, F16, BF16 and F64 tensors come back as Float32Array;
 * I64 and I32 (e.g. BERT's `position_ids` buffer) as Int32Array in `intTensors`. Writing goes through
 * writeFileAtomic, so a crash never leaves a partial checkpoint at the target path.
 *
 * Errors are BitkitErrors with codes BK600x-BK601x (see SAFETENSORS_ERRORS), naming the file and the tensor.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BitkitError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeBf16, decodeF16, encodeF16 } from './dtype.js';

/** Stable error codes of this file. */
export const SAFETENSORS_ERRORS = {
  /** The file cannot be opened or read. */
  unreadable: 'BK6001',
  /** Fewer than 8 bytes: not even the header length is there. */
  tooShort: 'BK6002',
  /** The header length runs past the end of the file. */
  headerPastEnd: 'BK6003',
  /** The header length exceeds the 100 MB cap (not a safetensors file, or a corrupt one). */
  headerTooLarge: 'BK6004',
  /** The header is not valid UTF-8 JSON of the expected form (object; `__metadata__` a string map). */
  badHeader: 'BK6005',
  /** A tensor entry lacks or mistypes dtype / shape / data_offsets. */
  badEntry: 'BK6006',
  /** A dtype that is not a safetensors dtype. */
  unknownDtype: 'BK6007',
  /** end - begin differs from prod(shape) * dtype size. */
  sizeMismatch: 'BK6008',
  /** A tensor's bytes lie past the end of the data buffer: the file is truncated (or its offsets corrupt). */
  truncated: 'BK6009',
  /** Two tensors share bytes. */
  overlap: 'BK6010',
  /** A valid safetensors dtype that bitkit does not load (U8, BOOL, F8_*, ...). */
  unsupportedDtype: 'BK6011',
  /** An I64 value that does not fit in int32. */
  intOutOfRange: 'BK6012',
  /** writeSafetensors / encodeSafetensors was given an invalid tensor list or metadata. */
  badTensorToWrite: 'BK6013',
  /** Writing the file failed (disk full, permissions, missing folder...). */
  writeFailed: 'BK6014',
} as const;

/** Every dtype of the safetensors spec, with its size in bytes. */
export const DTYPE_SIZES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_SIZES;
/** Dtypes loaded as Float32Array. */
export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';
/** Dtypes loaded as Int32Array. */
export type IntDtype = 'I64' | 'I32';

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as described by the header. */
export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data buffer. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In storage order (by begin offset). */
  tensors: Map<string, TensorInfo>;
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** Byte offset of the data buffer in the file: 8 + N. */
  dataStart: number;
  /** Total size of the file (or buffer) in bytes. */
  fileSize: number;
}

export interface FloatTensor {
  dtype: FloatDtype;
  shape: number[];
  data: Float32Array;
}

export interface IntTensor {
  dtype: IntDtype;
  shape: number[];
  data: Int32Array;
}

export interface SafetensorsContents {
  metadata: Record<string, string>;
  /** Floating-point tensors, converted to float32, in storage order. */
  tensors: Map<string, FloatTensor>;
  /** Integer tensors (I64 / I32), as int32. */
  intTensors: Map<string, IntTensor>;
}

export interface ReadOptions {
  /** Load only the tensors this returns true for (the others are validated but not read). Default: all. */
  select?: (name: string, info: TensorInfo) => boolean;
}

/** A tensor to write. `dtype` defaults to F32; F16 rounds to nearest even (values beyond 65504 become Inf). */
export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  dtype?: 'F32' | 'F16';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const REEXPORT = 're-export or re-download the checkpoint';

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** Read and validate only the header: 8 + N bytes, never the tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFromFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** Read a whole safetensors file, validating the header before allocating any tensor. */
export function readSafetensors(path: string, options: ReadOptions = {}): SafetensorsContents {
  const fd = openForRead(path);
  try {
    const header = readHeaderFromFd(fd, path);
    return loadTensors(header, path, options, (info, target) => {
      readFully(fd, target, header.dataStart + info.dataOffsets[0], path);
    });
  } finally {
    closeSync(fd);
  }
}

/** Parse and validate the header of an in-memory safetensors file. */
export function decodeSafetensorsHeader(buffer: Uint8Array, nameForErrors: string): SafetensorsHeader {
  const n = checkHeaderLength(headerLengthOf(buffer, nameForErrors), buffer.length, nameForErrors, buffer);
  return parseHeader(buffer.subarray(8, 8 + n), buffer.length, nameForErrors);
}

/** Decode an in-memory safetensors file; `nameForErrors` stands for the file in error messages. */
export function decodeSafetensors(buffer: Uint8Array, nameForErrors: string, options: ReadOptions = {}): SafetensorsContents {
  const header = decodeSafetensorsHeader(buffer, nameForErrors);
  return loadTensors(header, nameForErrors, options, (info, target) => {
    const begin = header.dataStart + info.dataOffsets[0];
    target.set(buffer.subarray(begin, begin + target.length));
  });
}

function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BitkitError(SAFETENSORS_ERRORS.unreadable, `cannot open ${path}: ${(e as Error).message}`, {
      hint: code === 'ENOENT' ? 'check the path; a Hugging Face model folder holds model.safetensors' : undefined,
      place: { file: path },
      cause: e,
    });
  }
}

function readHeaderFromFd(fd: number, path: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  const first = new Uint8Array(Math.min(8, fileSize));
  readFully(fd, first, 0, path);
  const n = checkHeaderLength(headerLengthOf(first, path, fileSize), fileSize, path, first);
  const headerBytes = new Uint8Array(n); // safe: n <= file size - 8 and n <= MAX_HEADER_BYTES
  readFully(fd, headerBytes, 8, path);
  return parseHeader(headerBytes, fileSize, path);
}

/** N from the first 8 bytes (a bigint, so a corrupt value cannot lose precision before it is checked). */
function headerLengthOf(first: Uint8Array, file: string, fileSize = first.length): bigint {
  if (fileSize < 8) {
    throw new BitkitError(SAFETENSORS_ERRORS.tooShort,
      `${file} is not a safetensors file: it has ${fileSize} bytes, fewer than the 8-byte header length`, {
        hint: `the file is truncated or empty: expected at least 8 bytes, found ${fileSize} — ${REEXPORT}`,
        place: { file },
      });
  }
  return new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
}

function checkHeaderLength(n: bigint, fileSize: number, file: string, first: Uint8Array): number {
  if (n > BigInt(MAX_HEADER_BYTES)) {
    const zip = first[0] === 0x50 && first[1] === 0x4b; // "PK": a PyTorch .bin (zip) checkpoint
    throw new BitkitError(SAFETENSORS_ERRORS.headerTooLarge,
      `${file}: the header length field says ${n} bytes, more than the ${MAX_HEADER_BYTES}-byte limit`, {
        hint: zip
          ? 'this looks like a PyTorch zip checkpoint (pytorch_model.bin), not safetensors: convert it with ' +
            'safetensors.torch.save_file, or use the folder\'s model.safetensors'
          : 'this is not a safetensors file, or its first 8 bytes are corrupt — ' + REEXPORT,
        place: { file },
      });
  }
  const available = fileSize - 8;
  if (n > BigInt(available)) {
    throw new BitkitError(SAFETENSORS_ERRORS.headerPastEnd,
      `${file}: the header length field says ${n} bytes, but only ${available} bytes follow it`, {
        hint: `the file is truncated inside its header: expected at least ${8 + Number(n)} bytes, found ${fileSize} — ${REEXPORT}`,
        place: { file },
      });
  }
  return Number(n);
}

function parseHeader(bytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const headerLength = bytes.length;
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  const bad = (what: string, cause?: unknown): never => {
    throw new BitkitError(SAFETENSORS_ERRORS.badHeader, `${file}: corrupt safetensors header: ${what}`, {
      hint: `the ${headerLength}-byte JSON header after the length field is damaged — ${REEXPORT}`,
      place: { file },
      cause,
    });
  };
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    bad('it is not valid UTF-8', e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    bad(`it is not valid JSON (${(e as Error).message})`, e);
  }
  if (!isPlainObject(json)) bad(`it must be a JSON object, found ${describe(json)}`);
  const root = json as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const meta = root['__metadata__'];
  if (meta !== undefined) {
    if (!isPlainObject(meta)) bad(`"__metadata__" must be an object of strings, found ${describe(meta)}`);
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v !== 'string') bad(`"__metadata__"."${k}" must be a string, found ${describe(v)}`);
      metadata[k] = v as string;
    }
  }

  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(root)) {
    if (name === '__metadata__') continue;
    const info = parseEntry(name, value, file);
    const [begin, end] = info.dataOffsets;
    const expected = elementCount(info.shape, name, file) * DTYPE_SIZES[info.dtype];
    if (end - begin !== expected) {
      throw new BitkitError(SAFETENSORS_ERRORS.sizeMismatch,
        `${file}: tensor '${name}' (${info.dtype}, shape [${info.shape.join(', ')}]) needs ${expected} bytes, ` +
        `but its data_offsets [${begin}, ${end}] hold ${end - begin}`, {
          hint: `the header is inconsistent: the shape and the byte range disagree — ${REEXPORT}`,
          place: { file },
        });
    }
    entries.push([name, info]);
  }

  // Storage order; then the range and overlap checks walk the tensors once.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  const needed = entries.reduce((m, [, info]) => Math.max(m, info.dataOffsets[1]), 0);
  if (needed > dataLength) {
    const [name, info] = entries.find(([, i]) => i.dataOffsets[1] > dataLength)!;
    throw new BitkitError(SAFETENSORS_ERRORS.truncated,
      `${file} is truncated: tensor '${name}' needs data bytes [${info.dataOffsets[0]}, ${info.dataOffsets[1]}) ` +
      `but the data buffer holds only ${Math.max(0, dataLength)} bytes`, {
        hint: `the file is truncated: expected ${dataStart + needed} bytes, found ${fileSize} — ${REEXPORT}`,
        place: { file },
      });
  }
  let prevName = '';
  let prevEnd = 0;
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    if (begin === end) continue; // empty tensors own no bytes
    if (begin < prevEnd) {
      throw new BitkitError(SAFETENSORS_ERRORS.overlap,
        `${file}: tensors '${prevName}' and '${name}' overlap (bytes ${begin}..${prevEnd} of the data buffer)`, {
          hint: `the header is corrupt: each tensor must own its own bytes — ${REEXPORT}`,
          place: { file },
        });
    }
    prevName = name;
    prevEnd = end;
  }
  return { metadata, tensors: new Map(entries), headerLength, dataStart, fileSize };
}

function parseEntry(name: string, value: unknown, file: string): TensorInfo {
  const bad = (what: string): never => {
    throw new BitkitError(SAFETENSORS_ERRORS.badEntry, `${file}: tensor '${name}' in the header: ${what}`, {
      hint: `each tensor needs {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} — ${REEXPORT}`,
      place: { file },
    });
  };
  if (!isPlainObject(value)) return bad(`expected an object, found ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') return bad(`"dtype" must be a string, found ${describe(dtype)}`);
  if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dtype)) {
    throw new BitkitError(SAFETENSORS_ERRORS.unknownDtype, `${file}: tensor '${name}' has unknown dtype '${dtype}'`, {
      hint: `safetensors dtypes are ${Object.keys(DTYPE_SIZES).join(', ')}; the file is corrupt or from a newer ` +
        'format version — re-export it with F32, F16 or BF16 weights',
      place: { file },
    });
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return bad(`"shape" must be an array of non-negative integers, found ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return bad(`"data_offsets" must be [begin, end] with non-negative integers, found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end) return bad(`"data_offsets" [${begin}, ${end}] ends before it begins`);
  return { dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), dataOffsets: [begin, end] };
}

function elementCount(shape: readonly number[], name: string, file: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) {
    throw new BitkitError(SAFETENSORS_ERRORS.badEntry, `${file}: tensor '${name}' has an impossible shape [${shape.join(', ')}]`, {
      hint: `the header is corrupt — ${REEXPORT}`,
      place: { file },
    });
  }
  return n;
}

/** Convert each selected tensor; `fill` puts its raw bytes into `target` (exactly end - begin bytes). */
function loadTensors(
  header: SafetensorsHeader,
  file: string,
  options: ReadOptions,
  fill: (info: TensorInfo, target: Uint8Array) => void,
): SafetensorsContents {
  // Fail on an unloadable dtype before reading anything.
  const chosen = [...header.tensors].filter(([name, info]) => options.select?.(name, info) ?? true);
  for (const [name, info] of chosen) {
    if (!isFloatDtype(info.dtype) && !isIntDtype(info.dtype)) {
      throw new BitkitError(SAFETENSORS_ERRORS.unsupportedDtype,
        `${file}: tensor '${name}' has dtype ${info.dtype}, which bitkit does not load`, {
          hint: 'bitkit loads F32, F16, BF16 and F64 weights and I64/I32 index buffers; convert this tensor, or ' +
            'leave it out with the `select` option if the model does not need it',
          place: { file },
        });
    }
  }
  const tensors = new Map<string, FloatTensor>();
  const intTensors = new Map<string, IntTensor>();
  for (const [name, info] of chosen) {
    const count = elementCount(info.shape, name, file);
    const bytes = info.dataOffsets[1] - info.dataOffsets[0];
    const { dtype, shape } = info;
    if (dtype === 'F32' && LITTLE_ENDIAN) {
      const data = new Float32Array(count);
      fill(info, new Uint8Array(data.buffer)); // straight into the result, no copy
      tensors.set(name, { dtype, shape, data });
      continue;
    }
    const raw = new Uint8Array(bytes);
    fill(info, raw);
    const view = new DataView(raw.buffer);
    if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64') {
      const data = new Float32Array(count);
      if (dtype === 'F16') decodeF16(raw, data);
      else if (dtype === 'BF16') decodeBf16(raw, data);
      else if (dtype === 'F32') for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      else for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, true);
      tensors.set(name, { dtype, shape, data });
    } else if (dtype === 'I32') {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, true);
      intTensors.set(name, { dtype, shape, data });
    } else {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi !== lo >> 31) {
          throw new BitkitError(SAFETENSORS_ERRORS.intOutOfRange,
            `${file}: tensor '${name}' (I64) holds ${view.getBigInt64(8 * i, true)} at index ${i}, outside the int32 range`, {
              hint: 'bitkit keeps integer buffers as int32; this value cannot be an index or a token id of a BERT model',
              place: { file },
            });
        }
        data[i] = lo;
      }
      intTensors.set(name, { dtype: 'I64', shape, data });
    }
  }
  return { metadata: { ...header.metadata }, tensors, intTensors };
}

function readFully(fd: number, target: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < target.length) {
    let got: number;
    try {
      got = readSync(fd, target, done, target.length - done, position + done);
    } catch (e) {
      throw new BitkitError(SAFETENSORS_ERRORS.unreadable, `cannot read ${file}: ${(e as Error).message}`, {
        place: { file },
        cause: e,
      });
    }
    if (got === 0) {
      // The file shrank after it was measured.
      throw new BitkitError(SAFETENSORS_ERRORS.truncated, `${file} ended early while reading byte ${position + done}`, {
        hint: `the file is truncated or was changed while being read — ${REEXPORT}`,
        place: { file },
      });
    }
    done += got;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * Write tensors (in the given order) and string metadata to `path`, atomically: the file at `path` is either the
 * previous one or the complete new one. F32 data is written straight from the caller's arrays.
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): void {
  const chunks = encodeChunks(tensors, metadata, path); // validates first: a bad list creates no file at all
  try {
    writeFileAtomic(path, chunks);
  } catch (e) {
    if (e instanceof BitkitError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const hints: Record<string, string> = {
      ENOSPC: 'the disk is full: free some space or write the checkpoint elsewhere',
      ENOENT: 'the folder does not exist: create it first',
      EACCES: 'no permission to write in that folder',
      EROFS: 'the file system is read-only',
      EISDIR: 'the target is a folder: give a file name such as model.safetensors',
    };
    throw new BitkitError(SAFETENSORS_ERRORS.writeFailed, `cannot write ${path}: ${(e as Error).message}`, {
      hint: (code === undefined ? undefined : hints[code]) ?? 'nothing was written at that path; the previous file, if any, is untouched',
      place: { file: path },
      cause: e,
    });
  }
}

/** The bytes writeSafetensors would write. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const chunks = [...encodeChunks(tensors, metadata, '<safetensors buffer>')];
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Validate eagerly, then return the chunks lazily: header, then each tensor's bytes. */
function encodeChunks(tensors: readonly TensorToWrite[], metadata: Record<string, string>, file: string): Iterable<Uint8Array> {
  const bad = (what: string): never => {
    throw new BitkitError(SAFETENSORS_ERRORS.badTensorToWrite, `cannot write ${file}: ${what}`, {
      hint: 'each tensor needs a unique name, a shape of non-negative integers whose product is data.length, and ' +
        'dtype F32 or F16; metadata values must be strings. Nothing was written.',
      place: { file },
    });
  };
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') bad(`metadata "${k}" must be a string, found ${describe(v)}`);
  }
  const seen = new Set<string>();
  const fields: string[] = [];
  if (Object.keys(metadata).length > 0) fields.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    if (t.name === '' || t.name === '__metadata__') bad(`invalid tensor name '${t.name}'`);
    if (seen.has(t.name)) bad(`tensor '${t.name}' appears twice`);
    seen.add(t.name);
    if (dtype !== 'F32' && dtype !== 'F16') bad(`tensor '${t.name}': dtype ${String(dtype)} cannot be written (F32 or F16)`);
    if (!t.shape.every((d) => isCount(d))) bad(`tensor '${t.name}': shape [${t.shape.join(', ')}] must be non-negative integers`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array)) bad(`tensor '${t.name}': data must be a Float32Array`);
    if (t.data.length !== count) {
      bad(`tensor '${t.name}': shape [${t.shape.join(', ')}] has ${count} elements but the data has ${t.data.length}`);
    }
    const size = count * DTYPE_SIZES[dtype];
    // Shape spelled out so that a copy of the caller's array is stored, not a live reference.
    fields.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype, shape: [...t.shape], data_offsets: [offset, offset + size] })}`);
    offset += size;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  const list = tensors.map((t) => ({ dtype: t.dtype ?? 'F32', data: t.data }));
  return (function* () {
    yield head;
    for (const t of list) yield tensorBytes(t.data, t.dtype);
  })();
}

function tensorBytes(data: Float32Array, dtype: 'F32' | 'F16'): Uint8Array {
  if (dtype === 'F16') return encodeF16(data);
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

function isFloatDtype(d: SafetensorsDtype): d is FloatDtype {
  return d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';
}

function isIntDtype(d: SafetensorsDtype): d is IntDtype {
  return d === 'I64' || d === 'I32';
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPlainObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A short description of a JSON value for messages. */
function describe(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map((v) => JSON.stringify(v)).join(', ').slice(0, 60)}]`;
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  if (x === undefined) return 'nothing';
  return JSON.stringify(x).slice(0, 60);
}
