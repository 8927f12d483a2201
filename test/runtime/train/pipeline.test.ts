/**
 * The whole chain in miniature (teacher from scratch -> W1A2 -> W1A1) on the tiny task: catches regressions
 * anywhere in data, model, quantizers, losses, optimiser or checkpoints that stop a binarized student learning.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { distill } from '../../../runtime/train/distill.js';
import { writeTinyRun } from '../../helpers/tiny-task.js';

test('FP teacher -> W1A2 -> W1A1 learns the tiny task, each stage well above chance', async () => {
  const tiny = writeTinyRun({ epochs: 15, teacherLr: 0.005, studentLr: 0.003 });
  try {
    const recipe = loadRecipe(tiny.recipe);
    const r = await distill(recipe, { kernels: referenceKernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
    const [teacher, w1a2, w1a1] = r.stages.map((s) => s.best!);
    assert.ok(teacher! >= 0.9, `teacher dev accuracy ${teacher}`);
    assert.ok(w1a2! >= 0.75, `W1A2 dev accuracy ${w1a2}`);
    // 16 balanced dev examples: chance is 0.5.
    assert.ok(w1a1! >= 0.75, `W1A1 dev accuracy ${w1a1}`);
  } finally {
    rmSync(tiny.dir, { recursive: true, force: true });
  }
});
