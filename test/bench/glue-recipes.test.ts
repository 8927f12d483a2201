/**
 * The committed example recipe of every row of bench/glue (examples/glue/<task>/<method>.bitkit.yaml): it is what the
 * generator writes (so the examples and the benchmark cannot drift apart), it parses without an error, its data
 * files pass the file checks when ../shared/data/glue is present, and its stages and quantization options are the
 * row's method.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_RECIPES_DIR, exampleRecipeText, glueRoot, METHODS, overridePreset, PRESETS, presetFor, recipeYaml, TASKS } from '../../bench/glue-methods.js';
import { analyzeRecipeText } from '../../runtime/recipe/parse.js';
import { checkRecipeFiles } from '../../runtime/recipe/load.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const rows = METHODS.filter((m) => !m.sameRunAs);

test('examples/glue holds one recipe per task and row, exactly as bench/glue --write-recipes writes it', () => {
  assert.deepEqual(readdirSync(join(repo, EXAMPLE_RECIPES_DIR)).sort(), Object.keys(TASKS).sort());
  for (const task of Object.keys(TASKS)) {
    const files = readdirSync(join(repo, EXAMPLE_RECIPES_DIR, task)).sort();
    assert.deepEqual(files, rows.map((m) => `${m.id}.bitkit.yaml`).sort(), task);
    for (const m of rows) {
      const committed = readFileSync(join(repo, EXAMPLE_RECIPES_DIR, task, `${m.id}.bitkit.yaml`), 'utf8');
      assert.equal(committed, exampleRecipeText(task, m), `${task}/${m.id}: run \`node --import tsx bench/glue.ts --write-recipes\``);
    }
  }
});

test('every row recipe parses clean, its files check out, and its stages and options are the method', (t) => {
  const haveGlue = existsSync(glueRoot);
  if (!haveGlue) t.diagnostic(`${glueRoot} is absent: the recipes' data files are not checked`);
  for (const task of Object.keys(TASKS)) {
    for (const m of rows) {
      const file = join(repo, EXAMPLE_RECIPES_DIR, task, `${m.id}.bitkit.yaml`);
      const analysis = analyzeRecipeText(readFileSync(file, 'utf8'), file);
      // BiT* and the BinaryBERT-style row jump from FP straight to W1A1 on purpose: the language server's warning
      // about that jump (BK3007, with its insert-W1A2 quick fix) is the one diagnostic they may have.
      const direct = m.stages.some((s) => s.teacher === 'teacher' && s.bits === 'W1A1');
      assert.deepEqual(analysis.diagnostics.map((d) => d.code), direct ? ['BK3007'] : [], `${task}/${m.id}`);
      if (haveGlue) assert.deepEqual(checkRecipeFiles(analysis), [], `${task}/${m.id}`);
      const r = analysis.recipe!;
      assert.equal(r.task, task);
      assert.deepEqual(r.stages.map((s) => [s.name, s.teacher, `W${s.weightBits}A${s.activationBits}`]), m.stages.map((s) => [s.name, s.teacher, s.bits]), `${task}/${m.id}`);
      for (const stage of r.stages) {
        for (const [key, value] of Object.entries(m.quantization ?? {})) assert.equal((stage.quantization as unknown as Record<string, unknown>)[key], value, `${task}/${m.id} ${stage.name} ${key}`);
      }
    }
  }
});

test('bench/glue presets: per-task settings apply, and --set wins over them', () => {
  const small = PRESETS['small']!;
  for (const task of Object.keys(small.perTask ?? {})) {
    const p = presetFor(small, task);
    for (const [k, v] of Object.entries(small.perTask![task]!)) assert.equal(p[k as keyof typeof p], v);
  }
  const set = overridePreset(small, 'teacherEpochs=7,lr=0.002');
  for (const task of Object.keys(TASKS)) {
    assert.equal(presetFor(set, task).teacherEpochs, 7);
    assert.equal(presetFor(set, task).lr, 0.002);
  }
  assert.throws(() => overridePreset(small, 'nope=1'), /keys are/);
  assert.throws(() => overridePreset(small, 'lr=fast'), /not a number/);
  // A teacher checkpoint replaces the teacher's training block.
  const text = recipeYaml({ task: 'sst2', method: METHODS.find((m) => m.id === 'bit-star')!, preset: presetFor(small, 'sst2'), seed: 2, teacherCheckpoint: '/x/teacher.safetensors' });
  assert.match(text, /checkpoint: "\/x\/teacher.safetensors"/);
  assert.doesNotMatch(text, /architecture:/);
  assert.match(text, /seed: 2/);
});
