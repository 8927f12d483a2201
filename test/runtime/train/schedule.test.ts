import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRateAt } from '../../../runtime/train/schedule.js';

test('linear warm-up over the first 10 % of steps, then linear decay to 0', () => {
  const total = 100;
  // 10 warm-up steps: step 0 -> 0.1, step 9 -> 1.0
  assert.equal(learningRateAt(0, total, 1, 0.1), 0.1);
  assert.equal(learningRateAt(9, total, 1, 0.1), 1);
  // decay: step 10 -> 90/90, step 55 -> 45/90, last step 99 -> 1/90
  assert.equal(learningRateAt(10, total, 1, 0.1), 1);
  assert.equal(learningRateAt(55, total, 2, 0.1), 1);
  assert.ok(Math.abs(learningRateAt(99, total, 1, 0.1) - 1 / 90) < 1e-12);
  // no warm-up
  assert.equal(learningRateAt(0, 4, 1, 0), 1);
  assert.equal(learningRateAt(2, 4, 1, 0), 0.5);
});
