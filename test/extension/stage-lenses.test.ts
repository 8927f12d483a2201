import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stageLocations } from '../../extension/recipe/stage-lenses.js';

test('a lens line per stage (and the teacher), even with an error elsewhere in the recipe', () => {
  const text = 'version: 1\nname: t\nteacher:\n  architecture: { layers: 1 }\nstages:\n  - name: w1a2\n    bits: W1A2\n  - { name: w1a1, bits: W1A1 }\n  - bits: W1A1\nbogus: [1\n';
  assert.deepEqual(stageLocations(text.replace('bogus: [1\n', ''), 't.bitkit.yaml'), [
    { name: 'teacher', line: 2, bits: 'W32A32' },
    { name: 'w1a2', line: 5, bits: 'W1A2' },
    { name: 'w1a1', line: 7, bits: 'W1A1' },
  ]);
  assert.deepEqual(stageLocations('stages:\n  - name: a\nunknownKey: 3\n', 't.bitkit.yaml'), [{ name: 'a', line: 1, bits: null }]);
  assert.deepEqual(stageLocations('- just a list', 't.bitkit.yaml'), []);
});
