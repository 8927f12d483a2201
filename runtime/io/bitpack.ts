/**
 * The `.bitpack` format: a deployable binarized model in one self-contained file (layout: bitpack-format.md).
 *
 *   [64-byte header: magic, version, counts, lengths, CRC-32s] [section table: 32 bytes per section]
 *   [JSON metadata, UTF-8] [sections, each 64-bit aligned: bits | scales | shifts | fp32 | fp16 | vocab]
 *
 * Reading validates, in this order and before allocating anything a corrupt field could size: the header (magic,
 * version, header CRC, declared file length = actual length), the section table (CRC, names, dtypes, alignment,
 * bounds, no overlaps), the metadata (CRC, JSON, schema), every tensor entry of the metadata (section, alignment,
 * bounds, size = prod(shape) * element size), then every section's CRC. Only then are tensors viewed (zero-copy
 * views into the one buffer holding the file; fp16 sections are decoded to float32). Every failure is a BitkitError
 * with a BK62xx code (BITPACK_ERRORS) naming the file and the section.
 *
 * Writing goes through writeFileAtomic. Float tensors of the FP remainder go to the fp16 section only when every
 * value survives float32 -> float16 -> float32 unchanged, so the file never changes a result.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { BitkitError } from '../errors.js';
import { packedLength } from '../kernels/kernels.js';
import { assemblePackedModel, bitWidthTable, type PackedHeader, type PackedModel, type PackedSection, type TensorSource } from '../engine/packed-model.js';
import { writeFileAtomic } from './atomic-write.js';
import { crc32 } from './crc32.js';
import { decodeF16, encodeF16, f16ToF32, f32ToF16 } from './dtype.js';

export const BITPACK_FORMAT = 'bitkit-bitpack';
export const BITPACK_VERSION = 1;
/** 0x89 'B' 'I' 'T' 'P' 'A' 'C' 'K' (a high first byte, as PNG, catches text-mode transfers). */
export const BITPACK_MAGIC = Uint8Array.of(0x89, 0x42, 0x49, 0x54, 0x50, 0x41, 0x43, 0x4b);
const HEADER_BYTES = 64;
const ENTRY_BYTES = 32;
const MAX_SECTIONS = 16;
/** Largest metadata accepted (the vocabulary lives in its own section; metadata is config, plan and a tensor index). */
export const MAX_METADATA_BYTES = 16 << 20;

/** Stable error codes (BK62xx: .bitpack files). */
export const BITPACK_ERRORS = {
  unreadable: 'BK6201',
  notBitpack: 'BK6202',
  version: 'BK6203',
  truncated: 'BK6204',
  headerChecksum: 'BK6205',
  badSectionTable: 'BK6206',
  sectionTableChecksum: 'BK6207',
  metadataChecksum: 'BK6208',
  badMetadata: 'BK6209',
  badTensorEntry: 'BK6210',
  sectionChecksum: 'BK6211',
  badTensor: 'BK6212', // shared with packed-model.ts
  badModel: 'BK6213', // shared with packed-model.ts
  badVocab: 'BK6214',
  trailingBytes: 'BK6215',
  writeFailed: 'BK6216',
  bigEndian: 'BK6217',
} as const;

type SectionName = 'bits' | 'scales' | 'shifts' | 'fp32' | 'fp16' | 'vocab';
/** Section names in file order, with their dtype code and element size. */
const SECTIONS: { name: SectionName; dtype: number; dtypeName: string; elem: number }[] = [
  { name: 'bits', dtype: 1, dtypeName: 'u64 (packed bits)', elem: 8 },
  { name: 'scales', dtype: 2, dtypeName: 'f32', elem: 4 },
  { name: 'shifts', dtype: 2, dtypeName: 'f32', elem: 4 },
  { name: 'fp32', dtype: 2, dtypeName: 'f32', elem: 4 },
  { name: 'fp16', dtype: 3, dtypeName: 'f16', elem: 2 },
  { name: 'vocab', dtype: 4, dtypeName: 'utf8', elem: 1 },
];

/** One entry of the metadata's tensor index. */
interface TensorEntry {
  name: string;
  section: SectionName;
  /** Byte offset inside the section (multiple of 8). */
  offset: number;
  /** Logical shape ([rows, K] for bits). */
  shape: number[];
}

interface BitpackMetadata {
  format: string;
  version: number;
  producer: string;
  header: Omit<PackedHeader, 'tokenizer'> & { tokenizer: Omit<PackedHeader['tokenizer'], 'vocab'> & { vocabSize: number } };
  /** Bit widths per quant point (informational; the plan in `header` is what the engine uses). */
  bitWidths: ReturnType<typeof bitWidthTable>;
  ffnActivation: string;
  tensors: TensorEntry[];
}

interface SectionInfo {
  name: SectionName;
  dtype: number;
  crc: number;
  offset: number;
  length: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function fail(code: string, file: string, message: string, hint: string): never {
  throw new BitkitError(code, `${file}: ${message}`, { hint, place: { file } });
}

function checkEndianness(file: string): void {
  if (endianness() !== 'LE') fail(BITPACK_ERRORS.bigEndian, file, 'this machine is big-endian', '.bitpack files are little-endian; bitkit reads and writes them on little-endian machines only');
}

// ------------------------------------------------------------------------------------------------------ writing

function isExactF16(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) return false;
    if (f16ToF32(f32ToF16(v)) !== v || Object.is(v, -0) !== Object.is(f16ToF32(f32ToF16(v)), -0)) return false;
  }
  return true;
}

function bytesOf(data: Float32Array | Uint32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The bytes of a `.bitpack` holding `model` (what writeBitpack writes). */
export function encodeBitpack(model: PackedModel, producer = 'bitkit'): Uint8Array {
  checkEndianness('<encode>');
  const parts = new Map<SectionName, { chunks: Uint8Array[]; length: number }>(SECTIONS.map((s) => [s.name, { chunks: [], length: 0 }]));
  const entries: TensorEntry[] = [];
  const put = (section: SectionName, bytes: Uint8Array): number => {
    const p = parts.get(section)!;
    const offset = p.length;
    p.chunks.push(bytes);
    p.length += bytes.length;
    const pad = align8(p.length) - p.length;
    if (pad > 0) {
      p.chunks.push(new Uint8Array(pad));
      p.length += pad;
    }
    return offset;
  };
  for (const t of model.tensors) {
    let section: SectionName;
    let bytes: Uint8Array;
    if (t.section === 'fp') {
      const f = t.data as Float32Array;
      if (isExactF16(f)) {
        section = 'fp16';
        bytes = encodeF16(f);
      } else {
        section = 'fp32';
        bytes = bytesOf(f);
      }
    } else {
      section = t.section;
      bytes = bytesOf(t.data);
    }
    entries.push({ name: t.name, section, offset: put(section, bytes), shape: [...t.shape] });
  }
  const vocabText = model.header.tokenizer.vocab.join('\n');
  put('vocab', new TextEncoder().encode(vocabText));

  const { tokenizer, ...rest } = model.header;
  const meta: BitpackMetadata = {
    format: BITPACK_FORMAT,
    version: BITPACK_VERSION,
    producer,
    header: { ...rest, tokenizer: { lowercase: tokenizer.lowercase, truncation: tokenizer.truncation, maxLength: tokenizer.maxLength, source: tokenizer.source, vocabSize: tokenizer.vocab.length } },
    bitWidths: bitWidthTable(model.header.plan, model.config),
    ffnActivation: model.ffnActivation,
    tensors: entries,
  };
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const present = SECTIONS.filter((s) => parts.get(s.name)!.length > 0);
  const tableOffset = HEADER_BYTES;
  const metaOffset = tableOffset + present.length * ENTRY_BYTES;
  let offset = align8(metaOffset + metaBytes.length);
  const infos: SectionInfo[] = [];
  for (const s of present) {
    const p = parts.get(s.name)!;
    let crc = 0;
    for (const c of p.chunks) crc = crc32(c, 0, c.length, crc);
    infos.push({ name: s.name, dtype: s.dtype, crc, offset, length: p.length });
    offset += p.length;
  }
  const total = offset;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  // section table
  for (let i = 0; i < infos.length; i++) {
    const e = infos[i]!;
    const at = tableOffset + i * ENTRY_BYTES;
    out.set(new TextEncoder().encode(e.name), at);
    dv.setUint32(at + 8, e.dtype, true);
    dv.setUint32(at + 12, e.crc, true);
    dv.setBigUint64(at + 16, BigInt(e.offset), true);
    dv.setBigUint64(at + 24, BigInt(e.length), true);
  }
  out.set(metaBytes, metaOffset);
  for (const e of infos) {
    let at = e.offset;
    for (const c of parts.get(e.name)!.chunks) {
      out.set(c, at);
      at += c.length;
    }
  }
  // header
  out.set(BITPACK_MAGIC, 0);
  dv.setUint32(8, BITPACK_VERSION, true);
  dv.setUint32(12, infos.length, true);
  dv.setBigUint64(16, BigInt(total), true);
  dv.setBigUint64(24, BigInt(metaOffset), true);
  dv.setBigUint64(32, BigInt(metaBytes.length), true);
  dv.setUint32(40, crc32(metaBytes), true);
  dv.setUint32(44, crc32(out, tableOffset, metaOffset), true);
  dv.setUint32(60, crc32(out, 0, 60), true);
  return out;
}

/** Write `model` to `path` atomically. Returns the file size in bytes. */
export function writeBitpack(path: string, model: PackedModel, producer = 'bitkit'): number {
  const bytes = encodeBitpack(model, producer);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new BitkitError(BITPACK_ERRORS.writeFailed, `cannot write ${path}: ${(e as Error).message}`, { hint: 'check that the folder exists and is writable, and that the disk has room', place: { file: path }, cause: e });
  }
  return bytes.length;
}

// ------------------------------------------------------------------------------------------------------ reading

/** Read and validate a `.bitpack` file into a PackedModel (tensors are views into one buffer of the file's size). */
export function readBitpack(path: string): PackedModel {
  checkEndianness(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    fail(BITPACK_ERRORS.unreadable, path, `cannot open: ${(e as Error).message}`, 'check the path; .bitpack files are written by `bitkit export CHECKPOINT --format bitpack`');
  }
  try {
    const size = fstatSync(fd).size;
    // Header first: a file that is no bitpack is rejected before its size is allocated.
    const head = new Uint8Array(Math.min(size, HEADER_BYTES));
    readFully(fd, head, 0, path);
    if (size >= HEADER_BYTES) parseHeader(head, size, path);
    else checkMagic(head, path);
    const bytes = new Uint8Array(size);
    readFully(fd, bytes, 0, path);
    return decodeBitpack(bytes, path);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      n = readSync(fd, into, done, into.length - done, position + done);
    } catch (e) {
      fail(BITPACK_ERRORS.unreadable, path, `read failed: ${(e as Error).message}`, 'check the file and the disk');
    }
    if (n === 0) fail(BITPACK_ERRORS.truncated, path, 'the file shrank while being read', 'another process is writing it; read it again when it is done');
    done += n;
  }
}

/** What the first bytes of a file that is no bitpack suggest it is. */
function guessFormat(b: Uint8Array): string {
  if (b.length >= 9 && b[8] === 0x7b) return 'it looks like a safetensors file (use it as a checkpoint, or `bitkit export` it to .bitpack)';
  if (b.length >= 2 && b[0] === 0x50 && b[1] === 0x4b) return 'it looks like a zip archive (a PyTorch .bin?): bitkit does not read those';
  if (b.length >= 1 && b[0] === 0x08) return 'it looks like an ONNX (protobuf) file: run it with the ONNX Runtime engine';
  if (b.length >= 1 && (b[0] === 0x7b || b[0] === 0x5b)) return 'it looks like a JSON file';
  return 'its first bytes are not the .bitpack magic';
}

function checkMagic(b: Uint8Array, file: string): void {
  if (b.length === 0) fail(BITPACK_ERRORS.truncated, file, 'the file is empty', 'the file is truncated (an interrupted copy or export?); export it again');
  const ok = b.length >= 8 && BITPACK_MAGIC.every((v, i) => b[i] === v);
  if (!ok) {
    const partial = b.length < 8 && b.length > 0 && b.every((v, i) => BITPACK_MAGIC[i] === v);
    if (partial) fail(BITPACK_ERRORS.truncated, file, `the file is ${b.length} bytes long, shorter than the ${HEADER_BYTES}-byte header`, 'the file is truncated; export it again');
    fail(BITPACK_ERRORS.notBitpack, file, `not a .bitpack file: ${guessFormat(b)}`, 'pass a file written by `bitkit export CHECKPOINT --format bitpack`');
  }
}

function u64(dv: DataView, at: number, what: string, file: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(BITPACK_ERRORS.truncated, file, `${what} is ${v}, larger than any file`, 'the header is corrupt; export the model again');
  return Number(v);
}

interface ParsedHeader {
  sectionCount: number;
  fileLength: number;
  metaOffset: number;
  metaLength: number;
  metaCrc: number;
  tableCrc: number;
}

function parseHeader(b: Uint8Array, actualSize: number, file: string): ParsedHeader {
  checkMagic(b, file);
  if (b.length < HEADER_BYTES) fail(BITPACK_ERRORS.truncated, file, `the file is ${b.length} bytes long, shorter than the ${HEADER_BYTES}-byte header`, 'the file is truncated; export it again');
  const dv = new DataView(b.buffer, b.byteOffset, HEADER_BYTES);
  const version = dv.getUint32(8, true);
  if (dv.getUint32(60, true) !== crc32(b, 0, 60)) {
    fail(BITPACK_ERRORS.headerChecksum, file, 'header checksum mismatch (bytes 0-63)', 'the file is corrupt; export the model again');
  }
  if (version !== BITPACK_VERSION) {
    fail(BITPACK_ERRORS.version, file, `.bitpack format version ${version}, this bitkit reads version ${BITPACK_VERSION}`, version > BITPACK_VERSION ? 'the file was written by a newer bitkit; update bitkit' : 'export the model again with this bitkit');
  }
  const h: ParsedHeader = {
    sectionCount: dv.getUint32(12, true),
    fileLength: u64(dv, 16, 'the declared file length', file),
    metaOffset: u64(dv, 24, 'the metadata offset', file),
    metaLength: u64(dv, 32, 'the metadata length', file),
    metaCrc: dv.getUint32(40, true),
    tableCrc: dv.getUint32(44, true),
  };
  if (actualSize < h.fileLength) fail(BITPACK_ERRORS.truncated, file, `the file is ${actualSize} bytes long, its header says ${h.fileLength}`, 'the file is truncated (an interrupted copy or download?); copy or export it again');
  if (actualSize > h.fileLength) fail(BITPACK_ERRORS.trailingBytes, file, `the file is ${actualSize} bytes long, its header says ${h.fileLength}: ${actualSize - h.fileLength} trailing bytes`, 'the file was appended to or corrupted; export it again');
  if (h.sectionCount < 1 || h.sectionCount > MAX_SECTIONS) fail(BITPACK_ERRORS.badSectionTable, file, `section table: ${h.sectionCount} sections (1..${MAX_SECTIONS} allowed)`, 'the header is corrupt; export the model again');
  if (h.metaOffset !== HEADER_BYTES + h.sectionCount * ENTRY_BYTES) fail(BITPACK_ERRORS.badMetadata, file, `metadata offset ${h.metaOffset} does not follow the section table`, 'the header is corrupt; export the model again');
  if (h.metaLength > MAX_METADATA_BYTES || h.metaOffset + h.metaLength > h.fileLength) fail(BITPACK_ERRORS.badMetadata, file, `metadata of ${h.metaLength} bytes at ${h.metaOffset} does not fit the file (${h.fileLength} bytes)`, 'the header is corrupt; export the model again');
  return h;
}

function parseSectionTable(bytes: Uint8Array, h: ParsedHeader, file: string): Map<SectionName, SectionInfo> {
  const start = HEADER_BYTES;
  const end = h.metaOffset;
  if (crc32(bytes, start, end) !== h.tableCrc) fail(BITPACK_ERRORS.sectionTableChecksum, file, 'section table checksum mismatch', 'the file is corrupt; export the model again');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<SectionName, SectionInfo>();
  const dataStart = align8(h.metaOffset + h.metaLength);
  const bad = (i: number, msg: string): never => fail(BITPACK_ERRORS.badSectionTable, file, `section table entry ${i}: ${msg}`, 'the file is corrupt; export the model again');
  let prevEnd = dataStart;
  for (let i = 0; i < h.sectionCount; i++) {
    const at = start + i * ENTRY_BYTES;
    let name = '';
    for (let j = 0; j < 8 && bytes[at + j] !== 0; j++) name += String.fromCharCode(bytes[at + j]!);
    const spec = SECTIONS.find((s) => s.name === name);
    if (spec === undefined) bad(i, `unknown section name "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
    if (out.has(spec!.name)) bad(i, `section "${name}" appears twice`);
    const dtype = dv.getUint32(at + 8, true);
    if (dtype !== spec!.dtype) bad(i, `section "${name}" has dtype code ${dtype}, expected ${spec!.dtype} (${spec!.dtypeName})`);
    const offset = u64(dv, at + 16, `section "${name}" offset`, file);
    const length = u64(dv, at + 24, `section "${name}" length`, file);
    if (offset % 8 !== 0) bad(i, `section "${name}" starts at ${offset}, not a multiple of 8`);
    if (length % spec!.elem !== 0) bad(i, `section "${name}" is ${length} bytes, not a multiple of its element size ${spec!.elem}`);
    if (offset < prevEnd) bad(i, `section "${name}" at ${offset} overlaps the metadata or an earlier section (ends at ${prevEnd})`);
    if (offset + length > h.fileLength) bad(i, `section "${name}" (${length} bytes at ${offset}) runs past the end of the file (${h.fileLength} bytes)`);
    prevEnd = offset + length;
    out.set(spec!.name, { name: spec!.name, dtype, crc: dv.getUint32(at + 12, true), offset, length });
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseMetadata(bytes: Uint8Array, h: ParsedHeader, file: string): BitpackMetadata {
  if (crc32(bytes, h.metaOffset, h.metaOffset + h.metaLength) !== h.metaCrc) fail(BITPACK_ERRORS.metadataChecksum, file, 'metadata checksum mismatch', 'the file is corrupt; export the model again');
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(h.metaOffset, h.metaOffset + h.metaLength)));
  } catch (e) {
    fail(BITPACK_ERRORS.badMetadata, file, `the metadata is not valid UTF-8 JSON: ${(e as Error).message}`, 'the file is corrupt; export the model again');
  }
  const bad = (msg: string): never => fail(BITPACK_ERRORS.badMetadata, file, `metadata: ${msg}`, 'the file is corrupt or was not written by bitkit; export the model again');
  if (!isObj(meta)) return bad('not a JSON object');
  if (meta['format'] !== BITPACK_FORMAT) bad(`format is ${JSON.stringify(meta['format'])}, expected "${BITPACK_FORMAT}"`);
  if (meta['version'] !== BITPACK_VERSION) bad(`version ${JSON.stringify(meta['version'])} differs from the header's ${BITPACK_VERSION}`);
  const hd = meta['header'];
  if (!isObj(hd)) return bad('no "header" object');
  if (!isObj(hd['config'])) bad('no "header.config" object');
  if (hd['plan'] !== null && !(isObj(hd['plan']) && isObj(hd['plan']['options']) && Array.isArray(hd['plan']['layers']))) bad('"header.plan" is neither null nor a plan');
  if (isObj(hd['plan'])) {
    for (const l of hd['plan']['layers'] as unknown[]) {
      if (!isObj(l) || typeof l['layer'] !== 'string' || ![1, 32].includes(l['weightBits'] as number) || ![1, 2, 4, 8, 32].includes(l['activationBits'] as number) || (l['activationSet'] !== 'signed' && l['activationSet'] !== 'unsigned')) {
        bad(`a plan entry is malformed: ${JSON.stringify(l).slice(0, 200)}`);
      }
    }
  }
  if (typeof hd['stage'] !== 'string' || typeof hd['task'] !== 'string' || typeof hd['isRegression'] !== 'boolean') bad('header.stage/task/isRegression missing or mistyped');
  if (!Array.isArray(hd['labelNames']) || !hd['labelNames'].every((x) => typeof x === 'string')) bad('header.labelNames is not a list of strings');
  const tok = hd['tokenizer'];
  if (!isObj(tok) || typeof tok['lowercase'] !== 'boolean' || typeof tok['maxLength'] !== 'number' || typeof tok['vocabSize'] !== 'number' || !['longest_first', 'only_first', 'only_second'].includes(tok['truncation'] as string)) bad('header.tokenizer is malformed');
  if (!isObj(hd['metrics']) || !isObj(hd['provenance'])) bad('header.metrics or header.provenance missing');
  if (!Array.isArray(meta['tensors'])) bad('no "tensors" list');
  return meta as unknown as BitpackMetadata;
}

/** Validate the tensor index against the sections; returns the entries by name. */
function checkTensorIndex(meta: BitpackMetadata, sections: Map<SectionName, SectionInfo>, file: string): Map<string, TensorEntry> {
  const byName = new Map<string, TensorEntry>();
  const bad = (i: number, msg: string): never => fail(BITPACK_ERRORS.badTensorEntry, file, `metadata tensor entry ${i}: ${msg}`, 'the file is corrupt; export the model again');
  meta.tensors.forEach((t: unknown, i) => {
    if (!isObj(t) || typeof t['name'] !== 'string' || typeof t['section'] !== 'string' || typeof t['offset'] !== 'number' || !Array.isArray(t['shape'])) bad(i, 'not {name, section, offset, shape}');
    const e = t as unknown as TensorEntry;
    if (byName.has(e.name)) bad(i, `tensor "${e.name}" listed twice`);
    const s = sections.get(e.section as SectionName);
    if (s === undefined || e.section === 'vocab') bad(i, `tensor "${e.name}" in section "${String(e.section)}", which the file does not have`);
    const dimsOk = e.shape.length >= 1 && e.shape.length <= 4 && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 2 ** 32);
    if (!dimsOk) bad(i, `tensor "${e.name}" has shape ${JSON.stringify(e.shape).slice(0, 100)}`);
    if (e.section === 'bits' && e.shape.length !== 2) bad(i, `packed tensor "${e.name}" needs a 2-d shape [rows, K]`);
    if (!Number.isSafeInteger(e.offset) || e.offset < 0 || e.offset % 8 !== 0) bad(i, `tensor "${e.name}" offset ${e.offset} is not a non-negative multiple of 8`);
    // size in bytes, computed so that no product can overflow: every factor was checked <= 2^32 and the section
    // length bounds the result
    let bytes: number;
    if (e.section === 'bits') bytes = 4 * packedLength(e.shape[0]!, e.shape[1]!);
    else bytes = e.shape.reduce((a, d) => a * d, 1) * (e.section === 'fp16' ? 2 : 4);
    if (!(e.offset + bytes <= s!.length)) bad(i, `tensor "${e.name}" (${bytes} bytes at ${e.offset}) runs past the end of section "${e.section}" (${s!.length} bytes)`);
    byName.set(e.name, e);
  });
  return byName;
}

/** Validate and decode the bytes of a `.bitpack` (`file` names it in errors). */
export function decodeBitpack(input: Uint8Array, file: string): PackedModel {
  checkEndianness(file);
  // typed views need 8-byte alignment: copy when the caller's buffer is not aligned
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  checkMagic(bytes.subarray(0, Math.min(bytes.length, 16)), file);
  const h = parseHeader(bytes.subarray(0, HEADER_BYTES), bytes.length, file);
  const sections = parseSectionTable(bytes, h, file);
  const meta = parseMetadata(bytes, h, file);
  const index = checkTensorIndex(meta, sections, file);
  for (const s of sections.values()) {
    if (crc32(bytes, s.offset, s.offset + s.length) !== s.crc) fail(BITPACK_ERRORS.sectionChecksum, file, `section "${s.name}" checksum mismatch (${s.length} bytes at ${s.offset})`, 'the file is corrupt; export the model again');
  }
  // vocabulary
  const vs = sections.get('vocab');
  if (vs === undefined) fail(BITPACK_ERRORS.badVocab, file, 'no "vocab" section', 'the file is corrupt; export the model again');
  let vocabText: string;
  try {
    vocabText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(vs!.offset, vs!.offset + vs!.length));
  } catch {
    fail(BITPACK_ERRORS.badVocab, file, 'section "vocab" is not valid UTF-8', 'the file is corrupt; export the model again');
  }
  const vocab = vocabText!.replace(/\0+$/, '').split('\n');
  const mt = meta.header.tokenizer;
  if (vocab.length !== mt.vocabSize) fail(BITPACK_ERRORS.badVocab, file, `section "vocab" holds ${vocab.length} tokens, the metadata says ${mt.vocabSize}`, 'the file is corrupt; export the model again');
  const header: PackedHeader = {
    ...meta.header,
    tokenizer: { vocab, lowercase: mt.lowercase, truncation: mt.truncation, maxLength: mt.maxLength, source: String(mt.source) },
  };
  if (vocab.length > (header.config.vocabSize as number)) fail(BITPACK_ERRORS.badVocab, file, `the vocabulary has ${vocab.length} tokens, the model only ${header.config.vocabSize} embeddings`, 'the file is corrupt; export the model again');
  const source: TensorSource = {
    origin: file,
    has: (name) => index.has(name),
    get: (name, section, shape) => viewTensor(bytes, sections, index, name, section, shape, file),
  };
  return assemblePackedModel(header, source);
}

function viewTensor(bytes: Uint8Array, sections: Map<SectionName, SectionInfo>, index: Map<string, TensorEntry>, name: string,
  section: PackedSection, shape: number[], file: string): Float32Array | Uint32Array {
  const e = index.get(name);
  const want = `[${shape.join(', ')}]`;
  if (e === undefined) fail(BITPACK_ERRORS.badTensor, file, `tensor "${name}" ${want} is missing`, 'the file does not match its own architecture; export the model again');
  const okSection = section === 'fp' ? e!.section === 'fp32' || e!.section === 'fp16' : e!.section === section;
  if (!okSection) fail(BITPACK_ERRORS.badTensor, file, `tensor "${name}" is in section "${e!.section}", expected "${section === 'fp' ? 'fp32 or fp16' : section}"`, 'the file is corrupt; export the model again');
  if (e!.shape.length !== shape.length || e!.shape.some((d, i) => d !== shape[i])) fail(BITPACK_ERRORS.badTensor, file, `tensor "${name}" has shape [${e!.shape.join(', ')}], the architecture needs ${want}`, 'the file does not match its own architecture; export the model again');
  const s = sections.get(e!.section)!;
  const at = bytes.byteOffset + s.offset + e!.offset;
  if (e!.section === 'bits') return new Uint32Array(bytes.buffer, at, packedLength(shape[0]!, shape[1]!));
  const n = shape.reduce((a, d) => a * d, 1);
  if (e!.section === 'fp16') {
    const out = new Float32Array(n);
    decodeF16(new Uint8Array(bytes.buffer, at, 2 * n), out);
    return out;
  }
  return new Float32Array(bytes.buffer, at, n);
}

/** Header fields of a `.bitpack` without building the model (for inspect-style tools). */
export function readBitpackInfo(path: string): { sizeBytes: number; sections: { name: string; offset: number; length: number }[]; model: PackedModel } {
  const model = readBitpack(path);
  const bytes = new Uint8Array(64 + MAX_SECTIONS * ENTRY_BYTES);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, 0);
    const size = fstatSync(fd).size;
    const dv = new DataView(bytes.buffer);
    const n = dv.getUint32(12, true);
    const sections = [];
    for (let i = 0; i < n; i++) {
      const at = 64 + i * ENTRY_BYTES;
      let name = '';
      for (let j = 0; j < 8 && bytes[at + j] !== 0; j++) name += String.fromCharCode(bytes[at + j]!);
      sections.push({ name, offset: Number(dv.getBigUint64(at + 16, true)), length: Number(dv.getBigUint64(at + 24, true)) });
    }
    return { sizeBytes: size, sections, model };
  } finally {
    closeSync(fd);
  }
}
