/**
 * Defaults of the recipe and the resolver that fills them in: a schema-valid recipe document (plain data, as YAML
 * parsed it) -> `ResolvedRecipe`. The constants are typed against types.ts, so a field added there without a
 * default fails to compile; schema.ts shows the same constants as `default` in its hover docs.
 *
 * Precedence for each stage field: the stage itself > the recipe's `defaults:` block > the built-in default here.
 * Quantization options: stage `quantization:` > `defaults.quantization` > top-level `quantization:` > built-in.
 * Optimizer fields may be written flat (`lr: 5e-4`) or nested (`optimizer: { lr: 5e-4 }`); validation rejects both
 * at once in the same block.
 */
import { isAbsolute, resolve } from 'node:path';
import type {
  ArchitectureSpec,
  BitWidth,
  DataSpec,
  KernelsChoice,
  LayerOverride,
  LossWeights,
  OptimizerSpec,
  QuantizationOptions,
  ResolvedRecipe,
  StageSpec,
  TaskName,
  TeacherSpec,
  TeacherTrainingSpec,
  TokenizerSpec,
} from './types.js';

/** The embedded default vocabulary; any other `tokenizer.vocab` is a path relative to the recipe. */
export const BUILTIN_VOCAB = 'bert-base-uncased';
/** Bit widths of activations (and of weights in overrides); weights of a stage are 1 (BiT) or 32 (full precision). */
export const BIT_WIDTHS: BitWidth[] = [1, 2, 4, 8, 16, 32];
export const WEIGHT_BIT_WIDTHS: BitWidth[] = [1, 32];

/** Stage name of the full-precision teacher (stage 0). */
export const TEACHER_STAGE = 'teacher';

/** Reference code: Adam(0.9, 0.999, eps 1e-6), lr 5e-4, scales 1e-4, weight decay 0.01, warm-up 10 %, clip 1.0. */
export const DEFAULT_OPTIMIZER: OptimizerSpec = {
  lr: 5e-4,
  scaleLr: 1e-4,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-6,
  warmup: 0.1,
  clipNorm: 1.0,
  biasCorrection: true,
};

/** The full-precision teacher trained from scratch: a small encoder learns faster at 1e-3. */
export const DEFAULT_TEACHER_OPTIMIZER: OptimizerSpec = { ...DEFAULT_OPTIMIZER, lr: 1e-3 };

/** Reference: L = L_pred + L_rep, no label or attention loss, temperature 1. */
export const DEFAULT_LOSS: LossWeights = { pred: 1, rep: 1, label: 0, attention: 0, temperature: 1 };

export const DEFAULT_QUANTIZATION: QuantizationOptions = {
  weightCentering: true,
  binarizeEmbeddings: true,
  elastic: true,
  twoSet: true,
  scaleInit: 'reference',
  attentionShifts: false,
  ffnActivation: 'relu',
  unsignedMinOffset: true,
  fixedClip: null,
};

/** The architecture fields a recipe may leave out (BertConfig's defaults). */
export const DEFAULT_ARCHITECTURE: Omit<ArchitectureSpec, 'layers' | 'hidden' | 'heads' | 'intermediate' | 'maxPositions' | 'vocabSize'> = {
  typeVocabSize: 2,
  hiddenAct: 'gelu',
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
  layerNormEps: 1e-12,
  initializerRange: 0.02,
};

/** Stage fields other than the nested objects (loss, optimizer, quantization) and the graph (name, teacher, init). */
export const DEFAULT_STAGE: Omit<StageSpec, 'name' | 'teacher' | 'init' | 'loss' | 'optimizer' | 'quantization'> = {
  weightBits: 1,
  activationBits: 1,
  epochs: 3,
  batchSize: 32,
  seed: 42,
  evalEvery: 0,
  teacherDropout: false,
  maxSteps: 0,
};

export const DEFAULT_TEACHER_TRAINING: TeacherTrainingSpec = {
  epochs: 3,
  batchSize: 32,
  optimizer: DEFAULT_TEACHER_OPTIMIZER,
  seed: 42,
  evalEvery: 0,
  maxSteps: 0,
};

export const DEFAULT_DATA: Omit<DataSpec, 'train' | 'dev'> = { maxLength: 128, maxTrainExamples: 0, maxDevExamples: 0 };
export const DEFAULT_TOKENIZER: TokenizerSpec = { vocab: BUILTIN_VOCAB, lowercase: true, truncation: 'longest_first' };
export const DEFAULT_KERNELS: KernelsChoice = 'auto';
export const DEFAULT_THREADS = 0;

/** The optimizer's field names, which may also be written flat in a stage, `defaults:` or `teacher.train:`. */
export const OPTIMIZER_KEYS = Object.keys(DEFAULT_OPTIMIZER) as (keyof OptimizerSpec)[];

type Raw = Record<string, unknown>;

function rawObject(x: unknown): Raw {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : {};
}

/** Keys whose value is not undefined (a YAML `key:` with no value reads as null and counts as given). */
function defined<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The optimizer fields a block sets, flat or nested. */
export function optimizerFieldsOf(block: unknown): Partial<OptimizerSpec> {
  const b = rawObject(block);
  const flat: Raw = {};
  for (const k of OPTIMIZER_KEYS) if (b[k] !== undefined) flat[k] = b[k];
  return { ...(rawObject(b.optimizer) as Partial<OptimizerSpec>), ...(flat as Partial<OptimizerSpec>) };
}

/**
 * `bits: W1A2`, `bits: { weights: 1, activations: 2 }`, or `weightBits` / `activationBits`: what a block sets.
 * Values that are not valid bit widths are left out (validation reports them).
 */
export function bitsOf(block: unknown): { weightBits?: BitWidth; activationBits?: BitWidth } {
  const b = rawObject(block);
  const out: { weightBits?: BitWidth; activationBits?: BitWidth } = {};
  const set = (w: unknown, a: unknown) => {
    if (WEIGHT_BIT_WIDTHS.includes(w as BitWidth)) out.weightBits = w as BitWidth;
    if (BIT_WIDTHS.includes(a as BitWidth)) out.activationBits = a as BitWidth;
  };
  if (typeof b.bits === 'string') {
    const m = /^W(\d+)A(\d+)$/.exec(b.bits);
    if (m) set(Number(m[1]), Number(m[2]));
  } else if (b.bits !== null && typeof b.bits === 'object') {
    const o = rawObject(b.bits);
    set(o.weights, o.activations);
  }
  set(b.weightBits, b.activationBits);
  return out;
}

/** Whether every bits field a block writes is a valid bit width (so that `bitsOf` dropped nothing). */
export function bitsWrittenValid(block: unknown): boolean {
  const b = rawObject(block);
  const w = (x: unknown) => x === undefined || WEIGHT_BIT_WIDTHS.includes(x as BitWidth);
  const a = (x: unknown) => x === undefined || BIT_WIDTHS.includes(x as BitWidth);
  let ok = w(b.weightBits) && a(b.activationBits);
  if (typeof b.bits === 'string') {
    const m = /^W(\d+)A(\d+)$/.exec(b.bits);
    ok &&= m !== null && w(Number(m[1])) && a(Number(m[2]));
  } else if (b.bits !== undefined) {
    const o = b.bits !== null && typeof b.bits === 'object' && !Array.isArray(b.bits) ? (b.bits as Raw) : undefined;
    ok &&= o !== undefined && w(o.weights) && a(o.activations);
  }
  return ok;
}

/** The bits a stage ends up with (stage > defaults > W1A1). */
export function stageBits(stage: unknown, defaults: unknown): { weightBits: BitWidth; activationBits: BitWidth } {
  return {
    weightBits: DEFAULT_STAGE.weightBits,
    activationBits: DEFAULT_STAGE.activationBits,
    ...bitsOf(defaults),
    ...bitsOf(stage),
  };
}

/** The teacher a stage names, or the implicit one: the previous stage ('teacher' for the first). */
export function stageTeacherName(stages: unknown[], index: number): string | undefined {
  const own = rawObject(stages[index]).teacher;
  if (own !== undefined) return typeof own === 'string' ? own : undefined;
  if (index === 0) return TEACHER_STAGE;
  const prev = rawObject(stages[index - 1]).name;
  return typeof prev === 'string' ? prev : undefined;
}

/** Default recipe name: the file name without `.bitkit.yaml` (or `.yaml`/`.yml`). */
export function defaultRecipeName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  const name = base.replace(/(\.bitkit)?\.ya?ml$/i, '');
  return name && !name.startsWith('<') ? name : 'recipe';
}

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * Fill in every default and make every path absolute. `raw` must already have passed validation (schema and rules);
 * `baseDir` is the folder relative paths are resolved against (the recipe's folder).
 */
export function resolveRecipe(raw: unknown, file: string, baseDir: string): ResolvedRecipe {
  const r = rawObject(raw);
  const name = typeof r.name === 'string' ? r.name : defaultRecipeName(file);
  const defaults = rawObject(r.defaults);
  const globalQuant = rawObject(r.quantization);

  const rawData = rawObject(r.data);
  const data: DataSpec = {
    train: typeof rawData.train === 'string' ? resolvePath(baseDir, rawData.train) : null,
    dev: typeof rawData.dev === 'string' ? resolvePath(baseDir, rawData.dev) : null,
    ...DEFAULT_DATA,
    ...defined({ maxLength: rawData.maxLength, maxTrainExamples: rawData.maxTrainExamples, maxDevExamples: rawData.maxDevExamples } as Partial<DataSpec>),
  };

  const rawTok = rawObject(r.tokenizer);
  const tokenizer: TokenizerSpec = { ...DEFAULT_TOKENIZER, ...(defined(rawTok) as Partial<TokenizerSpec>) };
  if (tokenizer.vocab !== BUILTIN_VOCAB) tokenizer.vocab = resolvePath(baseDir, tokenizer.vocab);

  const teacher = resolveTeacher(rawObject(r.teacher), baseDir);

  const rawStages = Array.isArray(r.stages) ? r.stages : [];
  const stages: StageSpec[] = rawStages.map((s, i) => {
    const st = rawObject(s);
    const teacherName = stageTeacherName(rawStages, i) ?? TEACHER_STAGE;
    return {
      name: String(st.name),
      teacher: teacherName,
      init: typeof st.init === 'string' ? st.init : teacherName,
      ...stageBits(st, defaults),
      loss: { ...DEFAULT_LOSS, ...(rawObject(defaults.loss) as Partial<LossWeights>), ...(rawObject(st.loss) as Partial<LossWeights>) },
      epochs: pickNumber('epochs', st, defaults, DEFAULT_STAGE.epochs),
      batchSize: pickNumber('batchSize', st, defaults, DEFAULT_STAGE.batchSize),
      optimizer: { ...DEFAULT_OPTIMIZER, ...optimizerFieldsOf(defaults), ...optimizerFieldsOf(st) },
      seed: pickNumber('seed', st, defaults, DEFAULT_STAGE.seed),
      evalEvery: pickNumber('evalEvery', st, defaults, DEFAULT_STAGE.evalEvery),
      teacherDropout: (st.teacherDropout ?? defaults.teacherDropout ?? DEFAULT_STAGE.teacherDropout) as boolean,
      quantization: {
        ...DEFAULT_QUANTIZATION,
        ...(globalQuant as Partial<QuantizationOptions>),
        ...(rawObject(defaults.quantization) as Partial<QuantizationOptions>),
        ...(rawObject(st.quantization) as Partial<QuantizationOptions>),
      },
      maxSteps: pickNumber('maxSteps', st, defaults, DEFAULT_STAGE.maxSteps),
    };
  });

  const overrides: LayerOverride[] = (Array.isArray(r.overrides) ? r.overrides : []).map((o) => ({ ...(rawObject(o) as unknown as LayerOverride) }));

  return {
    version: 1,
    file: file.startsWith('<') ? file : resolve(file),
    name,
    task: r.task as TaskName,
    data,
    tokenizer,
    teacher,
    stages,
    overrides,
    kernels: (r.kernels as KernelsChoice | undefined) ?? DEFAULT_KERNELS,
    threads: (r.threads as number | undefined) ?? DEFAULT_THREADS,
    output: resolvePath(baseDir, typeof r.output === 'string' ? r.output : `runs/${name}`),
  };
}

function pickNumber(key: string, stage: Raw, defaults: Raw, builtin: number): number {
  const v = stage[key] ?? defaults[key];
  return typeof v === 'number' ? v : builtin;
}

function resolveTeacher(t: Raw, baseDir: string): TeacherSpec {
  if (typeof t.checkpoint === 'string') {
    // with `train:`, the loaded teacher is fine-tuned on the task as stage 0
    const train = t.train !== undefined && t.train !== null ? resolveTeacherTraining(rawObject(t.train)) : null;
    return { checkpoint: resolvePath(baseDir, t.checkpoint), architecture: null, train };
  }
  const arch = rawObject(t.architecture) as unknown as ArchitectureSpec;
  const { layers, hidden, heads, intermediate, maxPositions } = arch;
  return {
    checkpoint: null,
    architecture: Object.assign({ layers, hidden, heads, intermediate, maxPositions }, DEFAULT_ARCHITECTURE, arch), // keeps the key order of types.ts
    train: resolveTeacherTraining(rawObject(t.train)),
  };
}

function resolveTeacherTraining(train: Raw): TeacherTrainingSpec {
  return {
    epochs: typeof train.epochs === 'number' ? train.epochs : DEFAULT_TEACHER_TRAINING.epochs,
    batchSize: typeof train.batchSize === 'number' ? train.batchSize : DEFAULT_TEACHER_TRAINING.batchSize,
    optimizer: { ...DEFAULT_TEACHER_TRAINING.optimizer, ...optimizerFieldsOf(train) },
    seed: typeof train.seed === 'number' ? train.seed : DEFAULT_TEACHER_TRAINING.seed,
    evalEvery: typeof train.evalEvery === 'number' ? train.evalEvery : DEFAULT_TEACHER_TRAINING.evalEvery,
    maxSteps: typeof train.maxSteps === 'number' ? train.maxSteps : DEFAULT_TEACHER_TRAINING.maxSteps,
  };
}
