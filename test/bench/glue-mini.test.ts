/**
 * A miniature of bench/glue on a slice of SST-2: FP teacher -> W1A2 -> W1A1 with the `mini` preset, checking the
 * pipeline end to end on real GLUE text. Skips with a message when ../shared/data/glue is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectKernels } from '../../runtime/kernels/select.js';
import { loadRecipeText } from '../../runtime/recipe/load.js';
import { distill } from '../../runtime/train/distill.js';
import { glueRoot, METHODS, PRESETS, recipeYaml } from '../../bench/glue-methods.js';

test('SST-2 slice: BiT W1A1 beats chance by a margin', async (t) => {
  if (!existsSync(join(glueRoot, 'SST-2', 'train.tsv'))) {
    t.skip(`${glueRoot} is absent: the GLUE files are needed for this test`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-glue-mini-'));
  try {
    const bit = METHODS.find((m) => m.id === 'bit')!;
    const file = join(dir, 'mini.bitkit.yaml');
    const recipe = loadRecipeText(recipeYaml({ task: 'sst2', method: bit, preset: PRESETS['mini']!, seed: 1, teacherCheckpoint: null }), file);
    recipe.output = join(dir, 'run');
    const { kernels } = selectKernels('auto');
    t.diagnostic(`kernels: ${kernels.name}`);
    const r = await distill(recipe, { kernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
    const [teacher, w1a2, w1a1] = r.stages.map((s) => s.best!);
    t.diagnostic(`dev accuracy: teacher ${teacher}, W1A2 ${w1a2}, W1A1 ${w1a1} (chance ~0.51)`);
    // SST-2 dev is balanced (444 positive of 872): chance is about 0.51.
    assert.ok(teacher! >= 0.6, `teacher ${teacher}`);
    assert.ok(w1a1! >= 0.56, `W1A1 ${w1a1}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
