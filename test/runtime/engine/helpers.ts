/**
 * Fixtures of the engine tests: checkpoint metadata and a vocabulary for the tiny random models of
 * test/runtime/model/tiny-model.ts, and a bit-exact comparison of logits.
 */
import type { BertModel } from '../../../runtime/model/bert.js';
import type { CheckpointMeta } from '../../../runtime/train/checkpoint.js';

/** 30 tokens (tinyConfig.vocabSize): the BERT specials and a few words. */
export const tinyVocab: string[] = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'a', 'good', 'bad', 'movie', 'was', 'very', 'great', 'awful', 'plot', 'and', 'it', 'is', 'not', 'fine',
  'happy', 'sad', 'best', 'worst', 'story', 'acting', 'poor', '##s', '##ly', '.'];

export function metaFor(model: BertModel, stage = 'stage'): CheckpointMeta {
  const NL = model.config.numLabels;
  return {
    config: model.config,
    plan: model.plan,
    stage,
    task: NL === 1 ? 'stsb' : 'sst2',
    labelNames: NL === 1 ? [] : Array.from({ length: NL }, (_, i) => `class${i}`),
    isRegression: NL === 1,
    tokenizer: { vocab: '<test>', lowercase: true, truncation: 'longest_first', maxLength: 8 },
    metrics: { accuracy: 0.5 },
    provenance: { recipe: 'test.bitkit.yaml', recipeHash: 'abc123', teacher: 'teacher', init: 'w1a2', step: 7, createdAt: '2026-01-01T00:00:00.000Z' },
  };
}

/** Number of positions where a and b differ as float32 bit patterns (NaN never equal). */
export function bitDiffs(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}
