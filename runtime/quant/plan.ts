/**
 * Quant points and the per-stage quantization plan.
 *
 * A quant point is one place of the model a recipe can quantize, named the Hugging Face way (these names are what
 * recipe override patterns match, runtime/recipe/layer-pattern.ts):
 *   linear      `bert.encoder.layer.{l}.attention.self.{query,key,value}`, `...attention.output.dense`,
 *               `...intermediate.dense`, `...output.dense`, `bert.pooler.dense`: binarized weight (§1) and a quantizer
 *               on the layer's own input (§2, §3: own `a`, per-input-channel shift `b`).
 *   activation  `bert.encoder.layer.{l}.attention.self.{query_layer,key_layer,value_layer}` (projected Q, K, V, signed)
 *               and `...attention.self.attention_probs` (unsigned): an activation quantizer only.
 *   embedding   `bert.embeddings.word_embeddings`: the table, binarized per row (§1) when its weightBits is 1.
 * Classifier, LayerNorms, position and token-type embeddings are always full precision: they are no quant points.
 *
 * Default sets (§2 two-set table): the input of `output.dense` (after the FFN non-linearity) and `attention_probs`
 * are unsigned {0, a}; every other activation is signed {-a, +a}. options.twoSet = false makes every default signed.
 *
 * Resolution, in order: the stage's weightBits/activationBits everywhere (the word embeddings take the stage's 1 bit
 * only when options.binarizeEmbeddings; an override may still ask for it explicitly), then every override whose
 * `match` glob matches the point name and whose `stages` (if given) contains the stage, in recipe order, later ones
 * winning field by field. keepFullPrecision: true forces weightBits and activationBits to 32. Fields that do not
 * apply to a point (weightBits of an activation point, activationBits of the embeddings) stay 32.
 */
import { BitkitError } from '../errors.js';
import type { BertConfig, LayerQuantPlan, QuantPlan } from '../model/types.js';
import { compileLayerPattern } from '../recipe/layer-pattern.js';
import type { ActivationSet, BitWidth, LayerOverride, QuantizationOptions } from '../recipe/types.js';

export type QuantPointKind = 'linear' | 'activation' | 'embedding';

export interface QuantPoint {
  name: string;
  kind: QuantPointKind;
  /** Set of the quantized activation under the two-set scheme (embedding: 'signed', unused). */
  twoSetDefault: ActivationSet;
  /** Encoder layer index, or null for embeddings and pooler. */
  layer: number | null;
}

export interface StageQuantSpec {
  name: string;
  weightBits: BitWidth;
  activationBits: BitWidth;
  quantization: QuantizationOptions;
}

/** Every quant point of a model, in forward order: word embeddings, 10 per encoder layer, pooler. */
export function listQuantPoints(config: Pick<BertConfig, 'layers'>): QuantPoint[] {
  const pts: QuantPoint[] = [{ name: 'bert.embeddings.word_embeddings', kind: 'embedding', twoSetDefault: 'signed', layer: null }];
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const lin = (name: string, set: ActivationSet = 'signed'): QuantPoint => ({ name, kind: 'linear', twoSetDefault: set, layer: l });
    const act = (name: string, set: ActivationSet): QuantPoint => ({ name, kind: 'activation', twoSetDefault: set, layer: l });
    pts.push(
      lin(`${p}.attention.self.query`),
      lin(`${p}.attention.self.key`),
      lin(`${p}.attention.self.value`),
      act(`${p}.attention.self.query_layer`, 'signed'),
      act(`${p}.attention.self.key_layer`, 'signed'),
      act(`${p}.attention.self.value_layer`, 'signed'),
      act(`${p}.attention.self.attention_probs`, 'unsigned'),
      lin(`${p}.attention.output.dense`),
      lin(`${p}.intermediate.dense`),
      lin(`${p}.output.dense`, 'unsigned'),
    );
  }
  pts.push({ name: 'bert.pooler.dense', kind: 'linear', twoSetDefault: 'signed', layer: null });
  return pts;
}

const WEIGHT_BITS: readonly number[] = [1, 32];
const ACTIVATION_BITS: readonly number[] = [1, 2, 4, 8, 32];

function checkBits(stage: string, point: string, what: 'weightBits' | 'activationBits', bits: number): void {
  const ok = what === 'weightBits' ? WEIGHT_BITS : ACTIVATION_BITS;
  if (!ok.includes(bits)) {
    throw new BitkitError(what === 'weightBits' ? 'BK4101' : 'BK4102',
      `stage '${stage}': ${point} gets ${what} ${bits}, which BiT does not support`,
      { hint: what === 'weightBits' ? 'weights are 1 (binarized) or 32 (full precision)' : 'activations are 1, 2, 4, 8 or 32 bits' });
  }
}

/** Resolve the quantization of every quant point for one stage (see the file comment for the rules). */
export function buildQuantPlan(config: Pick<BertConfig, 'layers'>, stage: StageQuantSpec, overrides: LayerOverride[]): QuantPlan {
  const opts = stage.quantization;
  const compiled = overrides
    .filter((o) => o.stages === undefined || o.stages.includes(stage.name))
    .map((o) => ({ o, re: compileLayerPattern(o.match) }));
  const layers: LayerQuantPlan[] = [];
  for (const pt of listQuantPoints(config)) {
    let weightBits: BitWidth = 32;
    let activationBits: BitWidth = 32;
    if (pt.kind === 'linear') {
      weightBits = stage.weightBits;
      activationBits = stage.activationBits;
    } else if (pt.kind === 'activation') {
      activationBits = stage.activationBits;
    } else if (opts.binarizeEmbeddings) {
      weightBits = stage.weightBits === 1 ? 1 : 32;
    }
    let activationSet: ActivationSet = opts.twoSet ? pt.twoSetDefault : 'signed';
    let keepFullPrecision = false;
    for (const { o, re } of compiled) {
      if (!re.test(pt.name)) continue;
      if (o.weightBits !== undefined && pt.kind !== 'activation') weightBits = o.weightBits;
      if (o.activationBits !== undefined && pt.kind !== 'embedding') activationBits = o.activationBits;
      if (o.activationSet !== undefined) activationSet = o.activationSet;
      if (o.keepFullPrecision !== undefined) keepFullPrecision = o.keepFullPrecision;
    }
    if (keepFullPrecision) {
      weightBits = 32;
      activationBits = 32;
    }
    checkBits(stage.name, pt.name, 'weightBits', weightBits);
    checkBits(stage.name, pt.name, 'activationBits', activationBits);
    layers.push({ layer: pt.name, weightBits, activationBits, activationSet, keepFullPrecision, kind: pt.kind });
  }
  return { options: opts, layers };
}

/** The plan entry of one point (undefined when the plan does not list it). */
export function planFor(plan: QuantPlan | null, point: string): LayerQuantPlan | undefined {
  return plan?.layers.find((l) => l.layer === point);
}

/** true when the plan quantizes something (a plan of all 32 bits, like no plan, is the full-precision model). */
export function planQuantizes(plan: QuantPlan | null): boolean {
  return plan !== null && plan.layers.some((l) => l.weightBits < 32 || l.activationBits < 32);
}
