/**
 * PackedModel: a trained BertModel in the form the packed engine runs and a `.bitpack` file stores.
 *
 * Every binarized Linear (weightBits 1) keeps only the signs of W - centre, packed along K (its in-features) with
 * the kernels' packBits layout (kernels.ts: 64-bit words, bit i of word w = element 64w + i, padding 0, bit 1 = +1),
 * plus its scale alpha = mean|W| stored as the float32 the trainer multiplies by: W_b = alpha * (bit ? +1 : -1).
 * The binarized word-embedding table keeps its sign bits per row plus one float32 scale per row. Everything the
 * algorithm keeps in full precision (position/type embeddings, biases, LayerNorms, classifier, the activation
 * quantizers' scales `a` and shifts `b`, layers a recipe keeps FP) is kept as float32 values, unchanged.
 *
 * One function assembles a PackedModel from named tensors (`assemblePackedModel`): from a live BertModel
 * (`packModel`, binarizing and packing on the way) and from a `.bitpack` file (runtime/io/bitpack.ts) alike, so the
 * list of tensors a model needs is written once. Each tensor the assembly takes is recorded in `tensors`, in order:
 * that list is what the writer stores.
 */
import { BitkitError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { packedLength } from '../kernels/kernels.js';
import type { BertModel } from '../model/bert.js';
import { actQuantPresence, SCALE_SUFFIX, SHIFT_SUFFIX } from '../model/param-table.js';
import type { BertConfig, LayerQuantPlan, QuantPlan } from '../model/types.js';
import { listQuantPoints, planFor, planQuantizes } from '../quant/plan.js';
import type { ActivationSet, TaskName, TruncationStrategy } from '../recipe/types.js';
import type { CheckpointMeta } from '../train/checkpoint.js';

/** Where a tensor lives in a `.bitpack` (fp: float32, or float16 when that is exact; see bitpack-format.md). */
export type PackedSection = 'bits' | 'scales' | 'shifts' | 'fp';

/** One stored tensor. bits: Uint32Array of packedLength(shape[0], shape[1]); others Float32Array of prod(shape). */
export interface PackedTensor {
  name: string;
  section: PackedSection;
  /** Logical shape: [rows, K] for packed bits (K = elements per row before packing). */
  shape: number[];
  data: Float32Array | Uint32Array;
}

/** A binarized weight [out, in]: sign bits packed along `in`, W_b = alpha * (bit ? +1 : -1). Or a float32 weight. */
export type PackedWeight =
  | { kind: 'binary'; bits: Uint32Array; alpha: number }
  | { kind: 'float'; w: Float32Array };

/** An activation quantizer (runtime/quant/activation-quantizer.ts) frozen for inference. */
export interface PackedActQuant {
  point: string;
  /** 1, 2, 4 or 8. */
  bits: number;
  signed: boolean;
  /** `a`, a float32 value > 0. */
  scale: number;
  /** `b` [K] (attention probabilities: K = maxPositions, the first T are used), or null. */
  shift: Float32Array | null;
  /** Unsigned multi-bit: subtract the tensor minimum first (options.unsignedMinOffset), as the trainer does. */
  minOffset: boolean;
}

export interface PackedLinear {
  name: string;
  inF: number;
  outF: number;
  weight: PackedWeight;
  bias: Float32Array; // [out]
  /** Quantizer of the layer's input, or null (full-precision input). */
  input: PackedActQuant | null;
}

export interface PackedLayerNorm {
  gamma: Float32Array; // [C]
  beta: Float32Array; // [C]
}

export interface PackedLayer {
  query: PackedLinear;
  key: PackedLinear;
  value: PackedLinear;
  /** Projected Q, K, V and attention-probability quantizers (null: full precision). */
  qQuant: PackedActQuant | null;
  kQuant: PackedActQuant | null;
  vQuant: PackedActQuant | null;
  pQuant: PackedActQuant | null;
  attnOut: PackedLinear;
  attnLn: PackedLayerNorm;
  intermediate: PackedLinear;
  output: PackedLinear;
  outLn: PackedLayerNorm;
}

export type PackedEmbeddingTable =
  | { kind: 'binary'; bits: Uint32Array; rowScale: Float32Array } // bits [V, C] packed along C; rowScale [V]
  | { kind: 'float'; table: Float32Array }; // [V, C]

export interface PackedTokenizer {
  /** Tokens by id (the vocab.txt lines). */
  vocab: string[];
  lowercase: boolean;
  truncation: TruncationStrategy;
  maxLength: number;
  /** Where the trainer's tokenizer came from ('bert-base-uncased' or a path), for the record. */
  source: string;
}

/** Everything about the model that is not a tensor (stored as the `.bitpack` JSON metadata). */
export interface PackedHeader {
  config: BertConfig;
  /** The stage's quantization plan (bit widths and sets per quant point), null for a full-precision model. */
  plan: QuantPlan | null;
  stage: string;
  task: TaskName;
  labelNames: string[];
  isRegression: boolean;
  tokenizer: PackedTokenizer;
  metrics: Record<string, number>;
  provenance: {
    recipe: string;
    recipeHash: string;
    /** Parent checkpoints: the stage's teacher and init stages (null entries dropped). */
    parents: string[];
    checkpoint: string | null;
    step: number;
    createdAt: string;
  };
}

export interface PackedModel {
  header: PackedHeader;
  config: BertConfig;
  ffnActivation: 'gelu' | 'relu';
  embeddings: { word: PackedEmbeddingTable; position: Float32Array; type: Float32Array; ln: PackedLayerNorm };
  layers: PackedLayer[];
  pooler: PackedLinear;
  classifier: { weight: Float32Array; bias: Float32Array }; // [NL, C], [NL]
  /** Every tensor, in assembly order (what a writer stores). */
  tensors: PackedTensor[];
}

/** Error codes of this file (the BK62xx block is shared with runtime/io/bitpack.ts). */
export const PACKED_MODEL_ERRORS = {
  /** A tensor the architecture needs is missing or has another shape. */
  badTensor: 'BK6212',
  /** An activation quantizer's scale `a` was never initialised (the stage did not train). */
  uninitialisedScale: 'BK6220',
  /** The header (config, plan) describes a model the engine cannot build. */
  badHeader: 'BK6213',
} as const;

/** What assemblePackedModel asks its source for; `section` says how the data is encoded. */
export interface TensorSource {
  /** A tensor of exactly `shape` (bits: Uint32Array of packedLength(shape[0], shape[1])); throws when absent. */
  get(name: string, section: PackedSection, shape: number[]): Float32Array | Uint32Array;
  /** Whether the source has the tensor (optional parts: shifts). */
  has(name: string): boolean;
  /** Where errors point (file name or '<model>'). */
  readonly origin: string;
}

function checkHeader(h: PackedHeader, origin: string): void {
  const c = h.config;
  const bad = (msg: string): never => {
    throw new BitkitError(PACKED_MODEL_ERRORS.badHeader, `${origin}: ${msg}`, { hint: 'the model description is inconsistent; re-export it from its checkpoint', place: { file: origin } });
  };
  const dims: (keyof BertConfig)[] = ['layers', 'hidden', 'heads', 'intermediate', 'maxPositions', 'vocabSize', 'typeVocabSize', 'numLabels'];
  for (const d of dims) {
    const v = c[d];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (d === 'layers' ? 0 : 1) || v > 1 << 24) bad(`config.${d} is ${String(v)}`);
  }
  if (c.hidden % c.heads !== 0) bad(`hidden ${c.hidden} is not a multiple of heads ${c.heads}`);
  if (!(typeof c.layerNormEps === 'number' && c.layerNormEps >= 0 && Number.isFinite(c.layerNormEps))) bad(`config.layerNormEps is ${String(c.layerNormEps)}`);
  if (c.hiddenAct !== 'gelu' && c.hiddenAct !== 'relu') bad(`config.hiddenAct is ${String(c.hiddenAct)}`);
  const ml = h.tokenizer.maxLength;
  if (!Number.isSafeInteger(ml) || ml < 2 || ml > c.maxPositions) bad(`tokenizer.maxLength ${String(ml)} is outside 2..maxPositions (${c.maxPositions})`);
  if (h.plan !== null && h.plan.options.ffnActivation !== 'relu' && h.plan.options.ffnActivation !== 'gelu') bad(`plan.options.ffnActivation is ${String(h.plan.options.ffnActivation)}`);
  const nl = h.isRegression ? 1 : h.labelNames.length;
  if (nl !== c.numLabels) bad(`numLabels ${c.numLabels} but ${h.isRegression ? 'a regression task' : `${h.labelNames.length} label names`}`);
}

/** The quantizer of a quant point, or null when the plan keeps it in full precision. */
function actQuant(src: Rec, plan: QuantPlan | null, point: string, kind: 'linear' | 'activation', channels: number): PackedActQuant | null {
  const has = actQuantPresence(plan, point, kind);
  if (!has.quant) return null;
  const p = planFor(plan, point)!;
  const options = plan!.options;
  const scale = (src.get(point + SCALE_SUFFIX, 'scales', [1]) as Float32Array)[0]!;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new BitkitError(PACKED_MODEL_ERRORS.uninitialisedScale, `${src.origin}: the scale a of ${point} is ${scale}, not a trained value > 0`, {
      hint: 'the stage never ran a training step on this quantizer; export a checkpoint of a stage that trained',
      place: { file: src.origin },
    });
  }
  const shift = has.shift ? (src.get(point + SHIFT_SUFFIX, 'shifts', [channels]) as Float32Array) : null;
  const signed = (p.activationSet as ActivationSet) === 'signed';
  return { point, bits: p.activationBits, signed, scale, shift, minOffset: !signed && p.activationBits > 1 && options.unsignedMinOffset };
}

function linear(src: Rec, plan: QuantPlan | null, name: string, inF: number, outF: number): PackedLinear {
  const p = planFor(plan, name);
  let weight: PackedWeight;
  if (plan !== null && p !== undefined && p.weightBits === 1) {
    const bits = src.get(`${name}.weight.bits`, 'bits', [outF, inF]) as Uint32Array;
    const alpha = (src.get(`${name}.weight.alpha`, 'scales', [1]) as Float32Array)[0]!;
    weight = { kind: 'binary', bits, alpha };
  } else {
    weight = { kind: 'float', w: src.get(`${name}.weight`, 'fp', [outF, inF]) as Float32Array };
  }
  const bias = src.get(`${name}.bias`, 'fp', [outF]) as Float32Array;
  return { name, inF, outF, weight, bias, input: actQuant(src, plan, name, 'linear', inF) };
}

function layerNorm(src: Rec, prefix: string, C: number): PackedLayerNorm {
  return { gamma: src.get(`${prefix}.weight`, 'fp', [C]) as Float32Array, beta: src.get(`${prefix}.bias`, 'fp', [C]) as Float32Array };
}

/** A source that records every tensor handed out. */
class Rec {
  readonly tensors: PackedTensor[] = [];
  constructor(private readonly src: TensorSource) {}
  get origin(): string {
    return this.src.origin;
  }
  get(name: string, section: PackedSection, shape: number[]): Float32Array | Uint32Array {
    const data = this.src.get(name, section, shape);
    const want = section === 'bits' ? packedLength(shape[0]!, shape[1]!) : shape.reduce((a, b) => a * b, 1);
    const okType = section === 'bits' ? data instanceof Uint32Array : data instanceof Float32Array;
    if (!okType || data.length !== want) {
      throw new BitkitError(PACKED_MODEL_ERRORS.badTensor, `${this.src.origin}: tensor "${name}" has ${data.length} values, expected ${want} for shape [${shape.join(', ')}]`, {
        hint: 'the file does not match its own architecture; re-export it', place: { file: this.src.origin },
      });
    }
    this.tensors.push({ name, section, shape: [...shape], data });
    return data;
  }
}

/** Build the PackedModel that `header` describes from the tensors of `source`. */
export function assemblePackedModel(header: PackedHeader, source: TensorSource): PackedModel {
  checkHeader(header, source.origin);
  const config = header.config;
  const plan = header.plan;
  const { hidden: C, intermediate: F, vocabSize: V, maxPositions: P, typeVocabSize: TV, numLabels: NL } = config;
  const src = new Rec(source);
  const wordPlan = planFor(plan, 'bert.embeddings.word_embeddings');
  const word: PackedEmbeddingTable = plan !== null && wordPlan?.weightBits === 1
    ? { kind: 'binary', bits: src.get('bert.embeddings.word_embeddings.weight.bits', 'bits', [V, C]) as Uint32Array, rowScale: src.get('bert.embeddings.word_embeddings.weight.row_scale', 'scales', [V]) as Float32Array }
    : { kind: 'float', table: src.get('bert.embeddings.word_embeddings.weight', 'fp', [V, C]) as Float32Array };
  const position = src.get('bert.embeddings.position_embeddings.weight', 'fp', [P, C]) as Float32Array;
  const type = src.get('bert.embeddings.token_type_embeddings.weight', 'fp', [TV, C]) as Float32Array;
  const embLn = layerNorm(src, 'bert.embeddings.LayerNorm', C);
  const layers: PackedLayer[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const s = `${p}.attention.self`;
    const query = linear(src, plan, `${s}.query`, C, C);
    const key = linear(src, plan, `${s}.key`, C, C);
    const value = linear(src, plan, `${s}.value`, C, C);
    const qQuant = actQuant(src, plan, `${s}.query_layer`, 'activation', C);
    const kQuant = actQuant(src, plan, `${s}.key_layer`, 'activation', C);
    const vQuant = actQuant(src, plan, `${s}.value_layer`, 'activation', C);
    const pQuant = actQuant(src, plan, `${s}.attention_probs`, 'activation', P);
    const attnOut = linear(src, plan, `${p}.attention.output.dense`, C, C);
    const attnLn = layerNorm(src, `${p}.attention.output.LayerNorm`, C);
    const intermediate = linear(src, plan, `${p}.intermediate.dense`, C, F);
    const output = linear(src, plan, `${p}.output.dense`, F, C);
    const outLn = layerNorm(src, `${p}.output.LayerNorm`, C);
    layers.push({ query, key, value, qQuant, kQuant, vQuant, pQuant, attnOut, attnLn, intermediate, output, outLn });
  }
  const pooler = linear(src, plan, 'bert.pooler.dense', C, C);
  const classifier = { weight: src.get('classifier.weight', 'fp', [NL, C]) as Float32Array, bias: src.get('classifier.bias', 'fp', [NL]) as Float32Array };
  const ffnActivation = planQuantizes(plan) ? plan!.options.ffnActivation : config.hiddenAct;
  return { header, config, ffnActivation, embeddings: { word, position, type, ln: embLn }, layers, pooler, classifier, tensors: src.tensors };
}

/** Tensors of a live BertModel: parameters as they are, `.weight.bits`/`.alpha`/`.row_scale` binarized and packed. */
class ModelSource implements TensorSource {
  readonly origin: string;
  constructor(private readonly model: BertModel, private readonly k: Kernels, origin: string) {
    this.origin = origin;
  }

  has(name: string): boolean {
    return this.model.hasParam(name);
  }

  get(name: string, _section: PackedSection, _shape: number[]): Float32Array | Uint32Array {
    const m = this.model;
    const centred = m.plan?.options.weightCentering ?? true;
    if (name.endsWith('.weight.bits') || name.endsWith('.weight.alpha') || name.endsWith('.weight.row_scale')) {
      const base = name.slice(0, name.lastIndexOf('.'));
      const w = m.param(base);
      const [rows, K] = base === 'bert.embeddings.word_embeddings.weight' ? [m.config.vocabSize, m.config.hidden] : [m.spec(base).shape[0]!, m.spec(base).shape[1]!];
      const wb = new Float32Array(rows * K);
      let alpha = 0;
      const rowScale = new Float32Array(rows);
      if (base === 'bert.embeddings.word_embeddings.weight') this.k.binarizeRows(wb, rowScale, w, rows, K, centred);
      else alpha = this.k.binarizeWeight(wb, w, rows * K, centred);
      if (name.endsWith('.alpha')) return Float32Array.of(alpha);
      if (name.endsWith('.row_scale')) return rowScale;
      // wb = +-scale; bit 1 where wb >= 0, i.e. where w - centre >= 0 (a zero scale gives +-0, and -0 >= 0 too, but
      // then every product is 0 whatever the bit)
      const bits = new Uint32Array(packedLength(rows, K));
      this.k.packBits(bits, wb, null, 0, rows, K);
      return bits;
    }
    return m.param(name);
  }
}

/** The PackedModel of a trained model and its checkpoint metadata; `vocab` is the tokenizer's token list. */
export function packModel(model: BertModel, meta: CheckpointMeta, vocab: readonly string[], checkpointPath: string | null = null): PackedModel {
  const header: PackedHeader = {
    config: { ...meta.config },
    plan: meta.plan,
    stage: meta.stage,
    task: meta.task,
    labelNames: [...meta.labelNames],
    isRegression: meta.isRegression,
    tokenizer: { vocab: [...vocab], lowercase: meta.tokenizer.lowercase, truncation: meta.tokenizer.truncation, maxLength: meta.tokenizer.maxLength, source: meta.tokenizer.vocab },
    metrics: { ...meta.metrics },
    provenance: {
      recipe: meta.provenance.recipe,
      recipeHash: meta.provenance.recipeHash,
      parents: [meta.provenance.teacher, meta.provenance.init].filter((p): p is string => p !== null),
      checkpoint: checkpointPath,
      step: meta.provenance.step,
      createdAt: meta.provenance.createdAt,
    },
  };
  return assemblePackedModel(header, new ModelSource(model, model.kernels, checkpointPath ?? '<model>'));
}

/** Per quant point: bit widths and activation set (the `.bitpack` metadata's "bit widths per layer"). */
export function bitWidthTable(plan: QuantPlan | null, config: Pick<BertConfig, 'layers'>): Pick<LayerQuantPlan, 'layer' | 'weightBits' | 'activationBits' | 'activationSet' | 'kind'>[] {
  return listQuantPoints(config).map((pt) => {
    const p = planFor(plan, pt.name);
    return { layer: pt.name, kind: pt.kind, weightBits: p?.weightBits ?? 32, activationBits: p?.activationBits ?? 32, activationSet: p?.activationSet ?? pt.twoSetDefault };
  });
}
