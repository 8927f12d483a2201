// loadRecipe: file checks (BK5xxx) at the place of the path, BitkitError with place and hint, warnings callback,
// and the shipped example recipes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BitkitError } from '../../../runtime/errors.js';
import type { RecipeDiagnostic } from '../../../runtime/recipe/diagnostics.js';
import { EXAMPLE_RECIPE_FILE, EXAMPLE_RECIPE_YAML } from '../../../runtime/recipe/example.js';
import { checkRecipeFiles, loadExampleRecipe, loadRecipe } from '../../../runtime/recipe/load.js';
import { analyzeRecipeText, parseRecipeText } from '../../../runtime/recipe/parse.js';
import { span } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bitkit-recipe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RECIPE = `version: 1
task: sst2
data:
  train: data/missing.tsv
  dev: data/dev.tsv
tokenizer: { vocab: data }
teacher:
  checkpoint: ./teacher.safetensors
stages:
  - name: w1a2
    bits: W1A2
  - name: w1a1
`;

test('missing and wrong-kind files are BK5001 / BK5003 on the path value, relative to the recipe', () => {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'dev.tsv'), 'sentence\tlabel\n');
  const file = join(dir, 'files.bitkit.yaml');
  const analysis = analyzeRecipeText(RECIPE, file);
  assert.deepEqual(analysis.diagnostics, []);
  const base = { file, hint: `Paths are relative to the folder of the recipe (${dir}).` };
  const expected: RecipeDiagnostic[] = [
    { code: 'BK5001', severity: 'error', message: `Training data not found: ${join(dir, 'data/missing.tsv')}`, ...base, range: span(RECIPE, 4, 10, 16), data: { path: join(dir, 'data/missing.tsv') } },
    { code: 'BK5003', severity: 'error', message: `Vocabulary is a folder, not a file: ${join(dir, 'data')}`, file, hint: 'Name the file inside the folder.', range: span(RECIPE, 6, 21, 4), data: { path: join(dir, 'data') } },
    { code: 'BK5001', severity: 'error', message: `Teacher checkpoint not found: ${join(dir, 'teacher.safetensors')}`, ...base, range: span(RECIPE, 8, 15, 21), data: { path: join(dir, 'teacher.safetensors') } },
  ];
  assert.deepEqual(checkRecipeFiles(analysis), expected);
});

test('loadRecipe throws the first error as a BitkitError with file:line:col and hint; checkFiles: false skips files', () => {
  const file = join(dir, 'throws.bitkit.yaml');
  writeFileSync(file, RECIPE);
  assert.throws(
    () => loadRecipe(file),
    (e: unknown) => {
      assert.ok(e instanceof BitkitError);
      assert.equal(e.code, 'BK5001');
      assert.deepEqual(e.place, { file, line: 4, column: 10 });
      assert.equal(e.hint, `Paths are relative to the folder of the recipe (${dir}).`);
      assert.equal(e.format().split('\n')[0], `${file}:4:10: error BK5001: Training data not found: ${join(dir, 'data/missing.tsv')}`);
      return true;
    },
  );
  const warnings: string[] = [];
  const recipe = loadRecipe(file, { checkFiles: false, onWarning: (d) => warnings.push(d.code) });
  assert.equal(recipe.name, 'throws');
  assert.deepEqual(warnings, []);
});

test('loadRecipe reports a schema error at its place and passes warnings to the callback', () => {
  const file = join(dir, 'warn.bitkit.yaml');
  writeFileSync(file, 'version: 1\ntask: example\nteacher: { architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 8, maxPositions: 8 } }\nstages: [{ name: a, bits: W1A1 }]\n');
  const warnings: RecipeDiagnostic[] = [];
  const recipe = loadRecipe(file, { onWarning: (d) => warnings.push(d) });
  assert.equal(recipe.stages[0]!.activationBits, 1);
  assert.deepEqual(warnings.map((w) => `${w.code}@${w.range.start.line}:${w.range.start.column}`), ['BK3007@4:27']);

  writeFileSync(file, 'version: 1\ntask: example\nthreads: -1\n');
  assert.throws(() => loadRecipe(file), (e: unknown) => e instanceof BitkitError && e.code === 'BK2004' && e.place.line === 1 && e.place.column === 1);
  assert.throws(() => loadRecipe(join(dir, 'nope.bitkit.yaml')), (e: unknown) => e instanceof BitkitError && e.code === 'BK5001' && e.place.file === join(dir, 'nope.bitkit.yaml'));
});

test('the shipped examples parse without diagnostics and their data files exist', (t) => {
  const glue = fileURLToPath(new URL('../../../../shared/data/glue/', import.meta.url));
  const haveGlue = existsSync(glue);
  if (!haveGlue) t.diagnostic(`${glue} is absent: the examples' data files are not checked`);
  const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
  const files = readdirSync(examples).filter((f) => f.endsWith('.bitkit.yaml'));
  assert.deepEqual(files.sort(), ['cola.bitkit.yaml', 'sst2.bitkit.yaml', 'stsb.bitkit.yaml']);
  for (const f of files) {
    const analysis = analyzeRecipeText(readFileSync(join(examples, f), 'utf8'), join(examples, f));
    assert.deepEqual(analysis.diagnostics, [], f);
    if (haveGlue) assert.deepEqual(checkRecipeFiles(analysis), [], f);
    assert.deepEqual(analysis.recipe!.stages.map((s) => [s.name, s.teacher, s.weightBits, s.activationBits]), [
      ['w1a2', 'teacher', 1, 2],
      ['w1a1', 'w1a2', 1, 1],
    ]);
  }
});

test('the embedded example recipe: task example, no data files, W1A2 then W1A1', () => {
  assert.deepEqual(parseRecipeText(EXAMPLE_RECIPE_YAML, EXAMPLE_RECIPE_FILE).diagnostics, []);
  const r = loadExampleRecipe();
  assert.equal(r.file, EXAMPLE_RECIPE_FILE);
  assert.equal(r.task, 'example');
  assert.deepEqual([r.data.train, r.data.dev, r.data.maxLength], [null, null, 48]);
  assert.deepEqual(r.teacher.architecture && [r.teacher.architecture.layers, r.teacher.architecture.hidden, r.teacher.architecture.heads, r.teacher.architecture.intermediate, r.teacher.architecture.maxPositions], [2, 32, 2, 128, 64]);
  assert.deepEqual(r.stages.map((s) => `${s.name}<-${s.teacher} W${s.weightBits}A${s.activationBits}`), ['w1a2<-teacher W1A2', 'w1a1<-w1a2 W1A1']);
});
