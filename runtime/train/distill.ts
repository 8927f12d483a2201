/**
 * `bitkit distill`: the whole chain of a recipe. Stage 0 trains the FP teacher when the recipe gives an
 * architecture, loads the teacher checkpoint, or fine-tunes it on the task when `teacher.train` is given too; then
 * every stage distils a student from its teacher
 * (bit-algorithm.md §5), each starting from its `init` stage's best weights. The run folder holds the resolved
 * recipe, the metrics history (metrics.jsonl) and, per stage, best.safetensors, resume.safetensors and summary.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitkitError } from '../errors.js';
import { appendLine } from '../io/atomic-write.js';
import { loadTeacherModel } from '../io/hf-folder.js';
import type { Kernels } from '../kernels/kernels.js';
import { BertModel } from '../model/bert.js';
import type { BertConfig } from '../model/types.js';
import { buildQuantPlan } from '../quant/plan.js';
import { TEACHER_STAGE } from '../recipe/defaults.js';
import type { ResolvedRecipe, StageSpec } from '../recipe/types.js';
import { Rng } from '../util/rng.js';
import { type CheckpointMeta, loadCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { bitsLabel, type EventSink, MultiSink, type RunEvent, type StageSummary } from './events.js';
import { prepareData, type PreparedData } from './prepare-data.js';
import { makeBatches } from '../data/batches.js';
import { type CancelToken, runStage, type StageJob } from './stage-loop.js';

export interface DistillOptions {
  kernels: Kernels;
  sink: EventSink;
  cancel: CancelToken;
  /** Continue the run in the recipe's output folder where it stopped. */
  resume: boolean;
  /** Run only this stage (its teacher and init stages must already be done in the run folder). */
  stage?: string;
  /** Save a resume checkpoint at least every this many steps (default 50). */
  saveEvery?: number;
  /** Tests of resume: stop as if cancelled after this many steps of the first stage that trains. */
  stopAfterSteps?: number;
}

export interface DistillResult {
  runDir: string;
  stages: StageSummary[];
  seconds: number;
}

export async function distill(recipe: ResolvedRecipe, opts: DistillOptions): Promise<DistillResult> {
  const started = Date.now();
  const runDir = recipe.output;
  checkRunFolder(runDir, opts);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'recipe.resolved.json'), JSON.stringify(recipe, null, 2) + '\n');
  const history = join(runDir, 'metrics.jsonl');
  const sink = new MultiSink([opts.sink, { emit: (e: RunEvent) => (e.type === 'eval' || e.type === 'stage-end' ? appendLine(history, JSON.stringify({ time: new Date().toISOString(), ...e })) : undefined) }]);

  const data = prepareData(recipe);
  const recipeHash = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
  const chain = [TEACHER_STAGE, ...recipe.stages.map((s) => s.name)];
  sink.emit({ type: 'run-start', name: recipe.name, runDir, stages: chain, kernels: opts.kernels.name, resumed: opts.resume });

  const summaries: StageSummary[] = [];
  const toRun = opts.stage === undefined ? chain : [opts.stage];
  if (opts.stage !== undefined && !chain.includes(opts.stage)) {
    throw new BitkitError('BK9004', `the recipe has no stage "${opts.stage}"`, { hint: `stages: ${chain.join(', ')}`, place: { file: recipe.file } });
  }
  let stopAfter = opts.stopAfterSteps;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i]!;
    const dir = join(runDir, name);
    const summaryFile = join(dir, 'summary.json');
    if (!toRun.includes(name) || (opts.resume && existsSync(summaryFile))) {
      if (existsSync(summaryFile)) summaries.push(JSON.parse(readFileSync(summaryFile, 'utf8')) as StageSummary);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    const ctx = { kernels: opts.kernels, sink, cancel: opts.cancel, index: i, total: chain.length };
    if (name === TEACHER_STAGE) {
      if (recipe.teacher.checkpoint && !fineTunesTeacher(recipe)) {
        summaries.push(evaluateLoadedTeacher(recipe, data, opts.kernels, sink, dir));
        continue;
      }
      const job = teacherJob(recipe, data, opts, dir, recipeHash, sink);
      job.stopAfterSteps = stopAfter;
      stopAfter = undefined;
      summaries.push(await runStage(job, ctx));
    } else {
      const spec = recipe.stages.find((s) => s.name === name)!;
      const job = studentJob(recipe, spec, data, opts, runDir, dir, recipeHash);
      job.stopAfterSteps = stopAfter;
      stopAfter = undefined;
      summaries.push(await runStage(job, ctx));
    }
  }
  const seconds = (Date.now() - started) / 1000;
  sink.emit({ type: 'run-end', stages: summaries, seconds });
  return { runDir, stages: summaries, seconds };
}

/** A run folder with earlier progress is never overwritten silently: resume it, or start over explicitly. */
function checkRunFolder(runDir: string, opts: DistillOptions): void {
  if (opts.resume || opts.stage !== undefined || !existsSync(runDir)) return;
  const used = readdirSync(runDir, { withFileTypes: true }).some((d) => d.isDirectory() && readdirSync(join(runDir, d.name)).some((f) => f.endsWith('.safetensors')));
  if (used) {
    throw new BitkitError('BK9003', `the run folder ${runDir} already holds checkpoints of an earlier run`, {
      hint: 'pass --resume to continue it, --fresh to delete it and start over, or set `output:` in the recipe to another folder',
      place: { file: runDir },
    });
  }
}

function baseMeta(recipe: ResolvedRecipe, data: PreparedData, config: BertConfig, stage: string, recipeHash: string, teacher: string | null, init: string | null): Omit<CheckpointMeta, 'metrics'> & { plan: CheckpointMeta['plan'] } {
  return {
    config,
    plan: null,
    stage,
    task: recipe.task,
    labelNames: data.labelNames,
    isRegression: data.isRegression,
    tokenizer: { vocab: recipe.tokenizer.vocab, lowercase: recipe.tokenizer.lowercase, truncation: recipe.tokenizer.truncation, maxLength: recipe.data.maxLength },
    provenance: { recipe: recipe.file, recipeHash, teacher, init, step: 0, createdAt: new Date().toISOString() },
  };
}

/**
 * A teacher checkpoint with `teacher.train` is fine-tuned on the task as stage 0 (a pretrained Hugging Face BERT gets
 * its classifier head trained there; a missing head is initialised fresh first): the chain's students then learn
 * from the fine-tuned teacher in the run folder, not from the checkpoint as loaded.
 */
function fineTunesTeacher(recipe: ResolvedRecipe): boolean {
  return recipe.teacher.checkpoint !== null && recipe.teacher.train !== null;
}

function teacherJob(recipe: ResolvedRecipe, data: PreparedData, opts: DistillOptions, dir: string, recipeHash: string, sink: EventSink): StageJob {
  const train = recipe.teacher.train!;
  let model: BertModel;
  if (recipe.teacher.checkpoint !== null) {
    const loaded = loadTeacherModel(recipe.teacher.checkpoint, opts.kernels, { numLabels: data.numLabels });
    for (const message of loaded.warnings) sink.emit({ type: 'warning', message });
    model = loaded.model;
  } else {
    const arch = recipe.teacher.architecture!;
    model = new BertModel({ ...arch, vocabSize: arch.vocabSize ?? data.tokenizer.vocabSize, numLabels: data.numLabels }, null, opts.kernels);
    model.initWeights(new Rng(train.seed));
  }
  const config: BertConfig = model.config;
  return {
    name: TEACHER_STAGE,
    bits: bitsLabel(32, 32),
    student: model,
    teacher: null,
    teacherDropout: false,
    loss: null,
    epochs: train.epochs,
    batchSize: train.batchSize,
    optimizer: train.optimizer,
    seed: train.seed,
    evalEvery: train.evalEvery,
    maxSteps: train.maxSteps,
    train: data.train,
    dev: data.dev,
    task: recipe.task,
    isRegression: data.isRegression,
    dir,
    meta: baseMeta(recipe, data, config, TEACHER_STAGE, recipeHash, null, recipe.teacher.checkpoint),
    resume: opts.resume,
    saveEvery: opts.saveEvery ?? 50,
  };
}

function studentJob(recipe: ResolvedRecipe, spec: StageSpec, data: PreparedData, opts: DistillOptions, runDir: string, dir: string, recipeHash: string): StageJob {
  const teacher = loadStageModel(recipe, runDir, spec.teacher, spec.name, 'teacher', opts.kernels, data.numLabels);
  const init = spec.init === spec.teacher ? teacher : loadStageModel(recipe, runDir, spec.init, spec.name, 'init', opts.kernels, data.numLabels);
  const config = teacher.config;
  const plan = buildQuantPlan(config, { name: spec.name, weightBits: spec.weightBits, activationBits: spec.activationBits, quantization: spec.quantization }, recipe.overrides);
  const student = new BertModel(config, plan, opts.kernels);
  student.initWeights(new Rng(spec.seed));
  student.copyFrom(init);
  const meta = baseMeta(recipe, data, config, spec.name, recipeHash, spec.teacher, spec.init);
  meta.plan = plan;
  return {
    name: spec.name,
    bits: bitsLabel(spec.weightBits, spec.activationBits),
    student,
    teacher,
    teacherDropout: spec.teacherDropout,
    loss: spec.loss,
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    optimizer: spec.optimizer,
    seed: spec.seed,
    evalEvery: spec.evalEvery,
    maxSteps: spec.maxSteps,
    train: data.train,
    dev: data.dev,
    task: recipe.task,
    isRegression: data.isRegression,
    dir,
    meta,
    resume: opts.resume,
    saveEvery: opts.saveEvery ?? 50,
  };
}

/**
 * The best checkpoint of an earlier stage, or the teacher checkpoint the recipe names: a bitkit checkpoint, a
 * Hugging Face folder or an HF safetensors file with config.json beside it (runtime/io/hf-folder.ts; a missing
 * classifier is initialised fresh for the task's `numLabels`).
 */
function loadStageModel(recipe: ResolvedRecipe, runDir: string, stage: string, forStage: string, role: 'teacher' | 'init', kernels: Kernels, numLabels?: number): BertModel {
  const loadsCheckpoint = stage === TEACHER_STAGE && recipe.teacher.checkpoint !== null && !fineTunesTeacher(recipe);
  const path = loadsCheckpoint ? recipe.teacher.checkpoint! : join(runDir, stage, 'best.safetensors');
  if (!existsSync(path)) {
    throw new BitkitError('BK3101', `stage ${forStage} needs the ${role} "${stage}", but ${path} does not exist`, {
      hint: `run stage "${stage}" first (bitkit distill ${recipe.file} --stage ${stage}), or run the whole chain`,
      place: { file: recipe.file },
    });
  }
  if (loadsCheckpoint) return loadTeacherModel(path, kernels, { numLabels }).model;
  return loadCheckpoint(path, kernels).model;
}

function evaluateLoadedTeacher(recipe: ResolvedRecipe, data: PreparedData, kernels: Kernels, sink: EventSink, dir: string): StageSummary {
  const started = Date.now();
  const { model, warnings } = loadTeacherModel(recipe.teacher.checkpoint!, kernels, { numLabels: data.numLabels });
  for (const message of warnings) {
    // a fresh head without fine-tuning: the students would learn from random logits
    const advice = / has no classifier: /.test(message) ? ': add `train:` under `teacher:` to fine-tune it on the task as stage 0' : '';
    sink.emit({ type: 'warning', message: message + advice });
  }
  const r = evaluate(model, makeBatches(data.dev, 32, null), recipe.task, data.isRegression);
  const summary: StageSummary = {
    stage: TEACHER_STAGE,
    bits: bitsLabel(32, 32),
    metric: r.mainName,
    best: r.main,
    bestStep: null,
    metrics: r.metrics,
    seconds: (Date.now() - started) / 1000,
    checkpoint: recipe.teacher.checkpoint,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  sink.emit({ type: 'stage-end', summary });
  return summary;
}
