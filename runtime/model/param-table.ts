/**
 * The parameter table: one list of (name, shape, group) from which the flat parameter buffer, the gradient buffer,
 * the optimiser state and checkpoints are all laid out (offsets in floats, in table order, no padding).
 *
 * Names follow Hugging Face BERT exactly; quantizer state sits beside its layer:
 *   `<point>.act_quant.scale` [1]   elastic scale `a` (group 'scale'; frozen when options.elastic is false)
 *   `<point>.act_quant.shift` [K]   shift `b` (group 'noDecay'), K = the layer's input features for Linears,
 *                                   C for projected Q/K/V, maxPositions for attention_probs (one per key position)
 * A point gets an activation quantizer when its plan entry has activationBits < 32; a shift when options.elastic and
 * (it is a Linear, or options.attentionShifts). Groups: matrices and embeddings 'weight'; biases, LayerNorms and
 * shifts 'noDecay'; scales 'scale'.
 */
import { BitkitError } from '../errors.js';
import { planFor } from '../quant/plan.js';
import type { BertConfig, ParamGroup, ParamSpec, QuantPlan } from './types.js';

export interface ParamEntry {
  name: string;
  shape: number[];
  group: ParamGroup;
  frozen?: boolean;
}

export const SCALE_SUFFIX = '.act_quant.scale';
export const SHIFT_SUFFIX = '.act_quant.shift';

/** Whether a quant point has an activation quantizer, and whether it has a shift. */
export function actQuantPresence(plan: QuantPlan | null, point: string, kind: 'linear' | 'activation'): { quant: boolean; shift: boolean } {
  const p = planFor(plan, point);
  if (plan === null || p === undefined || p.activationBits >= 32) return { quant: false, shift: false };
  const shift = plan.options.elastic && (kind === 'linear' || plan.options.attentionShifts);
  return { quant: true, shift };
}

/** The (name, shape, group) entries of a model, in forward order. */
export function paramEntries(config: BertConfig, plan: QuantPlan | null): ParamEntry[] {
  const { hidden: C, intermediate: F, vocabSize: V, maxPositions: P, typeVocabSize: TV, numLabels: NL } = config;
  const frozen = plan !== null && !plan.options.elastic;
  const out: ParamEntry[] = [];
  const actQuant = (point: string, kind: 'linear' | 'activation', channels: number): void => {
    const has = actQuantPresence(plan, point, kind);
    if (!has.quant) return;
    out.push(frozen ? { name: point + SCALE_SUFFIX, shape: [1], group: 'scale', frozen: true } : { name: point + SCALE_SUFFIX, shape: [1], group: 'scale' });
    if (has.shift) out.push({ name: point + SHIFT_SUFFIX, shape: [channels], group: 'noDecay' });
  };
  const linear = (point: string, outF: number, inF: number): void => {
    out.push({ name: `${point}.weight`, shape: [outF, inF], group: 'weight' });
    out.push({ name: `${point}.bias`, shape: [outF], group: 'noDecay' });
    actQuant(point, 'linear', inF);
  };
  const layerNorm = (prefix: string, n: number): void => {
    out.push({ name: `${prefix}.weight`, shape: [n], group: 'noDecay' });
    out.push({ name: `${prefix}.bias`, shape: [n], group: 'noDecay' });
  };
  out.push({ name: 'bert.embeddings.word_embeddings.weight', shape: [V, C], group: 'weight' });
  out.push({ name: 'bert.embeddings.position_embeddings.weight', shape: [P, C], group: 'weight' });
  out.push({ name: 'bert.embeddings.token_type_embeddings.weight', shape: [TV, C], group: 'weight' });
  layerNorm('bert.embeddings.LayerNorm', C);
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, C, C);
    linear(`${p}.attention.self.key`, C, C);
    linear(`${p}.attention.self.value`, C, C);
    actQuant(`${p}.attention.self.query_layer`, 'activation', C);
    actQuant(`${p}.attention.self.key_layer`, 'activation', C);
    actQuant(`${p}.attention.self.value_layer`, 'activation', C);
    actQuant(`${p}.attention.self.attention_probs`, 'activation', P);
    linear(`${p}.attention.output.dense`, C, C);
    layerNorm(`${p}.attention.output.LayerNorm`, C);
    linear(`${p}.intermediate.dense`, F, C);
    linear(`${p}.output.dense`, C, F);
    layerNorm(`${p}.output.LayerNorm`, C);
  }
  linear('bert.pooler.dense', C, C);
  out.push({ name: 'classifier.weight', shape: [NL, C], group: 'weight' });
  out.push({ name: 'classifier.bias', shape: [NL], group: 'noDecay' });
  return out;
}

/** Offsets and sizes from the entries, in order. */
export function layoutParams(entries: ParamEntry[]): { specs: ParamSpec[]; total: number } {
  let offset = 0;
  const specs: ParamSpec[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new BitkitError('BK7101', `parameter table: duplicate name ${e.name}`, { hint: 'a bug in the model\'s parameter table' });
    seen.add(e.name);
    const size = e.shape.reduce((a, b) => a * b, 1);
    const spec: ParamSpec = { name: e.name, shape: [...e.shape], group: e.group, offset, size };
    if (e.frozen) spec.frozen = true;
    specs.push(spec);
    offset += size;
  }
  return { specs, total: offset };
}

export function buildParamTable(config: BertConfig, plan: QuantPlan | null): { specs: ParamSpec[]; total: number } {
  return layoutParams(paramEntries(config, plan));
}
