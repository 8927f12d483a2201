// Stage-graph checks (BK3xxx) and override stage names (BK4xxx), compared as whole diagnostics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecipeText } from '../../../runtime/recipe/parse.js';
import { span } from './helpers.js';

const FILE = '/tmp/recipes/g.bitkit.yaml';
const HEAD = `version: 1
task: example
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 32 }
stages:
`; // stages start on line 6

function diagnosticsOf(text: string) {
  return parseRecipeText(text, FILE).diagnostics;
}

test('a cycle of teachers is BK3004 on the teacher that closes it', () => {
  const text = `${HEAD}  - name: a
    teacher: b
    bits: W1A2
  - name: b
    teacher: a
    bits: W1A2
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK3004',
      severity: 'error',
      message: 'The teachers form a cycle: a -> b -> a.',
      hint: "Break the cycle: the chain of teachers must end at 'teacher' (the full-precision model).",
      file: FILE,
      range: span(text, 7, 14, 1),
      data: { cycle: ['a', 'b', 'a'] },
    },
  ]);
});

test('a stage that is its own teacher is a cycle too', () => {
  const text = `${HEAD}  - name: a
    teacher: a
    bits: W1A2
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK3004',
      severity: 'error',
      message: 'The teachers form a cycle: a -> a.',
      hint: "Break the cycle: the chain of teachers must end at 'teacher' (the full-precision model).",
      file: FILE,
      range: span(text, 7, 14, 1),
      data: { cycle: ['a', 'a'] },
    },
  ]);
});

test('a teacher or init naming a later stage is BK3003 on the value', () => {
  const text = `${HEAD}  - name: w1a4
    bits: W1A4
  - name: w1a2
    teacher: w1a1
    init: w1a1
    bits: W1A2
  - name: w1a1
    teacher: w1a4
`;
  const later = (field: string, line: number, column: number) => ({
    code: 'BK3003',
    severity: 'error',
    message: `${field} 'w1a1' is not an earlier stage (it is stage 3; this is stage 2).`,
    hint: "A stage can only learn from or start at 'teacher' or an earlier stage; reorder the stages.",
    file: FILE,
    range: span(text, line, column, 4),
    data: { field, name: 'w1a1' },
  });
  assert.deepEqual(diagnosticsOf(text), [later('teacher', 9, 14), later('init', 10, 11)]);
});

test('duplicate stage names are BK3002 on the second name; unknown names BK3001 with a suggestion', () => {
  const text = `${HEAD}  - name: w1a2
    bits: W1A2
  - name: w1a2
    bits: W1A2
  - name: w1a1
    teacher: w1a3
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK3002',
      severity: 'error',
      message: "Stage name 'w1a2' is already used on line 6.",
      hint: 'Give every stage its own name (e.g. after its bits: w1a2, w1a1).',
      file: FILE,
      range: span(text, 8, 11, 4),
      data: { name: 'w1a2', firstLine: 6 },
    },
    {
      code: 'BK3001',
      severity: 'error',
      message: "teacher 'w1a3' is not a stage of this recipe.",
      hint: "Did you mean 'w1a2'?",
      file: FILE,
      range: span(text, 11, 14, 4),
      data: { field: 'teacher', name: 'w1a3', suggestion: 'w1a2', candidates: ['teacher', 'w1a2'] },
    },
  ]);
});

test("'teacher' cannot name a stage (BK3005)", () => {
  const text = `${HEAD}  - name: teacher
    bits: W1A2
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK3005',
      severity: 'error',
      message: "'teacher' is reserved for the full-precision teacher and cannot name a stage.",
      hint: 'Rename the stage (e.g. fp or w32a32).',
      file: FILE,
      range: span(text, 6, 11, 7),
      data: { name: 'teacher' },
    },
  ]);
});

test('warnings: FP -> W1A1 directly (BK3007), a student wider than its teacher (BK3006); the recipe still resolves', () => {
  const text = `${HEAD}  - name: w1a1
  - name: w1a4
    bits: { weights: 1, activations: 4 }
`;
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.ok(recipe);
  assert.deepEqual(diagnostics, [
    {
      code: 'BK3007',
      severity: 'warning',
      message: "Stage 'w1a1' distils the full-precision teacher straight into W1A1.",
      hint: 'BiT multi-distillation goes through an intermediate stage (W32A32 -> W1A2 -> W1A1), which scores higher than the direct jump (BiT*).',
      file: FILE,
      range: span(text, 6, 11, 4),
      data: { name: 'w1a1' },
    },
    {
      code: 'BK3006',
      severity: 'warning',
      message: "Stage 'w1a4' (W1A4) has more bits than its teacher 'w1a1' (W1A1).",
      hint: 'Multi-distillation goes from more bits to fewer; distil this stage from a wider teacher.',
      file: FILE,
      range: span(text, 8, 11, 30),
      data: { name: 'w1a4', teacher: 'w1a1' },
    },
  ]);
});

test('overrides naming an unknown stage are BK4001; an override that sets nothing is BK4002', () => {
  const text = `${HEAD}  - name: w1a2
    bits: W1A2
overrides:
  - match: "bert.encoder.layer.*.output.dense"
    stages: [w1a2, w1a3]
    activationBits: 2
  - match: bert.pooler.dense
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK4001',
      severity: 'error',
      message: "Override names stage 'w1a3', which is not a stage of this recipe.",
      hint: "Did you mean 'w1a2'?",
      file: FILE,
      range: span(text, 10, 20, 4),
      data: { name: 'w1a3', suggestion: 'w1a2', candidates: ['w1a2'] },
    },
    {
      code: 'BK4002',
      severity: 'warning',
      message: "Override 'bert.pooler.dense' sets nothing.",
      hint: 'Add weightBits, activationBits, activationSet or keepFullPrecision, or remove the override.',
      file: FILE,
      range: span(text, 12, 12, 17),
      data: { index: 1 },
    },
  ]);
});
