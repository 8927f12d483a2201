/**
 * A fast subset of bench/fuzz-parsers.ts (which runs >= 10,000 inputs): mutated safetensors headers, ONNX models and
 * Hugging Face config.json files either parse or throw a BitkitError; no crash, no hang, no runaway allocation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzParsers } from '../../helpers/parser-fuzz.js';

test('parsers survive 1,800 mutated inputs with clear BitkitErrors', () => {
  const stats = fuzzParsers({ safetensors: 700, onnx: 500, config: 600 }, 42);
  for (const s of stats) {
    assert.deepEqual(s.failures, [], `${s.parser}: ${s.failures.join('; ')}`);
    assert.ok(s.rejected > 0 && s.parsed + s.rejected === s.inputs, `${s.parser}: ${s.parsed} parsed, ${s.rejected} rejected of ${s.inputs}`);
  }
  // the mutations reach deep checks, not only the first byte
  assert.ok(Object.keys(stats[0]!.codes).length >= 5, JSON.stringify(stats[0]!.codes));
  assert.ok(stats[1]!.parsed > 0 && stats[2]!.parsed > 0);
});
