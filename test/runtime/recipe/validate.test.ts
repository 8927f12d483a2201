// Schema-driven validation (BK2xxx): each diagnostic compared as a whole object, range included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecipeText } from '../../../runtime/recipe/parse.js';
import { schemaAt } from '../../../runtime/recipe/schema.js';
import { span } from './helpers.js';

const FILE = '/tmp/recipes/v.bitkit.yaml';

function diagnosticsOf(text: string) {
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  if (diagnostics.some((d) => d.severity === 'error')) assert.equal(recipe, null);
  return diagnostics;
}

test('an unknown key is BK2001 on the key, with the nearest valid key suggested', () => {
  const text = `version: 1
task: example
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 32 }
stages:
  - name: w1a2
    bits: W1A2
    batch_size: 16
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK2001',
      severity: 'error',
      message: "Unknown key 'batch_size' in 'stages[0]'.",
      hint: "Did you mean 'batchSize'?",
      file: FILE,
      range: span(text, 8, 5, 10),
      data: { path: ['stages', 0, 'batch_size'], key: 'batch_size', suggestion: 'batchSize', allowed: Object.keys(schemaAt(['stages', 0])!.properties!) },
    },
  ]);
});

test('an unknown key far from every valid key lists the allowed keys', () => {
  const text = `version: 1
task: example
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 32 }
  zzzzzz: 1
stages: [{ name: w1a2, bits: W1A2 }]
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK2001',
      severity: 'error',
      message: "Unknown key 'zzzzzz' in 'teacher'.",
      hint: 'Allowed keys here: checkpoint, architecture, train.',
      file: FILE,
      range: span(text, 5, 3, 6),
      data: { path: ['teacher', 'zzzzzz'], key: 'zzzzzz', suggestion: null, allowed: ['checkpoint', 'architecture', 'train'] },
    },
  ]);
});

test('a wrong type is BK2002 on the value', () => {
  const text = `version: 1
task: example
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 32 }
stages:
  - name: w1a2
    bits: W1A2
    epochs: three
    teacherDropout: yes
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK2002',
      severity: 'error',
      message: "'stages[0].epochs' must be an integer, not the string \"three\".",
      hint: 'Write an integer here.',
      file: FILE,
      range: span(text, 8, 13, 5),
      data: { path: ['stages', 0, 'epochs'], expected: 'integer' },
    },
    {
      code: 'BK2002',
      severity: 'error',
      message: "'stages[0].teacherDropout' must be true or false, not the string \"yes\".",
      hint: 'Write true or false here.',
      file: FILE,
      range: span(text, 9, 21, 3),
      data: { path: ['stages', 0, 'teacherDropout'], expected: 'boolean' },
    },
  ]);
});

test('bits outside {1,2,4,8,16,32} are BK2005 on the value; numbers out of range are BK2003', () => {
  const text = `version: 1
task: example
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 32 }
stages:
  - name: a
    bits: w1a2
  - name: b
    activationBits: 3
  - name: c
    bits: W1A2
    epochs: 0
    warmup: 1.5
`;
  const bitsForms = ['W1A1', 'W1A2', 'W1A4', 'W1A8', 'W1A16', 'W1A32', 'W32A1', 'W32A2', 'W32A4', 'W32A8', 'W32A16', 'W32A32'];
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK2005',
      severity: 'error',
      message: `'stages[0].bits' must be one of ${bitsForms.map((b) => `'${b}'`).join(', ')}; got 'w1a2'.`,
      hint: "Did you mean 'W1A2'?",
      file: FILE,
      range: span(text, 7, 11, 4),
      data: { path: ['stages', 0, 'bits'], value: 'w1a2', allowed: bitsForms, suggestion: 'W1A2' },
    },
    {
      code: 'BK2005',
      severity: 'error',
      message: "'stages[1].activationBits' must be one of 1, 2, 4, 8, 16, 32; got 3.",
      hint: 'Use one of: 1, 2, 4, 8, 16, 32.',
      file: FILE,
      range: span(text, 9, 21, 1),
      data: { path: ['stages', 1, 'activationBits'], value: 3, allowed: [1, 2, 4, 8, 16, 32], suggestion: null },
    },
    {
      code: 'BK2003',
      severity: 'error',
      message: "'stages[2].epochs' must be >= 1; got 0.",
      hint: 'Use a value >= 1.',
      file: FILE,
      range: span(text, 12, 13, 1),
      data: { path: ['stages', 2, 'epochs'], value: 0, minimum: 1 },
    },
    {
      code: 'BK2003',
      severity: 'error',
      message: "'stages[2].warmup' must be <= 1; got 1.5.",
      hint: 'Use a value <= 1.',
      file: FILE,
      range: span(text, 13, 13, 3),
      data: { path: ['stages', 2, 'warmup'], value: 1.5, minimum: 0, maximum: 1 },
    },
  ]);
});

test('a missing required key is BK2004 at the head of its mapping', () => {
  const text = `version: 1
teacher:
  architecture: { layers: 1, hidden: 8, heads: 2 }
stages: [{ name: a, bits: W1A2 }]
`;
  const about = (key: string, s: string) => ({ key, about: s });
  const missing = (path: string[], where: string, a: { key: string; about: string }, range: ReturnType<typeof span>) => ({
    code: 'BK2004',
    severity: 'error',
    message: `${where} is missing the required key '${a.key}'.`,
    hint: `Add '${a.key}: ...' (${a.about}).`,
    file: FILE,
    range,
    data: { path, key: a.key },
  });
  assert.deepEqual(diagnosticsOf(text), [
    missing([], 'The recipe', about('task', 'The task: a GLUE task (its TSV layout and metric), `example` (the embedded SpamAssassin ham/spam set) or `custom`'), span(text, 1, 1, 7)),
    missing(['teacher', 'architecture'], "'teacher.architecture'", about('intermediate', 'FFN inner size (intermediate_size), usually 4·hidden'), span(text, 3, 3, 12)),
    missing(['teacher', 'architecture'], "'teacher.architecture'", about('maxPositions', 'Position embeddings (max_position_embeddings); the longest sequence the model takes'), span(text, 3, 3, 12)),
  ]);
});

test('rules beyond the schema: conflicting keys, teacher source, hidden % heads, data of a GLUE task', () => {
  const text = `version: 1
task: sst2
data: { dev: dev.tsv, maxLength: 64 }
teacher:
  checkpoint: t.safetensors
  architecture: { layers: 1, hidden: 10, heads: 4, intermediate: 16, maxPositions: 64 }
stages:
  - name: w1a2
    bits: W1A2
    activationBits: 2
    optimizer: { lr: 1e-4 }
    lr: 2e-4
`;
  assert.deepEqual(diagnosticsOf(text), [
    {
      code: 'BK2009',
      severity: 'error',
      message: "Task 'sst2' needs 'data.train' (a TSV file in the GLUE layout).",
      hint: "Add 'data.train: path/to/train.tsv' (relative to the recipe), or use task: example for the embedded dataset.",
      file: FILE,
      range: span(text, 3, 1, 4),
      data: { path: ['data', 'train'] },
    },
    {
      code: 'BK2007',
      severity: 'error',
      message: "The teacher needs exactly one of 'checkpoint' or 'architecture'; both are given.",
      hint: "Give 'checkpoint:' to load a trained teacher, or 'architecture:' to train one from scratch.",
      file: FILE,
      range: span(text, 6, 3, 12),
      data: { both: true },
    },
    {
      code: 'BK2008',
      severity: 'error',
      message: 'architecture.hidden (10) must be a multiple of architecture.heads (4).',
      hint: 'Each head gets hidden / heads dimensions; try heads: 2.',
      file: FILE,
      range: span(text, 6, 49, 1),
      data: { suggestion: 2 },
    },
    {
      code: 'BK2006',
      severity: 'error',
      message: "'bits' and 'activationBits' set the same thing in 'stages[0]'.",
      hint: "Keep only one of 'bits' and 'activationBits'.",
      file: FILE,
      range: span(text, 10, 5, 14),
      data: { path: ['stages', 0, 'activationBits'], keep: 'bits', remove: 'activationBits' },
    },
    {
      code: 'BK2006',
      severity: 'error',
      message: "'optimizer.lr' and 'lr' set the same thing in 'stages[0]'.",
      hint: "Keep only one of 'optimizer.lr' and 'lr'.",
      file: FILE,
      range: span(text, 12, 5, 2),
      data: { path: ['stages', 0, 'lr'], keep: 'optimizer.lr', remove: 'lr' },
    },
  ]);
});
