/**
 * The model behind a recipe, as far as recipe checks need it: the names of its quant points (what override
 * patterns match, runtime/quant/plan.ts), their weight shapes and the architecture. Read from
 *   - `teacher.architecture` in the recipe itself,
 *   - a `.safetensors` teacher checkpoint: its header only (bitkit checkpoints carry the config in `bitkit.meta`;
 *     other files give the layer count by their tensor names),
 *   - a Hugging Face model folder: `config.json` through runtime/io/hf-folder.ts (+ the header of
 *     `model.safetensors` for exact shapes),
 *   - a `.bitpack`: runtime/io/bitpack.ts validates the whole file (CRCs included) and its config is kept.
 *
 * All file access goes through `RecipeFileIO`, so the language server can cache by (mtime, size) and the CLI can
 * read directly; read errors come back as `{ error }` (the reason a checkpoint is corrupt), never as exceptions.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readBitpack } from '../io/bitpack.js';
import { readHfConfig } from '../io/hf-folder.js';
import { readSafetensorsHeader, type SafetensorsHeader } from '../io/safetensors.js';
import { paramEntries } from '../model/param-table.js';
import type { BertConfig } from '../model/types.js';
import { listQuantPoints, type QuantPointKind } from '../quant/plan.js';
import { DEFAULT_ARCHITECTURE } from './defaults.js';
import type { ActivationSet } from './types.js';

export interface FileStat {
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
}

/** File access of the recipe checks; every method throws only for programming errors, never for bad files. */
export interface RecipeFileIO {
  stat(path: string): FileStat | { error: string };
  /** The first line (without its newline), from at most the first 64 KiB. */
  firstLine(path: string): string | { error: string };
  safetensorsHeader(path: string): SafetensorsHeader | { error: string };
  /** The BertConfig of a Hugging Face folder's config.json (runtime/io/hf-folder.ts). */
  hfConfig(path: string): { config: BertConfig } | { error: string };
  /** The BertConfig of a `.bitpack` (runtime/io/bitpack.ts; the tensors are not kept). */
  bitpackConfig(path: string): { config: BertConfig } | { error: string };
}

export interface ModelLayer {
  /** Hugging Face-style quant point name, e.g. `bert.encoder.layer.0.attention.self.query`. */
  name: string;
  kind: QuantPointKind;
  twoSetDefault: ActivationSet;
  /** Encoder layer index, null for embeddings and pooler. */
  layer: number | null;
  /** Shape of the point's weight ([out, in] for Linears, [V, C] for the embeddings); null for activation points. */
  shape: number[] | null;
}

export interface ModelInfo {
  /** Where it came from, for messages: `the architecture in the recipe`, `checkpoint teacher.safetensors`. */
  origin: string;
  config: Partial<BertConfig> & { layers: number };
  layers: ModelLayer[];
}

export type ModelRef =
  | { kind: 'architecture'; architecture: Record<string, unknown> }
  | { kind: 'checkpoint'; path: string };

/** Vocabulary size assumed when neither the recipe nor the checkpoint gives one (bert-base-uncased). */
const DEFAULT_VOCAB_SIZE = 30522;
const FIRST_LINE_BYTES = 65536;

/** The model a parsed recipe (plain data) names: its teacher's architecture or checkpoint path (resolved). */
export function modelRefOf(raw: unknown, baseDir: string): ModelRef | undefined {
  const teacher = (raw as { teacher?: unknown } | null)?.teacher as Record<string, unknown> | undefined;
  if (!teacher || typeof teacher !== 'object') return undefined;
  if (typeof teacher.checkpoint === 'string' && teacher.checkpoint !== '') {
    return { kind: 'checkpoint', path: isAbsolute(teacher.checkpoint) ? teacher.checkpoint : resolve(baseDir, teacher.checkpoint) };
  }
  const arch = teacher.architecture;
  if (arch && typeof arch === 'object' && !Array.isArray(arch)) {
    const layers = (arch as Record<string, unknown>).layers;
    if (typeof layers === 'number' && Number.isInteger(layers) && layers >= 1 && layers <= 1000) return { kind: 'architecture', architecture: arch as Record<string, unknown> };
  }
  return undefined;
}

// ModelInfo memoised by what it is made from (the same header / config object while a cache serves it), so that
// repeated checks get the same layer list (layer-rules.ts memoises pattern matches per list).
const fromHeader = new WeakMap<object, ModelInfo | { error: string }>();
const fromArchitecture = new Map<string, ModelInfo>();

/** Read the model a reference names; undefined when there is nothing to read (a `.bitpack`, a missing file). */
export function readModelInfo(ref: ModelRef, io: RecipeFileIO): ModelInfo | { error: string } | undefined {
  if (ref.kind === 'architecture') {
    const key = JSON.stringify(ref.architecture);
    let m = fromArchitecture.get(key);
    if (!m) {
      if (fromArchitecture.size > 64) fromArchitecture.clear();
      fromArchitecture.set(key, (m = modelFromConfig(ref.architecture, 'the architecture in the recipe', null)));
    }
    return m;
  }
  const st = io.stat(ref.path);
  if ('error' in st) return undefined; // BK5001/BK5002 report it
  if (st.isDirectory) return readHfFolder(ref.path, io);
  if (/\.bitpack$/i.test(ref.path)) return readBitpackModel(ref.path, io);
  if (!/\.safetensors$/i.test(ref.path)) return undefined; // other formats: not a teacher bitkit reads
  const header = io.safetensorsHeader(ref.path);
  if ('error' in header) return header;
  let m = fromHeader.get(header);
  if (!m || ('origin' in m && m.origin !== `checkpoint ${baseName(ref.path)}`)) fromHeader.set(header, (m = modelFromSafetensors(header, `checkpoint ${baseName(ref.path)}`)));
  return m;
}

const configMemo = new WeakMap<object, { header: unknown; result: ModelInfo | { error: string } }>();

function readHfFolder(dir: string, io: RecipeFileIO): ModelInfo | { error: string } {
  const cfgPath = join(dir, 'config.json');
  if ('error' in io.stat(cfgPath)) return { error: 'a Hugging Face model folder needs config.json, and this folder has none' };
  const cfg = io.hfConfig(cfgPath);
  if ('error' in cfg) return cfg;
  const weights = join(dir, 'model.safetensors');
  const header = 'error' in io.stat(weights) ? null : io.safetensorsHeader(weights);
  const memo = configMemo.get(cfg);
  if (memo && memo.header === header) return memo.result;
  const result = header && 'error' in header ? { error: `model.safetensors: ${header.error}` } : modelFromConfig(cfg.config as unknown as Record<string, unknown>, `Hugging Face folder ${baseName(dir)}`, header);
  configMemo.set(cfg, { header, result });
  return result;
}

function readBitpackModel(path: string, io: RecipeFileIO): ModelInfo | { error: string } {
  const cfg = io.bitpackConfig(path);
  if ('error' in cfg) return cfg;
  const memo = configMemo.get(cfg);
  if (memo) return memo.result;
  const result = modelFromConfig(cfg.config as unknown as Record<string, unknown>, `bitpack ${baseName(path)}`, null);
  configMemo.set(cfg, { header: null, result });
  return result;
}

/** A safetensors header: a bitkit checkpoint's `bitkit.meta` config, or the layer count from the tensor names. */
export function modelFromSafetensors(header: SafetensorsHeader, origin: string): ModelInfo | { error: string } {
  const meta = header.metadata['bitkit.meta'];
  if (meta !== undefined) {
    try {
      const config = (JSON.parse(meta) as { config?: Record<string, unknown> }).config;
      if (config && typeof config.layers === 'number') return modelFromConfig(config, origin, header);
    } catch {
      return { error: 'its bitkit metadata is not valid JSON' };
    }
    return { error: 'its bitkit metadata has no model config' };
  }
  let layers = 0;
  for (const name of header.tensors.keys()) {
    const m = /(?:^|\.)encoder\.layer\.(\d+)\./.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers === 0) return { error: 'it holds no BERT encoder layers (no tensor named like bert.encoder.layer.0.*)' };
  return modelFromConfig({ layers }, origin, header);
}

/** Quant points of a config, with weight shapes from a header (exact) or from the parameter table (planned). */
export function modelFromConfig(config: Record<string, unknown>, origin: string, header: SafetensorsHeader | null): ModelInfo {
  const layers = config.layers as number;
  const shapes = new Map<string, number[]>();
  if (header) {
    for (const [name, info] of header.tensors) if (name.endsWith('.weight')) shapes.set(name.startsWith('bert.') || name.startsWith('classifier.') ? name : `bert.${name}`, info.shape);
  } else {
    const full = fullConfig(config);
    if (full) for (const e of paramEntries(full, null)) shapes.set(e.name, e.shape);
  }
  const points = listQuantPoints({ layers });
  return {
    origin,
    config: { ...(config as Partial<BertConfig>), layers },
    layers: points.map((p) => ({ name: p.name, kind: p.kind, twoSetDefault: p.twoSetDefault, layer: p.layer, shape: p.kind === 'activation' ? null : shapes.get(`${p.name}.weight`) ?? null })),
  };
}

/** A complete BertConfig from a partial one (BERT defaults for the rest), or undefined without hidden and intermediate sizes. */
export function fullConfig(c: Record<string, unknown>): BertConfig | undefined {
  const n = (k: string, def?: number) => (typeof c[k] === 'number' && (c[k] as number) > 0 ? (c[k] as number) : def);
  const hidden = n('hidden');
  const intermediate = n('intermediate');
  if (hidden === undefined || intermediate === undefined) return undefined;
  return {
    ...DEFAULT_ARCHITECTURE,
    layers: c.layers as number,
    hidden,
    heads: n('heads', 1)!,
    intermediate,
    maxPositions: n('maxPositions', 512)!,
    vocabSize: n('vocabSize', DEFAULT_VOCAB_SIZE)!,
    typeVocabSize: n('typeVocabSize', DEFAULT_ARCHITECTURE.typeVocabSize)!,
    numLabels: 2,
  };
}

function baseName(p: string): string {
  return p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? p;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code && !/^BK/.test(err.code) ? err.code : (err.message ?? String(e)).split('\n')[0]!;
}

/** RecipeFileIO straight on the file system (the CLI; the server wraps it in a cache). */
export const directFileIO: RecipeFileIO = {
  stat(path) {
    try {
      const st = statSync(path);
      return { isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      return { error: reason(e) };
    }
  },
  firstLine(path) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const buf = Buffer.alloc(FIRST_LINE_BYTES);
      const n = readSync(fd, buf, 0, buf.length, 0);
      let text = buf.subarray(0, n).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const nl = text.indexOf('\n');
      return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    } catch (e) {
      return { error: reason(e) };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },
  safetensorsHeader(path) {
    try {
      return readSafetensorsHeader(path);
    } catch (e) {
      return { error: reason(e) };
    }
  },
  hfConfig(path) {
    try {
      return { config: readHfConfig(path).config };
    } catch (e) {
      return { error: reason(e) };
    }
  },
  bitpackConfig(path) {
    try {
      return { config: readBitpack(path).config };
    } catch (e) {
      return { error: reason(e) };
    }
  },
};
