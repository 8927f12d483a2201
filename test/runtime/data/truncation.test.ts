import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { truncatedLengths, TruncationFailure } from '../../../runtime/data/truncation.js';

describe('truncatedLengths', () => {
  it('longest_first reproduces the Rust tokenizers test table (max_length 7; lengths 0, 2, 4, 8)', () => {
    // truncation.rs `truncate_encodings_longest_first`: (n1, n2) -> expected lengths.
    const table: [number, number, number, number][] = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [n1, n2, e1, e2] of table) {
      assert.deepEqual(truncatedLengths(n1, n2, 7, 'longest_first'), [e1, e2], `(${n1}, ${n2})`);
    }
  });

  it('budget 0 empties both; single sequences lose the overflow', () => {
    assert.deepEqual(truncatedLengths(4, 4, 0, 'longest_first'), [0, 0]);
    assert.deepEqual(truncatedLengths(9, null, 7, 'longest_first'), [7, 0]);
    assert.deepEqual(truncatedLengths(9, null, 7, 'only_first'), [7, 0]);
    assert.deepEqual(truncatedLengths(3, null, 7, 'only_second'), [3, 0]);
  });

  it('only_first / only_second remove the overflow from the named sequence or fail', () => {
    assert.deepEqual(truncatedLengths(5, 4, 7, 'only_first'), [3, 4]);
    assert.deepEqual(truncatedLengths(5, 4, 7, 'only_second'), [5, 2]);
    assert.throws(() => truncatedLengths(2, 8, 7, 'only_first'), TruncationFailure); // overflow 3 >= 2
    assert.throws(() => truncatedLengths(8, 3, 7, 'only_second'), TruncationFailure); // overflow 4 >= 3
    assert.throws(() => truncatedLengths(9, null, 7, 'only_second'), TruncationFailure);
  });
});
