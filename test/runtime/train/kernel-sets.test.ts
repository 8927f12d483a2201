/**
 * The same recipe and seed trained on every kernel set gives the same metrics within noise: the native and WASM
 * sets agree with the reference op by op (their own tests), and this checks that nothing in the trainer depends
 * on which set runs. Sets that are not built here are skipped with a message.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { selectKernels } from '../../../runtime/kernels/select.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { distill } from '../../../runtime/train/distill.js';
import { writeTinyRun } from '../../helpers/tiny-task.js';

function tryKernels(choice: 'native' | 'wasm'): Kernels | string {
  try {
    return selectKernels(choice, { threads: 2 }).kernels;
  } catch (e) {
    return (e as Error).message;
  }
}

test('teacher -> W1A2 -> W1A1 on reference, native and WASM: same metrics within noise', async (t) => {
  const tiny = writeTinyRun({ epochs: 15, teacherLr: 0.005, studentLr: 0.003 });
  try {
    const results = new Map<string, number[]>();
    for (const choice of ['reference', 'native', 'wasm'] as const) {
      const kernels = choice === 'reference' ? selectKernels('reference').kernels : tryKernels(choice);
      if (typeof kernels === 'string') {
        t.diagnostic(`${choice} kernels skipped: ${kernels}`);
        continue;
      }
      const recipe = loadRecipe(tiny.recipe);
      recipe.output = join(tiny.dir, `run-${choice}`);
      const r = await distill(recipe, { kernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
      results.set(choice, r.stages.map((s) => s.best!));
    }
    for (const [choice, m] of results) t.diagnostic(`${choice}: ${m.map((x) => x.toFixed(4)).join(' / ')}`);
    const ref = results.get('reference')!;
    for (const [choice, metrics] of results) {
      // 16 dev examples: one example is 0.0625. The FP teacher must agree exactly or by one example; the binarized
      // students may flip a few more (a float32 rounding difference can move a value across a sign threshold).
      assert.ok(Math.abs(metrics[0]! - ref[0]!) <= 0.0625 + 1e-9, `${choice} teacher ${metrics[0]} vs reference ${ref[0]}`);
      for (let i = 1; i < metrics.length; i++) {
        assert.ok(Math.abs(metrics[i]! - ref[i]!) <= 0.1875 + 1e-9, `${choice} stage ${i} ${metrics[i]} vs reference ${ref[i]}`);
      }
    }
  } finally {
    rmSync(tiny.dir, { recursive: true, force: true });
  }
});
