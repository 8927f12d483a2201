/** Encoding a dataset and cutting it into padded batches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeDataset, makeBatches } from '../../../runtime/data/batches.js';
import { BertTokenizer } from '../../../runtime/data/tokenizer.js';
import { Rng } from '../../../runtime/util/rng.js';

const tok = BertTokenizer.default();
// token counts with [CLS]/[SEP]: 'a' -> 3, 'a b c' -> 5, 'a b' + 'c' -> 6, 'a b c d e f g h' -> 10 (cut to 8)
const examples = [
  { textA: 'a', label: 0 },
  { textA: 'a b c', label: 1 },
  { textA: 'a b', textB: 'c', label: 1 },
  { textA: 'a b c d e f g h', label: 0 },
  { textA: 'b', label: 1 },
];

describe('batches', () => {
  const data = encodeDataset(examples, tok, { maxLength: 8 });

  it('encodes once into flat Int32Arrays', () => {
    assert.equal(data.size, 5);
    assert.deepEqual(Array.from(data.offsets), [0, 3, 8, 14, 22, 25]);
    assert.deepEqual(Array.from(data.inputIds.subarray(8, 14)), [101, 1037, 1038, 102, 1039, 102]);
    assert.deepEqual(Array.from(data.tokenTypeIds.subarray(8, 14)), [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(data.inputIds.subarray(14, 22)), [101, 1037, 1038, 1039, 1040, 1041, 1042, 102]);
    assert.deepEqual(Array.from(data.labels!), [0, 1, 1, 0, 1]);
    assert.equal(data.maxLen, 8);
  });

  it('in order: each batch padded to its own longest row', () => {
    const batches = makeBatches(data, 2, null);
    assert.deepEqual(batches.map((b) => [b.B, b.T]), [[2, 5], [2, 8], [1, 3]]);
    const b0 = batches[0]!;
    assert.deepEqual(Array.from(b0.inputIds), [101, 1037, 102, 0, 0, 101, 1037, 1038, 1039, 102]);
    assert.deepEqual(Array.from(b0.attentionMask), [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(b0.tokenTypeIds), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b0.labels!), [0, 1]);
    assert.ok(b0.labels instanceof Float32Array && b0.inputIds instanceof Int32Array);
    const b1 = batches[1]!;
    assert.deepEqual(Array.from(b1.tokenTypeIds), [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b1.attentionMask), [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('shuffled with a seeded Rng: a permutation, reproducible, and different from the order', () => {
    const firstIds = (bs: ReturnType<typeof makeBatches>) =>
      bs.flatMap((b) => Array.from({ length: b.B }, (_, i) => Array.from(b.inputIds.subarray(i * b.T, i * b.T + b.T)).filter((v, j) => v !== 0 || b.attentionMask[i * b.T + j] === 1).join(' ')));
    const ordered = firstIds(makeBatches(data, 2, null)).sort();
    const s1 = makeBatches(data, 2, new Rng(7));
    const s2 = makeBatches(data, 2, new Rng(7));
    assert.deepEqual(firstIds(s1), firstIds(s2));
    assert.deepEqual(firstIds(s1).sort(), ordered);
    const orders = new Set([1, 2, 3, 4, 5, 6].map((seed) => firstIds(makeBatches(data, 5, new Rng(seed))).join('|')));
    assert.ok(orders.size > 1);
    assert.equal(s1.reduce((n, b) => n + b.B, 0), 5);
  });

  it('no labels -> batches without labels; bad batch size is an error', () => {
    const unlabeled = encodeDataset([{ textA: 'a' }, { textA: 'b c' }], tok, { maxLength: 16 });
    assert.equal(unlabeled.labels, null);
    assert.equal(makeBatches(unlabeled, 4, null)[0]!.labels, undefined);
    assert.throws(() => makeBatches(data, 0, null), /batch size/);
  });
});
