/**
 * Shared fixtures of the model tests: a tiny configuration, quantization options, a batch with padding, and a
 * parameter fill that puts values away from zero so that every path (shifts, biases, LayerNorm) is exercised.
 */
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { BertModel } from '../../../runtime/model/bert.js';
import type { Batch, BertConfig } from '../../../runtime/model/types.js';
import { buildQuantPlan } from '../../../runtime/quant/plan.js';
import type { BitWidth, QuantizationOptions } from '../../../runtime/recipe/types.js';
import { Rng } from '../../../runtime/util/rng.js';

export const tinyConfig: BertConfig = {
  layers: 2, hidden: 8, heads: 2, intermediate: 16, maxPositions: 8, vocabSize: 30, typeVocabSize: 2,
  hiddenAct: 'gelu', hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 3,
};

export const defaultQuant: QuantizationOptions = {
  weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true, scaleInit: 'reference',
  attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null,
};

export function tinyBatch(): Batch {
  const B = 2, T = 5;
  const rng = new Rng(7);
  const inputIds = Int32Array.from({ length: B * T }, () => rng.int(30));
  const tokenTypeIds = Int32Array.from([0, 0, 0, 1, 1, 0, 0, 1, 1, 1]);
  const attentionMask = Int32Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]); // one padding token
  return { B, T, inputIds, tokenTypeIds, attentionMask };
}

/**
 * A model with random, well-spread parameters: matrices ~ N(0, 0.5^2), biases/shifts/LayerNorm beta ~ N(0, 0.1^2),
 * LayerNorm gamma ~ 1 + N(0, 0.1^2); scales initialised by one training forward (scale-init.ts rules).
 */
export function tinyModel(wBits: BitWidth | null, aBits: BitWidth, quant: Partial<QuantizationOptions> = {}, seed = 1): BertModel {
  const plan = wBits === null ? null : buildQuantPlan(tinyConfig, { name: 'stage', weightBits: wBits, activationBits: aBits, quantization: { ...defaultQuant, ...quant } }, []);
  const m = new BertModel(tinyConfig, plan, referenceKernels);
  spreadParams(m, seed);
  m.forward(tinyBatch(), { training: true });
  return m;
}

/** The parameter fill of tinyModel, for models of other shapes; scales are left 0 for the next training forward. */
export function spreadParams(m: BertModel, seed: number): void {
  const rng = new Rng(seed);
  for (const s of m.params) {
    const v = m.param(s.name);
    for (let i = 0; i < s.size; i++) {
      if (s.group === 'scale') v[i] = 0;
      else if (s.group === 'weight') v[i] = 0.5 * rng.normal();
      else if (s.name.endsWith('LayerNorm.weight')) v[i] = 1 + 0.1 * rng.normal();
      else v[i] = 0.1 * rng.normal();
    }
  }
}

export function randomLike(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** max|got - want| / max(max|want|, 1e-6) */
export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    ref = Math.max(ref, Math.abs(want[i]!));
  }
  return diff / Math.max(ref, 1e-6);
}
