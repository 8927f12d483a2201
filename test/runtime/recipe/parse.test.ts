// parseRecipeText: defaults of a minimal recipe, precedence in a full one, YAML syntax errors.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_LOSS, DEFAULT_OPTIMIZER, DEFAULT_QUANTIZATION } from '../../../runtime/recipe/defaults.js';
import { parseRecipeText } from '../../../runtime/recipe/parse.js';
import type { ResolvedRecipe } from '../../../runtime/recipe/types.js';
import { span } from './helpers.js';

const DIR = resolve('/tmp/recipes');
const FILE = `${DIR}/min.bitkit.yaml`;

test('a minimal recipe resolves with every default filled in', () => {
  const text = `version: 1
task: example
teacher:
  architecture: { layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 128 }
stages:
  - name: w1a2
    bits: W1A2
  - name: w1a1
`;
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.deepEqual(diagnostics, []);
  const quantization = { weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true, scaleInit: 'reference', attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null } as const;
  const optimizer = { lr: 5e-4, scaleLr: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmup: 0.1, clipNorm: 1.0, biasCorrection: true };
  const loss = { pred: 1, rep: 1, label: 0, attention: 0, temperature: 1 };
  const stage = { loss, epochs: 3, batchSize: 32, optimizer, seed: 42, evalEvery: 0, teacherDropout: false, quantization, maxSteps: 0 };
  const expected: ResolvedRecipe = {
    version: 1,
    file: FILE,
    name: 'min',
    task: 'example',
    data: { train: null, dev: null, maxLength: 128, maxTrainExamples: 0, maxDevExamples: 0 },
    tokenizer: { vocab: 'bert-base-uncased', lowercase: true, truncation: 'longest_first' },
    teacher: {
      checkpoint: null,
      architecture: {
        layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 128,
        typeVocabSize: 2, hiddenAct: 'gelu', hiddenDropout: 0.1, attentionDropout: 0.1, layerNormEps: 1e-12, initializerRange: 0.02,
      },
      train: { epochs: 3, batchSize: 32, optimizer: { ...optimizer, lr: 1e-3 }, seed: 42, evalEvery: 0, maxSteps: 0 },
    },
    stages: [
      { name: 'w1a2', teacher: 'teacher', init: 'teacher', weightBits: 1, activationBits: 2, ...stage },
      { name: 'w1a1', teacher: 'w1a2', init: 'w1a2', weightBits: 1, activationBits: 1, ...stage },
    ],
    overrides: [],
    kernels: 'auto',
    threads: 0,
    output: `${DIR}/runs/min`,
  };
  assert.deepEqual(recipe, expected);
});

test('a full recipe: stage > defaults > top-level quantization > built-in, paths relative to the recipe', () => {
  const text = `version: 1
name: full
task: sst2
data: { train: data/train.tsv, dev: /abs/dev.tsv, maxLength: 64, maxTrainExamples: 100, maxDevExamples: 50 }
tokenizer: { vocab: ./vocab.txt, lowercase: false, truncation: only_first }
teacher:
  checkpoint: ../teacher.safetensors
quantization: { elastic: false, fixedClip: 2.5 }
defaults:
  epochs: 5
  batchSize: 8
  lr: 1e-4
  loss: { label: 0.5 }
  quantization: { twoSet: false }
  seed: 7
  evalEvery: 100
stages:
  - name: w1a4
    teacher: teacher
    bits: { weights: 1, activations: 4 }
    optimizer: { lr: 2e-4, warmup: 0 }
    quantization: { elastic: true }
    teacherDropout: true
  - name: w1a1
    teacher: w1a4
    init: teacher
    weightBits: 1
    activationBits: 1
    scaleLr: 0.001
    loss: { temperature: 2 }
    maxSteps: 10
overrides:
  - match: "bert.encoder.layer.*.attention.self.query"
    stages: [w1a1]
    weightBits: 1
    activationBits: 2
    activationSet: signed
    keepFullPrecision: false
kernels: reference
threads: 4
output: out/full
`;
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.deepEqual(diagnostics, []);
  assert.ok(recipe);
  assert.deepEqual(recipe.data, { train: `${DIR}/data/train.tsv`, dev: '/abs/dev.tsv', maxLength: 64, maxTrainExamples: 100, maxDevExamples: 50 });
  assert.deepEqual(recipe.tokenizer, { vocab: `${DIR}/vocab.txt`, lowercase: false, truncation: 'only_first' });
  assert.deepEqual(recipe.teacher, { checkpoint: resolve(DIR, '../teacher.safetensors'), architecture: null, train: null });
  const [a, b] = recipe.stages;
  assert.deepEqual(a, {
    name: 'w1a4', teacher: 'teacher', init: 'teacher', weightBits: 1, activationBits: 4,
    loss: { ...DEFAULT_LOSS, label: 0.5 }, epochs: 5, batchSize: 8,
    optimizer: { ...DEFAULT_OPTIMIZER, lr: 2e-4, warmup: 0 }, seed: 7, evalEvery: 100, teacherDropout: true,
    quantization: { ...DEFAULT_QUANTIZATION, elastic: true, fixedClip: 2.5, twoSet: false }, maxSteps: 0,
  });
  assert.deepEqual(b, {
    name: 'w1a1', teacher: 'w1a4', init: 'teacher', weightBits: 1, activationBits: 1,
    loss: { ...DEFAULT_LOSS, label: 0.5, temperature: 2 }, epochs: 5, batchSize: 8,
    optimizer: { ...DEFAULT_OPTIMIZER, lr: 1e-4, scaleLr: 0.001 }, seed: 7, evalEvery: 100, teacherDropout: false,
    quantization: { ...DEFAULT_QUANTIZATION, elastic: false, fixedClip: 2.5, twoSet: false }, maxSteps: 10,
  });
  assert.deepEqual(recipe.overrides, [
    { match: 'bert.encoder.layer.*.attention.self.query', stages: ['w1a1'], weightBits: 1, activationBits: 2, activationSet: 'signed', keepFullPrecision: false },
  ]);
  assert.equal(recipe.kernels, 'reference');
  assert.equal(recipe.threads, 4);
  assert.equal(recipe.output, `${DIR}/out/full`);
});

test('a YAML syntax error is BK1001 at the place the parser stops, and no recipe', () => {
  const text = `version: 1
task: example
stages: [ { name: a }
teacher: {}
`;
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.equal(recipe, null);
  assert.deepEqual(diagnostics, [
    {
      code: 'BK1001',
      severity: 'error',
      message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      hint: 'Fix the YAML syntax at this place; indentation uses spaces, and flow collections ([ ], { }) must be closed.',
      file: FILE,
      range: span(text, 4, 1, 1),
      data: { yamlCode: 'BAD_INDENT' },
    },
  ]);
});

test('a duplicate key is BK1002 on the second key', () => {
  const text = `version: 1
task: example
task: sst2
`;
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.equal(recipe, null);
  assert.deepEqual(diagnostics, [
    {
      code: 'BK1002',
      severity: 'error',
      message: "Duplicate key 'task' in the same mapping.",
      hint: 'Remove one of the two entries; YAML keeps only one of them.',
      file: FILE,
      range: span(text, 3, 1, 4),
      data: { key: 'task', yamlCode: 'DUPLICATE_KEY' },
    },
  ]);
});
