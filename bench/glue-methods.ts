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
export interface Preset {
  arch: string;
  maxLength: number;
  maxTrain: number;
  teacherEpochs: number;
  stageEpochs: number;
  batchSize: number;
  teacherLr: number;
  lr: number;
  /** dev evaluations every this many steps (the reference: 100); the best dev checkpoint is the stage's result */
  evalEvery: number;
  /** per-task changes (smaller training sets get more epochs, as in the reference's per-task settings) */
  perTask?: Record<string, Partial<Omit<Preset, 'perTask'>>>;
}

/** The preset's settings for one task (its per-task changes applied). */
export function presetFor(preset: Preset, task: string): Preset {
  return { ...preset, ...(preset.perTask?.[task] ?? {}) };
}

export const PRESETS: Record<string, Preset> = {
  mini: { arch: '{ layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 }', maxLength: 32, maxTrain: 3000, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 1e-3, lr: 1e-3, evalEvery: 0 },
  tiny: { arch: '{ layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 64 }', maxLength: 32, maxTrain: 800, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 2e-3, lr: 1e-3, evalEvery: 0 },
  // Sized by measurement on the 2-core machine (one job per core, bench/results/glue/glue.md): SST-2 uses 20,000 of its
  // 67,349 training sentences; CoLA (8,551) and STS-B (5,749) use all and more epochs, as the reference gives small
  // tasks more; STS-B teachers overfit after ~3 epochs (best dev checkpoints are kept, evaluated every 100 steps).
  // SST-2, the one task with the data to train more than a noise-level teacher from scratch, gets hidden 128 (head
  // size 64, as BERT's): at hidden 64 its BiT W1A1 students kept 94.8 % of the teacher over 3 seeds, at hidden 128
  // 97.1 % (bench/results/glue/README.md has both tables).
  small: {
    arch: '{ layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 64 }', maxLength: 48, maxTrain: 20000, teacherEpochs: 3, stageEpochs: 2, batchSize: 32, teacherLr: 1e-3, lr: 5e-4, evalEvery: 100,
    perTask: {
      sst2: { arch: '{ layers: 2, hidden: 128, heads: 2, intermediate: 512, maxPositions: 64 }' },
      cola: { teacherEpochs: 8, stageEpochs: 4 },
      stsb: { teacherEpochs: 6, stageEpochs: 4 },
    },
  },
};

/** `key=value,key=value` over a preset (numbers, or the architecture as flow YAML), for exploring schedules. */
export function overridePreset(preset: Preset, spec: string | undefined): Preset {
  if (!spec) return preset;
  const out: Preset = { ...preset };
  for (const part of spec.split(';').flatMap((p) => (p.includes('arch=') ? [p] : p.split(',')))) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim() as keyof Preset;
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || !(key in preset) || key === 'perTask') throw new Error(`bench/glue: --set ${part}: keys are ${Object.keys(preset).join(', ')}`);
    if (key === 'arch') out.arch = value;
    else {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`bench/glue: --set ${part}: not a number`);
      out[key as Exclude<keyof Preset, 'arch' | 'perTask'>] = n;
    }
  }
  // A value set on the command line wins over the per-task ones.
  if (out.perTask) {
    const set = new Set(spec.split(/[,;]/).map((p) => p.slice(0, p.indexOf('=')).trim()));
    out.perTask = Object.fromEntries(Object.entries(out.perTask).map(([t, o]) => [t, Object.fromEntries(Object.entries(o).filter(([k]) => !set.has(k)))]));
  }
  return out;
}

export interface RecipeOptions {
  task: string;
  method: Method;
  /** the preset with its per-task changes applied (presetFor) */
  preset: Preset;
  seed: number;
  /** an FP teacher checkpoint to distil from; null trains the teacher as the recipe's stage 0 */
  teacherCheckpoint: string | null;
  /** where the GLUE task folders are, as written into the recipe (absolute, or relative to the recipe file) */
  dataRoot?: string;
  /** the recipe's `output:` folder (relative to the recipe file) */
  output?: string;
}

/** One row's recipe: the method's stages and quantization options over the preset's teacher and schedule. */
export function recipeYaml(o: RecipeOptions): string {
  const { task, method, preset, seed } = o;
  const t = TASKS[task]!;
  const root = o.dataRoot ?? glueRoot;
  const path = (file: string) => JSON.stringify(root.startsWith('/') || /^[A-Za-z]:/.test(root) ? join(root, t.dir, file) : `${root}/${t.dir}/${file}`);
  const teacher = o.teacherCheckpoint
    ? `  checkpoint: ${JSON.stringify(o.teacherCheckpoint)}`
    : `  architecture: ${preset.arch}\n  train: { epochs: ${preset.teacherEpochs}, batchSize: ${preset.batchSize}, lr: ${preset.teacherLr}, seed: ${seed}, evalEvery: ${preset.evalEvery} }`;
  const flow = (o: Record<string, unknown>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${String(v)}`).join(', ')} }`;
  const quant = method.quantization ? `quantization: ${flow(method.quantization)}\n` : '';
  const stages = method.stages.map((s) => `  - { name: ${s.name}, teacher: ${s.teacher}, bits: ${s.bits}, epochs: ${preset.stageEpochs} }`).join('\n');
  const output = o.output ? `output: ${o.output}\n` : '';
  return `version: 1
name: ${task}-${method.id}-s${seed}
task: ${task}
data:
  train: ${path('train.tsv')}
  dev: ${path('dev.tsv')}
  maxLength: ${preset.maxLength}
  maxTrainExamples: ${preset.maxTrain}
teacher:
${teacher}
${quant}defaults: { batchSize: ${preset.batchSize}, lr: ${preset.lr}, seed: ${seed}, evalEvery: ${preset.evalEvery} }
stages:
${stages}
${output}`;
}

/** Where the committed example recipe of every row lives (repository-relative), one folder per task. */
export const EXAMPLE_RECIPES_DIR = 'examples/glue';

/**
 * The committed example recipe of one row: standalone (it trains its own teacher, where bench/glue trains the teacher
 * once per task and seed and points the other rows at it), data read from ../shared/data/glue next to the repository.
 */
export function exampleRecipeText(task: string, method: Method, presetName = 'small'): string {
  const header =
    `# GLUE ${task}, row "${method.label}" of bench/glue (preset ${presetName}), written by\n` +
    `# \`node --import tsx bench/glue.ts --write-recipes\`. bench/glue trains the FP teacher once per task and seed and\n` +
    `# points the other rows at it; this recipe trains its own, so it runs on its own: \`bitkit distill <this file>\`.\n`;
  return header + recipeYaml({
    task, method, preset: presetFor(PRESETS[presetName]!, task), seed: 1, teacherCheckpoint: null,
    dataRoot: '../../../../shared/data/glue', output: `../../../runs/glue-${task}-${method.id}`,
  });
}
