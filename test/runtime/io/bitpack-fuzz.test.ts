/**
 * Fuzzing the .bitpack reader: 2,000 mutated files (bit flips, truncation, appended bytes, zeroed runs, and field
 * changes with recomputed checksums that reach the parsers behind the checksums). No crash, no hang, a BitkitError
 * naming the file each time, or a valid model when the mutation kept the file valid. 10,000+: bench/fuzz-bitpack.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packModel } from '../../../runtime/engine/packed-model.js';
import { encodeBitpack } from '../../../runtime/io/bitpack.js';
import { tinyBatch, tinyModel } from '../model/tiny-model.js';
import { metaFor, tinyVocab } from '../engine/helpers.js';
import { fuzzBitpack } from './bitpack-fuzz-run.js';

test('2,000 mutated .bitpack files: a clear BitkitError each time, or a valid model; never a crash or a hang', () => {
  const m = tinyModel(1, 1);
  const good = encodeBitpack(packModel(m, metaFor(m), tinyVocab));
  const r = fuzzBitpack(good, 2000, 1234, tinyBatch());
  assert.deepEqual(r.failures.slice(0, 10), []);
  // a hang detector, not a speed test: generous enough for a loaded 2-core CI machine
  assert.ok(r.slowestMs < 10000, `slowest case ${r.slowestMs} ms`);
  // the checks behind the checksums are reached, not just the checksums
  for (const code of ['BK6204', 'BK6205', 'BK6206', 'BK6209', 'BK6211', 'BK6212']) assert.ok((r.errors[code] ?? 0) > 0, `no ${code} in ${JSON.stringify(r.errors)}`);
});
