// The JSON Schema and types.ts in lock-step: a fully specified ResolvedRecipe (every optional key written out, the
// compiler checks it against the types) must be exactly what the schema allows, plus the documented surface-only
// keys; and the resolved recipe, written back as YAML, must parse to itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { OPTIMIZER_KEYS } from '../../../runtime/recipe/defaults.js';
import { parseRecipeText } from '../../../runtime/recipe/parse.js';
import { recipeJsonSchema, schemaAt, type JsonSchema } from '../../../runtime/recipe/schema.js';
import type {
  ArchitectureSpec,
  DataSpec,
  LayerOverride,
  LossWeights,
  OptimizerSpec,
  QuantizationOptions,
  ResolvedRecipe,
  StageSpec,
  TeacherSpec,
  TeacherTrainingSpec,
  TokenizerSpec,
} from '../../../runtime/recipe/types.js';

const optimizer: Required<OptimizerSpec> = { lr: 3e-4, scaleLr: 2e-4, weightDecay: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-7, warmup: 0.2, clipNorm: 0.5, biasCorrection: false };
const loss: Required<LossWeights> = { pred: 0.5, rep: 2, label: 0.1, attention: 0.3, temperature: 2 };
const quantization: Required<QuantizationOptions> = {
  weightCentering: false, binarizeEmbeddings: false, elastic: false, twoSet: false, scaleInit: 'paper',
  attentionShifts: true, ffnActivation: 'gelu', unsignedMinOffset: false, fixedClip: 2.5,
};
const architecture: Required<ArchitectureSpec> = {
  layers: 2, hidden: 64, heads: 4, intermediate: 128, maxPositions: 64, vocabSize: 1000, typeVocabSize: 3,
  hiddenAct: 'relu', hiddenDropout: 0.2, attentionDropout: 0.3, layerNormEps: 1e-6, initializerRange: 0.03,
};
const train: Required<TeacherTrainingSpec> = { epochs: 2, batchSize: 4, optimizer, seed: 3, evalEvery: 10, maxSteps: 5 };
const teacher: Required<TeacherSpec> = { checkpoint: null, architecture, train };
const stage: Required<StageSpec> = {
  name: 'w1a2', teacher: 'teacher', init: 'teacher', weightBits: 1, activationBits: 2, loss, epochs: 4, batchSize: 8, optimizer,
  seed: 9, evalEvery: 20, teacherDropout: true, quantization, maxSteps: 7,
};
const override: Required<LayerOverride> = { match: 'bert.pooler.dense', stages: ['w1a2'], weightBits: 32, activationBits: 8, activationSet: 'unsigned', keepFullPrecision: true };
const data: Required<DataSpec> = { train: '/data/train.tsv', dev: '/data/dev.tsv', maxLength: 32, maxTrainExamples: 10, maxDevExamples: 5 };
const tokenizer: Required<TokenizerSpec> = { vocab: '/data/vocab.txt', lowercase: false, truncation: 'only_second' };
const FILE = '/data/full.bitkit.yaml';
const full: Required<ResolvedRecipe> = {
  version: 1, file: FILE, name: 'full', task: 'custom', data, tokenizer, teacher,
  stages: [stage, { ...stage, name: 'w1a1', teacher: 'w1a2', init: 'w1a2', activationBits: 1 }],
  overrides: [override], kernels: 'native', threads: 3, output: '/data/out',
};

function keysOf(schema: JsonSchema | undefined): string[] {
  assert.ok(schema?.properties, 'schema has properties');
  return Object.keys(schema.properties).sort();
}
const sorted = (xs: string[]) => [...xs].sort();

test('the schema allows exactly the keys of types.ts, plus the documented surface-only keys', () => {
  // surface-only: the file is not written in the recipe; top-level quantization and defaults feed every stage
  assert.deepEqual(keysOf(recipeJsonSchema), sorted([...Object.keys(full).filter((k) => k !== 'file'), 'quantization', 'defaults']));
  assert.deepEqual(keysOf(schemaAt(['data'])), sorted(Object.keys(data)));
  assert.deepEqual(keysOf(schemaAt(['tokenizer'])), sorted(Object.keys(tokenizer)));
  assert.deepEqual(keysOf(schemaAt(['teacher'])), sorted(Object.keys(teacher)));
  assert.deepEqual(keysOf(schemaAt(['teacher', 'architecture'])), sorted(Object.keys(architecture)));
  // optimizer fields may also be written flat in teacher.train, stages and defaults
  assert.deepEqual(keysOf(schemaAt(['teacher', 'train'])), sorted([...Object.keys(train), ...OPTIMIZER_KEYS]));
  assert.deepEqual(keysOf(schemaAt(['teacher', 'train', 'optimizer'])), sorted(Object.keys(optimizer)));
  // bits: the short form of weightBits + activationBits
  const stageKeys = sorted([...Object.keys(stage), ...OPTIMIZER_KEYS, 'bits']);
  assert.deepEqual(keysOf(schemaAt(['stages', 0])), stageKeys);
  assert.deepEqual(keysOf(schemaAt(['defaults'])), stageKeys.filter((k) => !['name', 'teacher', 'init'].includes(k)));
  assert.deepEqual(keysOf(schemaAt(['stages', 0, 'optimizer'])), sorted(Object.keys(optimizer)));
  assert.deepEqual(keysOf(schemaAt(['stages', 0, 'loss'])), sorted(Object.keys(loss)));
  assert.deepEqual(keysOf(schemaAt(['stages', 0, 'quantization'])), sorted(Object.keys(quantization)));
  assert.deepEqual(keysOf(schemaAt(['quantization'])), sorted(Object.keys(quantization)));
  assert.deepEqual(keysOf(schemaAt(['overrides', 0])), sorted(Object.keys(override)));
  assert.deepEqual(OPTIMIZER_KEYS.slice().sort(), sorted(Object.keys(optimizer)));
});

test('a resolved recipe written back as YAML is a valid recipe that resolves to itself', () => {
  const { file: _file, ...surface } = full;
  const text = stringify(surface);
  const { recipe, diagnostics } = parseRecipeText(text, FILE);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(recipe, full);
});

test('every property of the schema has a description, and every enum lists valid values', () => {
  const missing: string[] = [];
  const visit = (s: JsonSchema, path: string) => {
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (!sub.description || sub.description.length < 10) missing.push(`${path}${k}`);
      visit(sub, `${path}${k}.`);
    }
    if (s.items) visit(s.items, `${path}[].`);
    for (const b of s.anyOf ?? []) visit(b, path);
    if (s.enumDescriptions) assert.equal(s.enumDescriptions.length, s.enum?.length, `${path} enumDescriptions`);
  };
  visit(recipeJsonSchema, '');
  assert.deepEqual(missing, []);
});
