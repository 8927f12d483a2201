/**
 * Checks of the layer overrides against the model behind the recipe (model-source.ts), pure:
 *   BK4003  a `match` pattern that matches no layer of the model, with the closest layer names / patterns;
 *   BK4004  `activationSet: signed` on activations that are never negative (attention probabilities, the post-ReLU
 *           input of FFN-2), BK4005 `unsigned` on activations that take negative values (algorithm doc section 2).
 * Without a model (a `.bitpack` teacher, a missing checkpoint) BK4003 is skipped and the set checks use the
 * layer kinds of a generic BERT, which do not depend on the layer count.
 */
import { listQuantPoints } from '../quant/plan.js';
import { makeDiagnostic, nameDistance, type RecipeDiagnostic } from './diagnostics.js';
import { compileLayerPattern } from './layer-pattern.js';
import type { ModelInfo, ModelLayer } from './model-source.js';
import { rangeOfPath, type RecipeSource } from './source.js';
import type { ActivationSet } from './types.js';

type Raw = Record<string, unknown>;

const GENERIC_LAYERS = 24;
let genericLayers: ModelLayer[] | undefined;
const compiled = new Map<string, RegExp | null>();
const MAX_COMPILED = 4096;

/** compileLayerPattern, memoised (the server re-checks the same patterns on every keystroke); null if it fails. */
function patternRegExp(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = compileLayerPattern(pattern);
    } catch {
      re = null;
    }
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Why a quant point's input is never negative / can be negative (shown in BK4004 / BK4005). */
export function activationReason(layer: Pick<ModelLayer, 'name' | 'twoSetDefault'>): string {
  if (layer.name.endsWith('.attention_probs')) return 'attention probabilities come out of a softmax, in [0, 1]';
  if (layer.name.endsWith('.output.dense')) return "the input of FFN-2 is the output of the student's ReLU";
  if (/\.(query|key|value)_layer$/.test(layer.name)) return 'projected Q, K and V take both signs';
  return layer.twoSetDefault === 'signed' ? 'the input of this Linear is a LayerNorm output or a projection, with both signs' : 'it is never negative';
}

const matches = new WeakMap<readonly ModelLayer[], Map<string, ModelLayer[]>>();

/** The layers (quant points) a pattern matches; memoised per layer list (do not mutate the result). */
export function layersMatching(pattern: string, layers: readonly ModelLayer[]): ModelLayer[] {
  let memo = matches.get(layers);
  if (!memo) matches.set(layers, (memo = new Map()));
  let hit = memo.get(pattern);
  if (!hit) {
    const re = patternRegExp(pattern);
    hit = re ? layers.filter((l) => re.test(l.name)) : [];
    if (memo.size >= MAX_COMPILED) memo.clear();
    memo.set(pattern, hit);
  }
  return hit;
}

/** Up to `n` names or per-layer patterns (`layer.*.`) closest to a pattern that matches nothing. */
export function closestLayerNames(pattern: string, layers: readonly ModelLayer[], n = 3): string[] {
  const candidates = new Set<string>();
  for (const l of layers) {
    candidates.add(l.name);
    if (l.layer !== null) candidates.add(l.name.replace(/\.layer\.\d+\./, '.layer.*.'));
  }
  return [...candidates]
    .map((c) => ({ c, d: nameDistance(pattern, c) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((x) => x.c);
}

export function checkLayerRules(src: RecipeSource, raw: unknown, model: ModelInfo | undefined, out: RecipeDiagnostic[]): void {
  const r = raw as Raw | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.overrides)) return;
  const generic = model?.layers ?? (genericLayers ??= listQuantPoints({ layers: GENERIC_LAYERS }).map((p) => ({ ...p, shape: null })));
  r.overrides.forEach((o, k) => {
    const ov = o as Raw | null;
    if (!ov || typeof ov !== 'object' || typeof ov.match !== 'string' || ov.match === '') return;
    const matched = layersMatching(ov.match, generic);
    if (model && matched.length === 0) {
      const closest = closestLayerNames(ov.match, model.layers);
      const suggestion = `Closest layer names: ${closest.join(', ')}.`;
      out.push(makeDiagnostic('BK4003', src.file, rangeOfPath(src, ['overrides', k, 'match']), { match: ov.match, origin: model.origin, suggestion }, { index: k, match: ov.match, closest }));
      return;
    }
    const set = ov.activationSet;
    if (set !== 'signed' && set !== 'unsigned' || ov.keepFullPrecision === true) return;
    const quantized = matched.filter((l) => l.kind !== 'embedding');
    const wrong = quantized.filter((l) => l.twoSetDefault !== set);
    if (wrong.length === 0) return;
    const defaults = new Set(quantized.map((l) => l.twoSetDefault));
    const conventional: ActivationSet | null = defaults.size === 1 ? [...defaults][0]! : null;
    const layers = describeLayers(wrong);
    const why = [...new Set(wrong.map(activationReason))].join('; ');
    const code = set === 'signed' ? 'BK4004' : 'BK4005';
    out.push(makeDiagnostic(code, src.file, rangeOfPath(src, ['overrides', k, 'activationSet']), { layers, why }, { index: k, set, conventional, layers: wrong.map((l) => l.name) }));
  });
}

/** `'bert.encoder.layer.0.attention.self.attention_probs'` or `4 layers (bert.encoder.layer.*.attention.self.attention_probs)`. */
function describeLayers(layers: ModelLayer[]): string {
  if (layers.length === 1) return `'${layers[0]!.name}'`;
  const patterns = [...new Set(layers.map((l) => l.name.replace(/\.layer\.\d+\./, '.layer.*.')))];
  return `${layers.length} layers (${patterns.slice(0, 3).join(', ')}${patterns.length > 3 ? ', ...' : ''})`;
}
