/**
 * The JSON Schema (draft-07) of `*.bitkit.yaml`: the one source of truth for the recipe's keys, types, enums and
 * ranges. validate.ts walks this object to check a recipe (no second list of keys exists), the language server shows
 * `description` as hover docs and offers `enum` values (with `enumDescriptions`, a VS Code extension keyword) as
 * completions, and a test keeps it in lock-step with the types of types.ts.
 *
 * The surface is what users write: it mirrors `ResolvedRecipe` but every field with a default may be left out,
 * stages may write optimizer fields flat (`lr:`) or nested (`optimizer: { lr: }`), and bits may be written as
 * `bits: W1A2`, `bits: { weights: 1, activations: 2 }` or `weightBits` / `activationBits`.
 */
import {
  BIT_WIDTHS,
  BUILTIN_VOCAB,
  DEFAULT_ARCHITECTURE,
  DEFAULT_DATA,
  DEFAULT_KERNELS,
  DEFAULT_LOSS,
  DEFAULT_OPTIMIZER,
  DEFAULT_QUANTIZATION,
  DEFAULT_STAGE,
  DEFAULT_TEACHER_TRAINING,
  DEFAULT_THREADS,
  DEFAULT_TOKENIZER,
  OPTIMIZER_KEYS,
  WEIGHT_BIT_WIDTHS,
} from './defaults.js';

export { BIT_WIDTHS, WEIGHT_BIT_WIDTHS };

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** The subset of draft-07 the recipe schema uses (and validate.ts implements). */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  enum?: (string | number | boolean | null)[];
  /** VS Code extension keyword: one description per `enum` value. */
  enumDescriptions?: string[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  /** VS Code extension keyword: the message shown when `pattern` does not match. */
  patternErrorMessage?: string;
  minLength?: number;
  default?: unknown;
  examples?: unknown[];
}

/** `bits:` short forms, `W<weights>A<activations>`. */
export const BITS_SHORT_FORMS = WEIGHT_BIT_WIDTHS.flatMap((w) => BIT_WIDTHS.map((a) => `W${w}A${a}`));

function d(text: string, def?: unknown): string {
  return def === undefined ? text : `${text} Default: ${JSON.stringify(def)}.`;
}

function int(description: string, def: number | undefined, minimum: number): JsonSchema {
  const s: JsonSchema = { type: 'integer', description: d(description, def), minimum };
  if (def !== undefined) s.default = def;
  return s;
}

function num(description: string, def: number | undefined, range: Pick<JsonSchema, 'minimum' | 'maximum' | 'exclusiveMinimum' | 'exclusiveMaximum'>): JsonSchema {
  const s: JsonSchema = { type: 'number', description: d(description, def), ...range };
  if (def !== undefined) s.default = def;
  return s;
}

function bool(description: string, def: boolean): JsonSchema {
  return { type: 'boolean', description: d(description, def), default: def };
}

function oneOf(description: string, values: string[], def?: string, enumDescriptions?: string[]): JsonSchema {
  const s: JsonSchema = { type: 'string', enum: values, description: d(description, def) };
  if (def !== undefined) s.default = def;
  if (enumDescriptions) s.enumDescriptions = enumDescriptions;
  return s;
}

function object(description: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  const s: JsonSchema = { type: 'object', description, properties, additionalProperties: false };
  if (required.length) s.required = required;
  return s;
}

const STAGE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$';

// ---------------------------------------------------------------- optimizer, loss, quantization

const O = DEFAULT_OPTIMIZER;
const optimizerProperties: Record<string, JsonSchema> = {
  lr: num('Learning rate of the weights, biases and shifts `b` (AdamW); the peak of the schedule (linear warm-up, then linear decay to 0).', O.lr, { exclusiveMinimum: 0 }),
  scaleLr: num('Learning rate of the elastic activation scales `a` (no weight decay on them). Reference: 1e-4.', O.scaleLr, { minimum: 0 }),
  weightDecay: num('Decoupled weight decay, applied to weights only (not biases, LayerNorm or shifts `b`).', O.weightDecay, { minimum: 0 }),
  beta1: num('Adam β1: decay of the first-moment estimate m ← β1·m + (1-β1)·g.', O.beta1, { minimum: 0, exclusiveMaximum: 1 }),
  beta2: num('Adam β2: decay of the second-moment estimate v ← β2·v + (1-β2)·g².', O.beta2, { minimum: 0, exclusiveMaximum: 1 }),
  eps: num('Adam ε in the update m̂ / (√v̂ + ε).', O.eps, { exclusiveMinimum: 0 }),
  warmup: num('Fraction of the total steps spent in linear warm-up from 0 to lr; the rest decays linearly to 0.', O.warmup, { minimum: 0, maximum: 1 }),
  clipNorm: num('Per-parameter gradient-norm clip: g ← g · min(1, clipNorm / ‖g‖); 0 = off. Reference: 1.0.', O.clipNorm, { minimum: 0 }),
  biasCorrection: bool('Adam bias correction m̂ = m / (1-β1^t), v̂ = v / (1-β2^t).', O.biasCorrection),
};

function optimizerSchema(defaults: Record<string, unknown>, what: string): JsonSchema {
  const props: Record<string, JsonSchema> = {};
  for (const [k, s] of Object.entries(optimizerProperties)) {
    const def = defaults[k];
    props[k] = { ...s, default: def, description: s.description!.replace(/Default: .*\.$/, `Default: ${JSON.stringify(def)}.`) };
  }
  return object(`Optimizer of ${what} (AdamW with linear warm-up and decay). The same fields may also be written flat, next to \`epochs\`.`, props);
}

/** The optimizer fields written flat in a block (`lr: 5e-4` instead of `optimizer: { lr: 5e-4 }`). */
function flatOptimizer(optimizer: JsonSchema): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const k of OPTIMIZER_KEYS) {
    const s = optimizer.properties![k]!;
    out[k] = { ...s, description: `${s.description} (Flat form of \`optimizer.${k}\`.)` };
  }
  return out;
}

const L = DEFAULT_LOSS;
const lossSchema = object('Weights of the distillation loss L = pred·L_pred + rep·L_rep + label·L_label + attention·L_att.', {
  pred: num('Weight of L_pred: soft cross-entropy between teacher and student logits at `temperature` (MSE on the logit for regression tasks such as STS-B).', L.pred, { minimum: 0 }),
  rep: num('Weight of L_rep: sum over hidden states (embedding output + every layer output) of the element-wise MSE between teacher and student.', L.rep, { minimum: 0 }),
  label: num('Weight of L_label: cross-entropy (MSE for regression) against the gold label; 0 = off (reference).', L.label, { minimum: 0 }),
  attention: num('Weight of L_att: MSE between teacher and student attention scores; 0 = off (reference).', L.attention, { minimum: 0 }),
  temperature: num('Temperature T of L_pred: softmax(z / T) on both sides.', L.temperature, { exclusiveMinimum: 0 }),
});

const Q = DEFAULT_QUANTIZATION;
const quantizationProperties: Record<string, JsonSchema> = {
  weightCentering: bool('§1 Centre weights by their mean before sign: W_b = mean|W| · sign(W - mean(W)) (reference code); false = sign(W) as in BinaryBERT.', Q.weightCentering),
  binarizeEmbeddings: bool('§1 Binarize the word-embedding table with one scale per row, E_b[r] = mean_j|E[r,j]| · sign(E[r] - mean(E)), when weights are 1 bit; false = keep it full precision.', Q.binarizeEmbeddings),
  elastic: bool('§3 Elastic activations: learned scale `a` and shift `b`, Q(x) = a·sign(x + b); false = fixed `a` at the analytic optimum, no `b`.', Q.elastic),
  twoSet: bool('§2 Two-set scheme: non-negative activations (attention probabilities, FFN-2 input) go to {0, a}, the rest to {-a, +a}; false = signed set everywhere.', Q.twoSet),
  scaleInit: oneOf('§3 Initial `a` on the first batch: reference = 2·mean|x| (signed) / 4·mean|x| (unsigned); paper = the analytic optimum.', ['reference', 'paper'], Q.scaleInit, [
    'The reference code: signed 2·mean|x|, unsigned 4·mean|x|.',
    "The paper's analytic optimum: signed mean|x|, unsigned the mean of the entries >= 0.5.",
  ]),
  attentionShifts: bool('§3 Give projected Q, K, V and the attention probabilities a shift `b` too (the reference code creates but never uses them: false).', Q.attentionShifts),
  ffnActivation: oneOf("§2 The student's FFN non-linearity; ReLU keeps FFN-2's input non-negative for the {0, a} set.", ['relu', 'gelu'], Q.ffnActivation),
  unsignedMinOffset: bool('§4 Unsigned multi-bit activations: subtract the tensor minimum first and add it back (reference code).', Q.unsignedMinOffset),
  fixedClip: {
    type: ['number', 'null'],
    exclusiveMinimum: 0,
    default: Q.fixedClip,
    description: d('§6 BinaryBERT-style baseline: a fixed clipping value `a` for activations when `elastic` is off; null = the analytic optimum measured on the first batch.', Q.fixedClip),
  },
};

function quantizationSchema(description: string): JsonSchema {
  return object(description, quantizationProperties);
}

// ---------------------------------------------------------------- stages

const bitsSchema: JsonSchema = {
  description:
    'Bit widths of the stage: `W1A2` (1-bit weights, 2-bit activations), or `{ weights: 1, activations: 2 }`. Weights are 1 or 32 bits; activations 1, 2, 4, 8, 16 or 32 (1 = binary {±a} / {0,a}; 2-8 = LSQ multi-bit). Default: W1A1.',
  anyOf: [
    { type: 'string', enum: BITS_SHORT_FORMS, description: 'Short form W<weight bits>A<activation bits>.' },
    object('Long form of the bit widths.', {
      weights: { type: 'integer', enum: WEIGHT_BIT_WIDTHS, description: d('Weight bits: 1 (binary, W_b = a_W·sign(W - mean W)) or 32 (full precision).', DEFAULT_STAGE.weightBits) },
      activations: { type: 'integer', enum: BIT_WIDTHS, description: d('Activation bits: 1 (binary), 2-8 (LSQ: a·clip(round(x/a), Qn, Qp)) or 32 (full precision).', DEFAULT_STAGE.activationBits) },
    }),
  ],
};

const S = DEFAULT_STAGE;
const stageOptimizer = optimizerSchema(DEFAULT_OPTIMIZER as unknown as Record<string, unknown>, 'the stage');

/** Every stage field that `defaults:` may also set. */
const stageSettings: Record<string, JsonSchema> = {
  bits: bitsSchema,
  weightBits: { type: 'integer', enum: WEIGHT_BIT_WIDTHS, description: d('Weight bits of the student: 1 or 32 (the long form of `bits`).', S.weightBits) },
  activationBits: { type: 'integer', enum: BIT_WIDTHS, description: d('Activation bits of the student: 1, 2, 4, 8, 16 or 32 (the long form of `bits`).', S.activationBits) },
  loss: lossSchema,
  epochs: int('Passes over the training set.', S.epochs, 1),
  batchSize: int('Examples per optimizer step.', S.batchSize, 1),
  optimizer: stageOptimizer,
  ...flatOptimizer(stageOptimizer),
  seed: int('Seed of the data order, dropout and initialisation.', S.seed, 0),
  evalEvery: int('Evaluate on the dev set every this many steps (and at the end of every epoch); 0 = per epoch only. The best dev checkpoint is kept.', S.evalEvery, 0),
  teacherDropout: bool('Run the teacher with dropout on while distilling (the reference code does on GLUE); false = inference mode.', S.teacherDropout),
  quantization: quantizationSchema('Quantization options of this stage; any key given here overrides `defaults.quantization` and the top-level `quantization`.'),
  maxSteps: int('Stop after this many optimizer steps (for smoke tests); 0 = no limit.', S.maxSteps, 0),
};

const stageSchema = object(
  'One stage of multi-distillation: a student with the given bits learns from `teacher`, starting from the weights of `init`.',
  {
    name: {
      type: 'string',
      pattern: STAGE_NAME_PATTERN,
      patternErrorMessage: 'must start with a letter or _ and contain only letters, digits, _, . and -',
      description: 'Name of the stage (e.g. `w1a2`), used by later stages, overrides and the run folder. `teacher` is reserved.',
    },
    teacher: {
      type: 'string',
      description: "The stage this student is distilled from: `teacher` (the full-precision model) or the name of an earlier stage. Default: the previous stage (`teacher` for the first).",
    },
    init: {
      type: 'string',
      description: 'Where the student starts: `teacher` or an earlier stage (latent weights, `a` and `b` carry over; `a` is initialised where a quantizer is new). Default: the stage\'s teacher.',
    },
    ...stageSettings,
  },
  ['name'],
);

const defaultsSchema = object('Defaults for every stage: any stage field except name, teacher and init. A stage\'s own value wins.', { ...stageSettings });

// ---------------------------------------------------------------- teacher, data, tokenizer

const A = DEFAULT_ARCHITECTURE;
const architectureSchema: JsonSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  description: 'Architecture of a BERT-style teacher trained from scratch (names as in Hugging Face BertConfig). Give this or `checkpoint`, not both.',
  required: ['layers', 'hidden', 'heads', 'intermediate', 'maxPositions'],
  properties: {
    layers: int('Number of encoder layers (num_hidden_layers).', undefined, 1),
    hidden: int('Hidden size C (hidden_size); must be a multiple of `heads`.', undefined, 1),
    heads: int('Attention heads NH (num_attention_heads); each head has hidden / heads dimensions.', undefined, 1),
    intermediate: int('FFN inner size (intermediate_size), usually 4·hidden.', undefined, 1),
    maxPositions: int('Position embeddings (max_position_embeddings); the longest sequence the model takes.', undefined, 1),
    vocabSize: int("Vocabulary size V (vocab_size). Default: the tokenizer's vocabulary size.", undefined, 1),
    typeVocabSize: int('Token-type (segment) embeddings (type_vocab_size).', A.typeVocabSize, 1),
    hiddenAct: oneOf("The teacher's FFN non-linearity (hidden_act); students use `quantization.ffnActivation`.", ['gelu', 'relu'], A.hiddenAct),
    hiddenDropout: num('Dropout on embeddings and layer outputs (hidden_dropout_prob).', A.hiddenDropout, { minimum: 0, exclusiveMaximum: 1 }),
    attentionDropout: num('Dropout on attention probabilities (attention_probs_dropout_prob).', A.attentionDropout, { minimum: 0, exclusiveMaximum: 1 }),
    layerNormEps: num('LayerNorm ε: (x - μ) / √(σ² + ε) (layer_norm_eps).', A.layerNormEps, { exclusiveMinimum: 0 }),
    initializerRange: num('Standard deviation of the truncated-normal weight initialisation (initializer_range).', A.initializerRange, { exclusiveMinimum: 0 }),
  },
};

const T = DEFAULT_TEACHER_TRAINING;
const teacherOptimizer = optimizerSchema(T.optimizer as unknown as Record<string, unknown>, 'the full-precision teacher');
const teacherTrainSchema: JsonSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  description: 'Stage-0 training on the labels (cross-entropy, or MSE for regression): of a teacher trained from scratch with `architecture`, or fine-tuning of the `checkpoint` on the task (a Hugging Face BERT without a classifier head gets one; without `train:` a loaded checkpoint is used as it is).',
  properties: {
    epochs: int('Passes over the training set.', T.epochs, 1),
    batchSize: int('Examples per optimizer step.', T.batchSize, 1),
    optimizer: teacherOptimizer,
    ...flatOptimizer(teacherOptimizer),
    seed: int('Seed of the initialisation, data order and dropout.', T.seed, 0),
    evalEvery: int('Evaluate on the dev set every this many steps; 0 = per epoch only.', T.evalEvery, 0),
    maxSteps: int('Stop after this many optimizer steps (for smoke tests); 0 = no limit.', T.maxSteps, 0),
  },
};

const teacherSchema = object('The full-precision teacher (stage 0): loaded from `checkpoint` (fine-tuned on the task when `train` is given too) or trained from scratch with `architecture` and `train`.', {
  checkpoint: {
    type: ['string', 'null'],
    description: 'A trained teacher to load: a .safetensors file or a Hugging Face model folder (config.json, model.safetensors), relative to the recipe. Give this or `architecture`.',
  },
  architecture: architectureSchema,
  train: teacherTrainSchema,
});

const dataSchema = object('Training and dev data, TSV files in the GLUE layout of the task.', {
  train: { type: ['string', 'null'], description: 'Training TSV, relative to the recipe; null only for task `example` (the embedded dataset).' },
  dev: { type: ['string', 'null'], description: 'Dev TSV (model selection and the reported metric), relative to the recipe; null only for task `example`.' },
  maxLength: int('Tokens per example after truncation, including [CLS] and [SEP] (T).', DEFAULT_DATA.maxLength, 3),
  maxTrainExamples: int('Use at most this many training examples (the first ones); 0 = all.', DEFAULT_DATA.maxTrainExamples, 0),
  maxDevExamples: int('Use at most this many dev examples; 0 = all.', DEFAULT_DATA.maxDevExamples, 0),
});

const tokenizerSchema = object('WordPiece tokenizer.', {
  vocab: { type: 'string', minLength: 1, default: BUILTIN_VOCAB, description: d(`A vocab.txt or tokenizer.json relative to the recipe; \`${BUILTIN_VOCAB}\` = the embedded default vocabulary.`, BUILTIN_VOCAB) },
  lowercase: bool('Lower-case and strip accents before WordPiece (uncased models).', DEFAULT_TOKENIZER.lowercase),
  truncation: oneOf('How sentence pairs are cut down to `data.maxLength`.', ['longest_first', 'only_first', 'only_second'], DEFAULT_TOKENIZER.truncation, [
    'Remove tokens from the longer sentence first.',
    'Cut only the first sentence.',
    'Cut only the second sentence.',
  ]),
});

const overrideSchema = object(
  'Bit widths for the layers whose Hugging Face name matches `match` (e.g. `bert.encoder.layer.*.attention.self.query`); later overrides win.',
  {
    match: {
      type: 'string',
      minLength: 1,
      description: 'Glob over layer names without `.weight`: `*` within one dotted segment, `**` across segments, `{a,b}` alternatives. Must match the whole name.',
      examples: ['bert.encoder.layer.*.attention.self.{query,key,value}', '**.output.dense', 'bert.pooler.dense'],
    },
    stages: { type: 'array', minItems: 1, items: { type: 'string', description: 'A stage name.' }, description: 'Apply only in these stages. Default: all stages.' },
    weightBits: { type: 'integer', enum: WEIGHT_BIT_WIDTHS, description: 'Weight bits of the matched layers: 1 or 32.' },
    activationBits: { type: 'integer', enum: BIT_WIDTHS, description: 'Bits of the input activation of the matched layers: 1, 2, 4, 8, 16 or 32.' },
    activationSet: oneOf('Force the activation set of the matched layers: signed {-a, +a} or unsigned {0, a}.', ['signed', 'unsigned']),
    keepFullPrecision: bool('Keep the matched layers entirely full precision (weights and input activation).', false),
  },
  ['match'],
);

// ---------------------------------------------------------------- the recipe

export const recipeJsonSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://bitkit.dev/schema/recipe-v1.json',
  title: 'bitkit recipe (*.bitkit.yaml)',
  type: 'object',
  additionalProperties: false,
  description: 'A BiT multi-distillation recipe: data, a full-precision teacher and a chain of binarized stages.',
  required: ['version', 'task', 'teacher', 'stages'],
  properties: {
    version: { type: 'integer', enum: [1], description: 'Recipe format version; always 1.' },
    name: {
      type: 'string',
      pattern: STAGE_NAME_PATTERN,
      patternErrorMessage: 'must start with a letter or _ and contain only letters, digits, _, . and -',
      description: 'Name of the run (default run folder `runs/<name>`). Default: the file name without `.bitkit.yaml`.',
    },
    task: oneOf(
      'The task: a GLUE task (its TSV layout and metric), `example` (the embedded SpamAssassin ham/spam set) or `custom`.',
      ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli', 'wnli', 'example', 'custom'],
      undefined,
      [
        'SST-2 sentiment, accuracy.',
        'CoLA acceptability, Matthews correlation.',
        'STS-B similarity (regression), Pearson/Spearman.',
        'MRPC paraphrase, accuracy/F1.',
        'RTE entailment, accuracy.',
        'QNLI question entailment, accuracy.',
        'QQP duplicate questions, accuracy/F1.',
        'MNLI entailment (3 classes), accuracy.',
        'WNLI coreference entailment, accuracy.',
        'The embedded SpamAssassin ham/spam dataset; needs no data files.',
        'Your own TSV files.',
      ],
    ),
    data: dataSchema,
    tokenizer: tokenizerSchema,
    teacher: teacherSchema,
    quantization: quantizationSchema('Quantization options for every stage (the algorithm\'s switches); a stage\'s `quantization:` overrides any key.'),
    defaults: defaultsSchema,
    stages: { type: 'array', minItems: 1, items: stageSchema, description: 'The chain of stages, run in order, e.g. W1A2 from the teacher, then W1A1 from W1A2.' },
    overrides: { type: 'array', items: overrideSchema, description: 'Per-layer bit widths, matched by layer name. Default: none.' },
    kernels: oneOf('Compute kernels: auto = native if it loads, else WASM, else the TypeScript reference.', ['auto', 'reference', 'native', 'wasm'], DEFAULT_KERNELS, [
      'The fastest set that loads on this machine.',
      'Plain TypeScript, the definition of truth (slow).',
      'The C++ N-API addon (AVX2 / AVX-512).',
      'The WebAssembly build.',
    ]),
    threads: int('Worker threads of the kernels; 0 = all cores.', DEFAULT_THREADS, 0),
    output: { type: 'string', minLength: 1, description: 'Run folder (checkpoints, metrics, the resolved recipe), relative to the recipe. Default: `runs/<name>`.' },
  },
};

/** The sub-schema at a path of keys (array items are entered with any number); undefined where the schema has none. */
export function schemaAt(path: (string | number)[], root: JsonSchema = recipeJsonSchema): JsonSchema | undefined {
  let s: JsonSchema | undefined = root;
  for (const part of path) {
    if (!s) return undefined;
    if (typeof part === 'number') s = s.items;
    else s = s.properties?.[part] ?? s.anyOf?.map((b) => b.properties?.[part]).find((x) => x !== undefined);
  }
  return s;
}
