import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../../../runtime/io/safetensors.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { distill } from '../../../runtime/train/distill.js';
import type { RunEvent } from '../../../runtime/train/events.js';
import { StageCancelled } from '../../../runtime/train/stage-loop.js';
import { writeTinyRun } from '../../helpers/tiny-task.js';

function collect(): { events: RunEvent[]; sink: { emit(e: RunEvent): void } } {
  const events: RunEvent[] = [];
  return { events, sink: { emit: (e) => events.push(e) } };
}

function paramsOf(path: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of readSafetensors(path).tensors) if (!name.startsWith('optimizer.')) out.set(name, t.data as Float32Array);
  return out;
}

test('a stage stopped mid-way and resumed ends with the same weights as an uninterrupted run', async () => {
  const tiny = writeTinyRun();
  try {
    const straight = loadRecipe(tiny.recipe);
    straight.output = join(tiny.dir, 'straight');
    const a = collect();
    const full = await distill(straight, { kernels: referenceKernels, sink: a.sink, cancel: { requested: false }, resume: false });
    assert.deepEqual(full.stages.map((s) => s.stage), ['teacher', 'w1a2', 'w1a1']);

    const broken = loadRecipe(tiny.recipe);
    broken.output = join(tiny.dir, 'broken');
    const b = collect();
    // Stop in the middle of the teacher's first epoch (6 steps per epoch), as SIGTERM would.
    await assert.rejects(
      distill(broken, { kernels: referenceKernels, sink: b.sink, cancel: { requested: false }, resume: false, stopAfterSteps: 4 }),
      (e: unknown) => e instanceof StageCancelled && e.step === 4,
    );
    assert.ok(existsSync(join(broken.output, 'teacher', 'resume.safetensors')));
    // Without --resume the run folder is protected.
    await assert.rejects(distill(broken, { kernels: referenceKernels, sink: b.sink, cancel: { requested: false }, resume: false }), /already holds checkpoints/);
    const resumed = await distill(broken, { kernels: referenceKernels, sink: b.sink, cancel: { requested: false }, resume: true });
    assert.deepEqual(resumed.stages.map((s) => s.best), full.stages.map((s) => s.best));

    for (const stage of ['teacher', 'w1a2', 'w1a1']) {
      for (const file of ['best.safetensors', 'resume.safetensors']) {
        const x = paramsOf(join(straight.output, stage, file));
        const y = paramsOf(join(broken.output, stage, file));
        assert.deepEqual([...x.keys()], [...y.keys()]);
        for (const [name, data] of x) assert.deepEqual(y.get(name), data, `${stage}/${file}: ${name} differs`);
      }
    }
    // Every file in the run folder is complete: no temp files left behind.
    for (const stage of ['teacher', 'w1a2', 'w1a1']) {
      assert.deepEqual(readdirSync(join(broken.output, stage)).filter((f) => f.includes('.tmp')), []);
    }
  } finally {
    rmSync(tiny.dir, { recursive: true, force: true });
  }
});
