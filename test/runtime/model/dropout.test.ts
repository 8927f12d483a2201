/**
 * Dropout masks: the inlined generator in dropoutMask draws exactly the stream of Rng.next() (same masks, same final
 * state, so a resumed run continues the same stream), the kept fraction is about 1 - p, and applyMask scales by the
 * mask.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMask, dropoutMask } from '../../../runtime/model/dropout.js';
import { Rng } from '../../../runtime/util/rng.js';

test('dropoutMask = rng.next() < p ? 0 : 1/(1-p) per element, in order, leaving the generator where next() would', () => {
  for (const [seed, n, p] of [[1, 100000, 0.1], [7, 3333, 0.5], [123, 1, 0.9], [5, 0, 0.1], [9, 5000, 0], [0xffffffff, 777, 0.25]] as const) {
    const fast = new Rng(seed), plain = new Rng(seed);
    const got = new Float32Array(n + 1).fill(-1), want = new Float32Array(n + 1).fill(-1);
    dropoutMask(got, n, p, fast);
    const keep = 1 / (1 - p);
    for (let i = 0; i < n; i++) want[i] = plain.next() < p ? 0 : keep;
    assert.deepEqual(got, want, `seed ${seed} n ${n} p ${p}`);
    assert.equal(fast.state, plain.state);
    if (n >= 5000) {
      const kept = got.subarray(0, n).filter((v) => v !== 0).length / n;
      assert.ok(Math.abs(kept - (1 - p)) < 0.02, `kept ${kept} for p ${p}`);
    }
  }
});

test('applyMask multiplies element by element, in place too', () => {
  const x = Float32Array.from([1, -2, 3, 4]);
  const m = Float32Array.from([0, 2, 2, 0]);
  const y = new Float32Array(4);
  applyMask(y, x, m, 4);
  assert.deepEqual(Array.from(y), [0, -4, 6, 0]);
  applyMask(x, x, m, 3);
  assert.deepEqual(Array.from(x), [0, -4, 6, 4]);
});
