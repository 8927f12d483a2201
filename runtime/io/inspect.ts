/**
 * `bitkit inspect`: what an artifact holds, layer by layer (in the spirit of larq.models.summary, for the actual
 * file): layer, shape, weight bits, activation bits and set, params, bytes in the file, MACs per sequence by
 * precision and share of the model; totals: file size, FP32-equivalent size, compression, packed 1-bit size, binarized
 * share of the MACs. Formats:
 *   bitkit checkpoint (.safetensors with bitkit.meta)  exact plan and config from the metadata
 *   Hugging Face folder / HF safetensors with config.json beside it   FP32 BERT rows from config.json
 *   any other .safetensors                              generic rows grouped by tensor name
 *   .onnx                                               bitkit exports: plan from `bitkit.meta`; others: generic rows
 *                                                       from the initializers (a constant holding only +-alpha counts
 *                                                       as a 1-bit weight), plus op types and opset
 *   .bitpack                                            header, plan and tensors through runtime/io/bitpack.ts
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BitkitError } from '../errors.js';
import type { BertConfig, QuantPlan } from '../model/types.js';
import { bertLayerRows, finishRows, genericRows, packedBytes, type LayerRow, type Totals } from '../profile/layer-stats.js';
import { CHECKPOINT_FORMAT } from '../train/checkpoint.js';
import { readHfConfig } from './hf-folder.js';
import { decodeOnnx, initializerValues } from './onnx/reader.js';
import { readBitpackInfo } from './bitpack.js';
import { readSafetensorsHeader } from './safetensors.js';

export type InspectFormat = 'bitkit-checkpoint' | 'safetensors' | 'hf-folder' | 'onnx' | 'bitpack';

export interface InspectReport {
  file: string;
  format: InspectFormat;
  /** Sequence length the MACs are counted for. */
  seq: number;
  stage: string | null;
  task: string | null;
  config: BertConfig | null;
  rows: LayerRow[];
  totals: Totals;
  /** Format-specific facts (opset, op counts, dtypes, producer...). */
  details: Record<string, unknown>;
  notes: string[];
}

export interface InspectOptions {
  /** Sequence length for the MAC counts (default 128). */
  seq?: number;
}

/** Inspect a file or folder. Throws BitkitError for unreadable or unknown inputs. */
export function inspectFile(path: string, options: InspectOptions = {}): InspectReport {
  const seq = options.seq ?? 128;
  if (!existsSync(path)) {
    throw new BitkitError('BK6701', `${path} does not exist`, { hint: 'bitkit inspect takes a .safetensors, .onnx, .bitpack file or a Hugging Face model folder', place: { file: path } });
  }
  if (statSync(path).isDirectory()) return inspectHfFolder(path, seq);
  if (path.endsWith('.onnx')) return inspectOnnx(path, seq);
  if (path.endsWith('.bitpack')) return inspectBitpack(path, seq);
  if (path.endsWith('.safetensors')) return inspectSafetensors(path, seq);
  throw new BitkitError('BK6702', `${path}: unknown file type`, { hint: 'bitkit inspect reads .safetensors, .onnx, .bitpack files and Hugging Face model folders', place: { file: path } });
}

function prefixBytes(tensors: Map<string, number>): (prefix: string) => number {
  return (prefix) => {
    let s = 0;
    for (const [n, b] of tensors) if (n.startsWith(prefix + '.')) s += b;
    return s;
  };
}

function bertReport(file: string, format: InspectFormat, seq: number, config: BertConfig, plan: QuantPlan | null, tensorBytes: Map<string, number>, fileBytes: number,
  extra: Partial<InspectReport>): InspectReport {
  const rows = bertLayerRows(config, plan, seq, prefixBytes(tensorBytes));
  const totals = finishRows(rows, fileBytes, packedBytes(config, plan, rows));
  return { file, format, seq, stage: null, task: null, config, rows, totals, details: {}, notes: [], ...extra };
}

function inspectSafetensors(path: string, seq: number): InspectReport {
  const h = readSafetensorsHeader(path);
  const bytes = new Map<string, number>();
  for (const [n, t] of h.tensors) bytes.set(n, t.dataOffsets[1] - t.dataOffsets[0]);
  const dtypes = [...new Set([...h.tensors.values()].map((t) => t.dtype))];
  if (h.metadata['format'] === CHECKPOINT_FORMAT) {
    let meta: { config: BertConfig; plan: QuantPlan | null; stage: string; task: string };
    try {
      meta = JSON.parse(h.metadata['bitkit.meta'] ?? '') as typeof meta;
    } catch {
      throw new BitkitError('BK6103', `${path}: the bitkit metadata is not valid JSON`, { hint: 'the file is corrupt; re-run the stage that wrote it', place: { file: path } });
    }
    const notes = ['weights are stored as FP32 latent weights (for further training); `bitkit export` packs the 1-bit ones'];
    if (h.metadata['bitkit.resume'] !== undefined) notes.push('a resume checkpoint: also holds the optimiser moments');
    return bertReport(path, 'bitkit-checkpoint', seq, meta.config, meta.plan, bytes, h.fileSize, {
      stage: meta.stage, task: meta.task, details: { dtypes, tensors: h.tensors.size }, notes,
    });
  }
  const cfg = join(dirname(path), 'config.json');
  if (existsSync(cfg)) {
    const { config } = readHfConfig(cfg);
    return bertReport(path, 'hf-folder', seq, config, null, mapHfBytes(bytes), h.fileSize, { details: { dtypes, tensors: h.tensors.size, config: cfg } });
  }
  const rows = genericRows([...h.tensors].map(([name, t]) => ({ name, shape: t.shape, bytes: bytes.get(name)! })), seq);
  return { file: path, format: 'safetensors', seq, stage: null, task: null, config: null, rows, totals: finishRows(rows, h.fileSize, null),
    details: { dtypes, tensors: h.tensors.size, metadata: h.metadata }, notes: ['no bitkit metadata and no config.json beside it: rows grouped by tensor name, all counted as full precision'] };
}

function mapHfBytes(bytes: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [n, b] of bytes) {
    if (n.startsWith('cls.')) continue;
    out.set(n.startsWith('bert.') || n.startsWith('classifier.') ? n : 'bert.' + n, b);
  }
  return out;
}

function inspectHfFolder(dir: string, seq: number): InspectReport {
  const st = join(dir, 'model.safetensors');
  if (!existsSync(join(dir, 'config.json'))) {
    throw new BitkitError('BK6501', `${dir} has no config.json: not a Hugging Face model folder`, { hint: 'pass a file, or a folder with config.json and model.safetensors', place: { file: dir } });
  }
  const { config } = readHfConfig(dir);
  if (!existsSync(st)) {
    return bertReport(dir, 'hf-folder', seq, config, null, new Map(), 0, { notes: ['no model.safetensors in the folder: sizes are 0 (bitkit reads safetensors only)'] });
  }
  const r = inspectSafetensors(st, seq);
  return { ...r, file: dir, format: 'hf-folder' };
}

function inspectOnnx(path: string, seq: number): InspectReport {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new BitkitError('BK6602', `cannot read ${path}: ${(e as Error).message}`, { place: { file: path }, cause: e });
  }
  const { summary, model } = decodeOnnx(buf, path);
  const details = { opset: summary.opsets, producer: `${summary.producer} ${summary.producerVersion}`.trim(), irVersion: summary.irVersion,
    opCounts: summary.opCounts, nodes: summary.nodes.length, initializers: summary.initializers.length,
    inputs: summary.inputs, outputs: summary.outputs };
  const metaText = summary.metadata['bitkit.meta'];
  if (metaText !== undefined) {
    try {
      const meta = JSON.parse(metaText) as { config: BertConfig; plan: QuantPlan | null; stage?: string; task?: string };
      const bytes = new Map<string, number>();
      for (const i of summary.initializers) bytes.set(i.name, i.bytes);
      return bertReport(path, 'onnx', seq, meta.config, meta.plan, bytes, summary.fileSize, {
        stage: meta.stage ?? null, task: meta.task ?? null, details,
        notes: ['fake-quantized graph: binarized weights are FP32 constants holding +-alpha; quantizers are standard ops'],
      });
    } catch {
      // fall through to the generic view
    }
  }
  const inits = model.graph?.initializer ?? [];
  const tensors = summary.initializers.map((i, k) => ({ name: i.name, shape: i.dims, bytes: i.bytes, bits: isBinary(inits[k]) ? 1 : 32 }));
  const rows = genericRows(tensors, seq);
  return { file: path, format: 'onnx', seq, stage: null, task: null, config: null, rows, totals: finishRows(rows, summary.fileSize, null), details,
    notes: ['no bitkit metadata: rows from the initializers; activation precision unknown'] };
}

/** A FLOAT constant with >= 16 values all equal to +-alpha: a binarized weight. */
function isBinary(t: Parameters<typeof initializerValues>[0] | undefined): boolean {
  if (t === undefined) return false;
  const v = initializerValues(t);
  if (v === null || v.length < 16) return false;
  const a = Math.abs(v[0]!);
  if (!(a > 0)) return false;
  for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) !== a) return false;
  return true;
}

function inspectBitpack(path: string, seq: number): InspectReport {
  const info = readBitpackInfo(path);
  const m = info.model;
  const bytes = new Map<string, number>();
  for (const t of m.tensors) bytes.set(t.name, t.data.byteLength);
  return bertReport(path, 'bitpack', seq, m.header.config, m.header.plan, bytes, info.sizeBytes, {
    stage: m.header.stage, task: m.header.task,
    details: { sections: info.sections, labelNames: m.header.labelNames, provenance: m.header.provenance },
    notes: ['per-layer memory counts full-precision tensors at 4 bytes per value (the file may hold some as FP16); the file size is exact'],
  });
}

