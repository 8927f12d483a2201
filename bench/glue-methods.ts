import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The GLUE files, next to the repository (../shared/data/glue), never copied into it. */
export const glueRoot = resolve(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'data', 'glue');

/**
 * The rows of the paper's comparison (bit-algorithm.md §6-7) as recipe fragments: which stages each method runs
 * from the shared FP teacher, and with which quantization options. bench/glue.ts turns them into recipes.
 */
export interface MethodStage {
  name: string;
  teacher: string;
  bits: string;
}

export interface Method {
  /** Row label in the table (the paper's naming). */
  label: string;
  /** Short id used for run folders and JSON keys. */
  id: string;
  /** W-A bits of the row's reported stage. */
  bits: string;
  stages: MethodStage[];
  /** The stage whose best dev metric is the row's result. */
  reported: string;
  /** Overrides of the recipe's `quantization:` block. */
  quantization?: Record<string, unknown>;
  /** Another method whose run already produces this row (the W1A2 row is BiT's first stage). */
  sameRunAs?: string;
}

export const METHODS: Method[] = [
  {
    label: 'BiT (FP -> W1A2 -> W1A1)',
    id: 'bit',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
  },
  { label: 'BiT W1A2', id: 'bit-w1a2', bits: 'W1A2', stages: [], reported: 'w1a2', sameRunAs: 'bit' },
  { label: 'BiT W1A4', id: 'bit-w1a4', bits: 'W1A4', stages: [{ name: 'w1a4', teacher: 'teacher', bits: 'W1A4' }], reported: 'w1a4' },
  { label: 'BiT* (FP -> W1A1)', id: 'bit-star', bits: 'W1A1', stages: [{ name: 'w1a1', teacher: 'teacher', bits: 'W1A1' }], reported: 'w1a1' },
  {
    label: 'BiT, elastic off',
    id: 'no-elastic',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
    quantization: { elastic: false },
  },
  {
    label: 'BiT, two-set off',
    id: 'no-two-set',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
    quantization: { twoSet: false },
  },
  {
    // BinaryBERT-style baseline (§6): plain sign weights (no centring), fixed clipping (no learned a or b),
    // signed activations everywhere, one-step distillation from the FP teacher.
    label: 'BinaryBERT-style W1A1',
    id: 'binarybert',
    bits: 'W1A1',
    stages: [{ name: 'w1a1', teacher: 'teacher', bits: 'W1A1' }],
    reported: 'w1a1',
    quantization: { weightCentering: false, elastic: false, twoSet: false },
  },
];

/** The paper's GLUE dev numbers (bit-algorithm.md §7, BERT-base) for the retention comparison. */
export const PAPER: Record<string, Record<string, number>> = {
  fp: { sst2: 93.2, cola: 59.7, stsb: 90.1 },
  bit: { sst2: 89.9, cola: 32.9, stsb: 72.0 },
  'bit-star': { sst2: 87.7, cola: 25.1, stsb: 71.1 },
  'bit-w1a2': { sst2: 90.8, cola: 32.1, stsb: 82.2 },
  'bit-w1a4': { sst2: 91.5, cola: 42.0, stsb: 86.3 },
  binarybert: { sst2: 53.2, cola: 0, stsb: 6.1 },
};

export const TASKS: Record<string, { dir: string; metric: string }> = {
  sst2: { dir: 'SST-2', metric: 'accuracy' },
  cola: { dir: 'CoLA', metric: 'mcc' },
  stsb: { dir: 'STS-B', metric: 'pearson_spearman' },
};

/** Model and schedule sizes. `small` is sized for the 15-minute-per-task-and-seed budget on 2 cores. */
export const PRESETS: Record<string, { arch: string; maxLength: number; maxTrain: number; teacherEpochs: number; stageEpochs: number; batchSize: number; teacherLr: number; lr: number }> = {
  mini: { arch: '{ layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 }', maxLength: 32, maxTrain: 3000, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 1e-3, lr: 1e-3 },
  tiny: { arch: '{ layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 }', maxLength: 32, maxTrain: 800, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 2e-3, lr: 1e-3 },
  small: { arch: '{ layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 64 }', maxLength: 48, maxTrain: 8000, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 1e-3, lr: 5e-4 },
};

export function recipeYaml(task: string, method: Method, preset: (typeof PRESETS)[string], seed: number, maxTrain: number, teacherCheckpoint: string | null): string {
  const t = TASKS[task]!;
  const teacher = teacherCheckpoint
    ? `  checkpoint: ${JSON.stringify(teacherCheckpoint)}`
    : `  architecture: ${preset.arch}\n  train: { epochs: ${preset.teacherEpochs}, batchSize: ${preset.batchSize}, lr: ${preset.teacherLr}, seed: ${seed} }`;
  const quant = method.quantization ? `quantization: ${JSON.stringify(method.quantization)}\n` : '';
  const stages = method.stages.map((s) => `  - { name: ${s.name}, teacher: ${s.teacher}, bits: ${s.bits}, epochs: ${preset.stageEpochs} }`).join('\n');
  return `version: 1
name: ${task}-${method.id}-s${seed}
task: ${task}
data:
  train: ${JSON.stringify(join(glueRoot, t.dir, 'train.tsv'))}
  dev: ${JSON.stringify(join(glueRoot, t.dir, 'dev.tsv'))}
  maxLength: ${preset.maxLength}
  maxTrainExamples: ${maxTrain}
teacher:
${teacher}
${quant}defaults: { batchSize: ${preset.batchSize}, lr: ${preset.lr}, seed: ${seed} }
stages:
${stages}
`;
}

