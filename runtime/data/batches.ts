/**
 * Encoding a dataset once and cutting it into padded batches. Examples are tokenized up front into flat Int32Arrays
 * (ragged rows addressed by `offsets`); each epoch `makeBatches` reorders (seeded shuffle, or in order for dev) and
 * pads every batch to its own longest row, so short batches cost short sequences.
 */
import { BitkitError } from '../errors.js';
import type { Batch } from '../model/types.js';
import type { TruncationStrategy } from '../recipe/types.js';
import type { Rng } from '../util/rng.js';
import { DataErrors } from './codes.js';
import type { BertTokenizer } from './tokenizer.js';

/** Example as encodeDataset takes it: a label may be absent (inference). */
export interface ExampleInput {
  textA: string;
  textB?: string;
  label?: number;
}

export interface EncodedDataset {
  /** N examples */
  size: number;
  /** [N+1] row i is [offsets[i], offsets[i+1]) of the flat arrays */
  offsets: Int32Array;
  /** [sum of lengths] token ids, [CLS] ... [SEP] */
  inputIds: Int32Array;
  /** [sum of lengths] token type ids */
  tokenTypeIds: Int32Array;
  /** [N] class index or score; null when the examples carry no labels */
  labels: Float32Array | null;
  /** id used for padding */
  padId: number;
  /** longest row */
  maxLen: number;
}

export function encodeDataset(
  examples: readonly ExampleInput[],
  tokenizer: BertTokenizer,
  options: { maxLength: number; truncation?: TruncationStrategy },
): EncodedDataset {
  const n = examples.length;
  const offsets = new Int32Array(n + 1);
  const ids: number[] = [];
  const types: number[] = [];
  const hasLabels = n > 0 && examples.every((e) => e.label !== undefined);
  const labels = hasLabels ? new Float32Array(n) : null;
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const e = examples[i]!;
    const enc = tokenizer.encode(e.textA, e.textB, { maxLength: options.maxLength, truncation: options.truncation ?? 'longest_first' });
    for (let j = 0; j < enc.inputIds.length; j++) {
      ids.push(enc.inputIds[j]!);
      types.push(enc.tokenTypeIds[j]!);
    }
    offsets[i + 1] = ids.length;
    maxLen = Math.max(maxLen, enc.inputIds.length);
    if (labels) labels[i] = e.label!;
  }
  return {
    size: n, offsets, inputIds: Int32Array.from(ids), tokenTypeIds: Int32Array.from(types), labels, padId: tokenizer.padId, maxLen,
  };
}

/** The rows `rows` of `data` as one batch padded to its longest row T. */
export function batchOf(data: EncodedDataset, rows: ArrayLike<number>): Batch {
  const B = rows.length;
  let T = 0;
  for (let b = 0; b < B; b++) T = Math.max(T, data.offsets[rows[b]! + 1]! - data.offsets[rows[b]!]!);
  const inputIds = new Int32Array(B * T).fill(data.padId); // [B,T]
  const tokenTypeIds = new Int32Array(B * T); // [B,T]
  const attentionMask = new Int32Array(B * T); // [B,T]
  const labels = data.labels ? new Float32Array(B) : undefined; // [B]
  for (let b = 0; b < B; b++) {
    const r = rows[b]!;
    const start = data.offsets[r]!;
    const len = data.offsets[r + 1]! - start;
    inputIds.set(data.inputIds.subarray(start, start + len), b * T);
    tokenTypeIds.set(data.tokenTypeIds.subarray(start, start + len), b * T);
    attentionMask.fill(1, b * T, b * T + len);
    if (labels) labels[b] = data.labels![r]!;
  }
  const batch: Batch = { B, T, inputIds, tokenTypeIds, attentionMask };
  if (labels) batch.labels = labels;
  return batch;
}

/**
 * All of `data` as batches of `batchSize` (the last may be smaller), shuffled with `rng` (one Fisher-Yates pass,
 * advancing rng) or in order when rng is null.
 */
export function makeBatches(data: EncodedDataset, batchSize: number, rng: Rng | null): Batch[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new BitkitError(DataErrors.badArgument, `batch size must be a positive integer, got ${batchSize}`);
  }
  const order = new Int32Array(data.size);
  for (let i = 0; i < data.size; i++) order[i] = i;
  if (rng) rng.shuffle(order);
  const batches: Batch[] = [];
  for (let s = 0; s < data.size; s += batchSize) batches.push(batchOf(data, order.subarray(s, Math.min(s + batchSize, data.size))));
  return batches;
}
