/**
 * Import of a Hugging Face BERT model folder as a full-precision bitkit model (a teacher):
 *
 *   config.json          BertConfig -> BertConfig of runtime/model/types.ts (mapping below)
 *   model.safetensors    F32, F16 or BF16 (F64 too); names with or without the `bert.` prefix; old TF-converted
 *                        LayerNorm names `gamma`/`beta` are mapped to `weight`/`bias`; `classifier.*` optional
 *                        (absent: initialised fresh with a warning); `cls.*` pretraining heads and the
 *                        `position_ids` / `token_type_ids` buffers are ignored
 *   vocab.txt / tokenizer.json   the tokenizer (tokenizer.json preferred, as transformers does)
 *
 * Not supported, with a clear error: model types other than bert (roberta, distilbert, albert, electra... have other
 * parameter layouts), `pytorch_model.bin` / `tf_model.h5`-only folders (convert with
 * `transformers`' `save_pretrained(..., safe_serialization=True)`), sharded checkpoints
 * (model.safetensors.index.json), position_embedding_type other than "absolute", activations other than
 * gelu / relu (gelu_new and friends are the tanh approximation, a different function).
 *
 * Every tensor of the model must be present with the shape the config implies; a missing tensor or a wrong shape is
 * a BitkitError naming the tensor and the file. Codes BK65xx (HF_ERRORS).
 *
 * `loadTeacherModel` is what the trainer calls for `teacher.checkpoint`: a bitkit checkpoint, a Hugging Face folder,
 * or a plain Hugging Face safetensors file with its config.json beside it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BitkitError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { BertModel } from '../model/bert.js';
import type { BertConfig } from '../model/types.js';
import { CHECKPOINT_FORMAT, loadCheckpoint } from '../train/checkpoint.js';
import { Rng } from '../util/rng.js';
import { readSafetensors, readSafetensorsHeader } from './safetensors.js';

export const HF_ERRORS = {
  /** The folder has no config.json (or it cannot be read). */
  noConfig: 'BK6501',
  /** config.json is not valid JSON or a field has the wrong type / an impossible value. */
  badConfig: 'BK6502',
  /** A model type, activation, position embedding type or weight file bitkit does not import. */
  unsupported: 'BK6503',
  /** A tensor the config implies is missing from the safetensors file. */
  missingTensor: 'BK6504',
  /** A tensor has another shape than the config implies. */
  wrongShape: 'BK6505',
  /** The folder has no weights at all. */
  noWeights: 'BK6506',
} as const;

/** The largest config.json accepted (a real one is about 1 KB). */
export const MAX_CONFIG_BYTES = 1_000_000;

export interface HfImport {
  model: BertModel;
  config: BertConfig;
  /** The weight file that was read. */
  weights: string;
  /** tokenizer.json or vocab.txt of the folder, or null when it has neither. */
  tokenizer: string | null;
  /** Tensors of the file that the model does not use (cls.* heads, buffers, unknown names). */
  ignored: string[];
  /** Things the user should know (classifier initialised fresh, vocabulary size differences, ...). */
  warnings: string[];
}

export interface HfImportOptions {
  /** Number of labels when the folder has no classifier (default: config num_labels / id2label, else 2). */
  numLabels?: number;
  /** Seed of the fresh classifier (default 0). */
  seed?: number;
}

/** True when `path` is a folder with a config.json (a Hugging Face model folder). */
export function isHfFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && existsSync(join(path, 'config.json'));
  } catch {
    return false;
  }
}

/** Read and map config.json (the file itself or the folder holding it). */
export function readHfConfig(path: string, numLabels?: number): { config: BertConfig; labelNames: string[] | null } {
  const file = isDir(path) ? join(path, 'config.json') : path;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new BitkitError(HF_ERRORS.badConfig, `${file} has ${size} bytes: too large for a model config.json`, {
        hint: 'a BERT config.json is about 1 KB; point at the model folder', place: { file },
      });
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof BitkitError) throw e;
    throw new BitkitError(HF_ERRORS.noConfig, `cannot read ${file}: ${(e as Error).message}`, {
      hint: 'a Hugging Face model folder holds config.json, model.safetensors and vocab.txt (or tokenizer.json)',
      place: { file }, cause: e,
    });
  }
  return parseHfConfig(text, file, numLabels);
}

/**
 * Map the text of a Hugging Face BertConfig to bitkit's BertConfig. Defaults are transformers' BertConfig defaults.
 * `numLabels` is used when the config names none.
 */
export function parseHfConfig(text: string, file: string, numLabels?: number): { config: BertConfig; labelNames: string[] | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BitkitError(HF_ERRORS.badConfig, `${file} is not valid JSON: ${(e as Error).message}`, {
      hint: 'the file is damaged; re-download or re-save the model', place: { file }, cause: e,
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BitkitError(HF_ERRORS.badConfig, `${file} is not a JSON object`, { hint: 'a config.json is one object of fields', place: { file } });
  }
  const c = raw as Record<string, unknown>;
  const modelType = c['model_type'];
  if (modelType !== undefined && modelType !== 'bert') {
    throw new BitkitError(HF_ERRORS.unsupported, `${file}: model_type "${String(modelType)}" is not supported, bitkit imports BERT models (model_type "bert")`, {
      hint: 'RoBERTa, DistilBERT, ALBERT, ELECTRA... lay out their parameters differently; use a BERT checkpoint', place: { file },
    });
  }
  const int = (key: string, dflt: number | undefined, min: number, max: number): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new BitkitError(HF_ERRORS.badConfig, `${file}: "${key}" must be an integer in ${min}..${max}, found ${describe(v)}`, {
        hint: v === undefined ? `add "${key}" to config.json` : 'the config is damaged or not a BERT config', place: { file },
      });
    }
    return v;
  };
  const num = (key: string, dflt: number, min: number, max: number): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new BitkitError(HF_ERRORS.badConfig, `${file}: "${key}" must be a number in ${min}..${max}, found ${describe(v)}`, {
        hint: 'the config is damaged or not a BERT config', place: { file },
      });
    }
    return v;
  };
  const pos = c['position_embedding_type'] ?? 'absolute';
  if (pos !== 'absolute') {
    throw new BitkitError(HF_ERRORS.unsupported, `${file}: position_embedding_type "${String(pos)}" is not supported (only "absolute")`, {
      hint: 'relative_key / relative_key_query attention adds parameters bitkit does not model', place: { file },
    });
  }
  const act = c['hidden_act'] ?? 'gelu';
  if (act !== 'gelu' && act !== 'relu' && act !== 'gelu_python') {
    throw new BitkitError(HF_ERRORS.unsupported, `${file}: hidden_act "${String(act)}" is not supported (gelu, gelu_python or relu)`, {
      hint: 'gelu_new / gelu_fast are the tanh approximation of GELU, a different function from the exact (erf) GELU bitkit uses', place: { file },
    });
  }
  const LIM = 1 << 24;
  const hidden = int('hidden_size', 768, 1, 1 << 16);
  const heads = int('num_attention_heads', 12, 1, 1 << 12);
  if (hidden % heads !== 0) {
    throw new BitkitError(HF_ERRORS.badConfig, `${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`, {
      hint: 'the config is damaged', place: { file },
    });
  }
  let labelNames: string[] | null = null;
  const id2label = c['id2label'];
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== 'object' || Array.isArray(id2label)) {
      throw new BitkitError(HF_ERRORS.badConfig, `${file}: "id2label" must be an object {"0": "LABEL_0", ...}`, { hint: 'the config is damaged', place: { file } });
    }
    const entries = Object.entries(id2label as Record<string, unknown>);
    if (entries.length > 100_000) throw new BitkitError(HF_ERRORS.badConfig, `${file}: "id2label" has ${entries.length} entries`, { hint: 'the config is damaged', place: { file } });
    labelNames = new Array<string>(entries.length).fill('');
    for (const [k, v] of entries) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string') {
        throw new BitkitError(HF_ERRORS.badConfig, `${file}: "id2label" entry "${k.slice(0, 40)}" is not index -> name`, { hint: 'keys run 0..n-1, values are strings', place: { file } });
      }
      labelNames[i] = v;
    }
  }
  const nl = c['num_labels'] !== undefined ? int('num_labels', undefined, 1, 100_000) : labelNames?.length ?? numLabels ?? 2;
  const config: BertConfig = {
    layers: int('num_hidden_layers', 12, 0, 1024),
    hidden,
    heads,
    intermediate: int('intermediate_size', 3072, 1, LIM),
    maxPositions: int('max_position_embeddings', 512, 1, LIM),
    vocabSize: int('vocab_size', 30522, 1, LIM),
    typeVocabSize: int('type_vocab_size', 2, 1, 1 << 16),
    hiddenAct: act === 'relu' ? 'relu' : 'gelu',
    hiddenDropout: num('hidden_dropout_prob', 0.1, 0, 1),
    attentionDropout: num('attention_probs_dropout_prob', 0.1, 0, 1),
    layerNormEps: num('layer_norm_eps', 1e-12, 0, 1),
    initializerRange: num('initializer_range', 0.02, 0, 10),
    numLabels: nl,
  };
  return { config, labelNames };
}

/** The bitkit name of a Hugging Face tensor name, or null when bitkit does not use it. */
export function mapHfName(name: string): string | null {
  if (name.startsWith('cls.') || name.endsWith('.position_ids') || name.endsWith('.token_type_ids')) return null;
  let n = name;
  if (n.startsWith('classifier.')) return n;
  if (!n.startsWith('bert.')) {
    if (!/^(embeddings|encoder|pooler)\./.test(n)) return null;
    n = 'bert.' + n;
  }
  return n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** Import a Hugging Face BERT folder (or a plain HF safetensors file with config.json beside it). */
export function importHfFolder(path: string, kernels: Kernels, options: HfImportOptions = {}): HfImport {
  const folder = isDir(path) ? path : dirname(path);
  const weights = isDir(path) ? findWeights(folder) : path;
  const { config: cfg0 } = readHfConfig(join(folder, 'config.json'), options.numLabels);
  const header = readSafetensorsHeader(weights); // validates offsets, dtypes and sizes before any allocation
  const byBitkit = new Map<string, string>(); // bitkit name -> file name
  const ignored: string[] = [];
  for (const name of header.tensors.keys()) {
    const m = mapHfName(name);
    if (m === null || byBitkit.has(m)) ignored.push(name);
    else byBitkit.set(m, name);
  }
  const warnings: string[] = [];
  // labels: the classifier in the file wins; else the option, else the config
  let config = cfg0;
  const clsW = byBitkit.get('classifier.weight');
  const clsInfo = clsW === undefined ? undefined : header.tensors.get(clsW);
  if (clsInfo && clsInfo.shape.length === 2 && clsInfo.shape[0]! > 0) config = { ...config, numLabels: clsInfo.shape[0]! };
  else if (options.numLabels !== undefined) config = { ...config, numLabels: options.numLabels };
  if (options.numLabels !== undefined && config.numLabels !== options.numLabels) {
    throw new BitkitError(HF_ERRORS.wrongShape, `${weights}: tensor "${clsW}" has ${config.numLabels} labels, the task has ${options.numLabels}`, {
      hint: 'the classifier head was trained for another task: remove classifier.* from the file to start a fresh head', place: { file: weights },
    });
  }
  const model = new BertModel(config, null, kernels);
  model.initWeights(new Rng(options.seed ?? 0));
  // check every tensor before reading any data
  for (const p of model.params) {
    const fileName = byBitkit.get(p.name);
    if (fileName === undefined) {
      if (p.name.startsWith('classifier.')) continue;
      throw new BitkitError(HF_ERRORS.missingTensor, `${weights}: tensor "${p.name}" is missing (also looked for "${p.name.replace(/^bert\./, '')}")`, {
        hint: p.name.startsWith('bert.pooler.')
          ? 'the file has no pooler (saved with add_pooling_layer=False); bitkit needs a BertModel / BertForSequenceClassification checkpoint with its pooler'
          : 'the file does not hold the model its config.json describes (num_hidden_layers, names)',
        place: { file: weights },
      });
    }
    const info = header.tensors.get(fileName)!;
    if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) {
      throw new BitkitError(HF_ERRORS.unsupported, `${weights}: tensor "${fileName}" has dtype ${info.dtype}; weights must be F32, F16 or BF16`, {
        hint: 'convert the checkpoint to a floating-point dtype', place: { file: weights },
      });
    }
    if (info.shape.length !== p.shape.length || info.shape.some((d, i) => d !== p.shape[i])) {
      throw new BitkitError(HF_ERRORS.wrongShape, `${weights}: tensor "${fileName}" has shape [${info.shape.join(', ')}], config.json implies [${p.shape.join(', ')}]`, {
        hint: 'config.json and the weights disagree (hidden_size, intermediate_size, vocab_size, max_position_embeddings, type_vocab_size)',
        place: { file: weights },
      });
    }
  }
  if (!byBitkit.has('classifier.weight') || !byBitkit.has('classifier.bias')) {
    warnings.push(`${basename(weights)} has no classifier: classifier.weight/bias [${config.numLabels}, ${config.hidden}] initialised fresh (normal, std ${config.initializerRange})`);
    byBitkit.delete('classifier.weight');
    byBitkit.delete('classifier.bias');
  }
  const wanted = new Set<string>();
  for (const p of model.params) {
    const f = byBitkit.get(p.name);
    if (f !== undefined) wanted.add(f);
  }
  const contents = readSafetensors(weights, { select: (name) => wanted.has(name) });
  for (const p of model.params) {
    const f = byBitkit.get(p.name);
    if (f === undefined) continue;
    model.paramData.set(contents.tensors.get(f)!.data, p.offset);
  }
  for (const [b, f] of byBitkit) if (!model.hasParam(b)) ignored.push(f);
  const tokenizer = existsSync(join(folder, 'tokenizer.json')) ? join(folder, 'tokenizer.json') : existsSync(join(folder, 'vocab.txt')) ? join(folder, 'vocab.txt') : null;
  if (tokenizer !== null && tokenizer.endsWith('vocab.txt')) {
    const lines = readFileSync(tokenizer, 'utf8').split('\n');
    const n = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    if (n !== config.vocabSize) warnings.push(`vocab.txt has ${n} tokens, config.json vocab_size is ${config.vocabSize}`);
  }
  return { model, config, weights, tokenizer, ignored, warnings };
}

/** The teacher of a recipe: a bitkit checkpoint, a Hugging Face folder, or an HF safetensors file with config.json beside it. */
export function loadTeacherModel(path: string, kernels: Kernels, options: HfImportOptions = {}): { model: BertModel; warnings: string[] } {
  if (isDir(path)) {
    const r = importHfFolder(path, kernels, options);
    return { model: r.model, warnings: r.warnings };
  }
  const header = readSafetensorsHeader(path);
  if (header.metadata['format'] !== CHECKPOINT_FORMAT && existsSync(join(dirname(path), 'config.json'))) {
    const r = importHfFolder(path, kernels, options);
    return { model: r.model, warnings: r.warnings };
  }
  return { model: loadCheckpoint(path, kernels).model, warnings: [] };
}

function findWeights(folder: string): string {
  const st = join(folder, 'model.safetensors');
  if (existsSync(st)) return st;
  const other = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'model.safetensors.index.json'].find((f) => existsSync(join(folder, f)));
  if (other !== undefined) {
    throw new BitkitError(HF_ERRORS.unsupported, `${folder} holds ${other} but no model.safetensors; bitkit reads safetensors only`, {
      hint: other.endsWith('.index.json')
        ? 'sharded checkpoints are not supported: save the model as one file (max_shard_size larger than the model)'
        : 'convert it once with transformers: AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)',
      place: { file: join(folder, other) },
    });
  }
  throw new BitkitError(HF_ERRORS.noWeights, `${folder} has no model.safetensors`, {
    hint: 'a Hugging Face model folder holds config.json, model.safetensors and vocab.txt', place: { file: folder },
  });
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.slice(0, 40);
}
