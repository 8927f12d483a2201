/**
 * The training loop of one stage: stage 0 trains the FP teacher on the gold labels; every later stage distils a
 * student from its teacher (bit-algorithm.md §5). Deterministic given the seed: the shuffle of epoch e draws from
 * Rng.derive(seed, 'shuffle-e'), dropout from a generator whose state is saved with every resume checkpoint, so a
 * cancelled or crashed stage resumed from its last save ends with the same weights as an uninterrupted run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatches, type EncodedDataset } from '../data/batches.js';
import { mainMetricName } from '../data/tasks.js';
import type { Kernels } from '../kernels/kernels.js';
import type { BertModel } from '../model/bert.js';
import type { Batch, ForwardOutputs } from '../model/types.js';
import type { LossWeights, OptimizerSpec, TaskName } from '../recipe/types.js';
import { Rng } from '../util/rng.js';
import { type CheckpointMeta, loadCheckpoint, type ResumeState, saveCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import type { EventSink, StageSummary } from './events.js';
import { attentionScoreMse, crossEntropy, meanSquaredError, softCrossEntropy } from './losses.js';
import { AdamW } from './optimizer.js';
import { learningRateAt } from './schedule.js';

/** Set by the CLI's SIGINT/SIGTERM handler; the loop finishes its step, saves and stops. */
export interface CancelToken {
  requested: boolean;
}

export class StageCancelled extends Error {
  constructor(readonly stage: string, readonly step: number) {
    super(`stage ${stage} cancelled at step ${step}`);
  }
}

export interface StageJob {
  name: string;
  bits: string;
  student: BertModel;
  /** null for stage 0 (the teacher trains on labels). */
  teacher: BertModel | null;
  teacherDropout: boolean;
  /** null for stage 0: label loss only. */
  loss: LossWeights | null;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  evalEvery: number;
  maxSteps: number;
  train: EncodedDataset;
  dev: EncodedDataset;
  task: TaskName;
  isRegression: boolean;
  /** Stage folder: best.safetensors, resume.safetensors, summary.json. */
  dir: string;
  /** Metadata written into this stage's checkpoints (metrics and step are filled in here). */
  meta: Omit<CheckpointMeta, 'metrics'>;
  resume: boolean;
  /** Save a resume checkpoint at least every this many steps (besides evaluations and epoch ends); 0 = never. */
  saveEvery: number;
  /** Stop as if cancelled after this many steps (tests of resume); 0 = off. */
  stopAfterSteps?: number;
}

export interface StageContext {
  kernels: Kernels;
  sink: EventSink;
  cancel: CancelToken;
  index: number;
  total: number;
}

export async function runStage(job: StageJob, ctx: StageContext): Promise<StageSummary> {
  const { student } = job;
  const started = Date.now();
  const stepsPerEpoch = Math.ceil(job.train.size / job.batchSize);
  const plannedSteps = stepsPerEpoch * job.epochs;
  const totalSteps = job.maxSteps > 0 ? Math.min(job.maxSteps, plannedSteps) : plannedSteps;
  const opt = new AdamW(student.params, job.optimizer, ctx.kernels, student.paramData.length);
  const dropoutRng = Rng.derive(job.seed, 'dropout');
  const teacherRng = Rng.derive(job.seed, 'teacher-dropout');
  const devBatches = makeBatches(job.dev, Math.max(job.batchSize, 32), null);
  const resumePath = join(job.dir, 'resume.safetensors');
  const bestPath = join(job.dir, 'best.safetensors');

  let state: ResumeState = {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    optimizerStep: 0,
    dropoutRngState: dropoutRng.state,
    teacherRngState: teacherRng.state,
    best: null,
    bestStep: null,
    bestMetrics: {},
    seconds: 0,
  };
  if (job.resume && existsSync(resumePath)) {
    const saved = loadCheckpoint(resumePath, ctx.kernels);
    if (!saved.resume) throw new Error(`${resumePath} holds no resume state`);
    student.paramData.set(saved.model.paramData);
    opt.m.set(saved.resume.m);
    opt.v.set(saved.resume.v);
    state = saved.resume.state;
    opt.step = state.optimizerStep;
    dropoutRng.state = state.dropoutRngState;
    teacherRng.state = state.teacherRngState;
  }
  const secondsBefore = state.seconds;

  ctx.sink.emit({ type: 'stage-start', stage: job.name, index: ctx.index, total: ctx.total, bits: job.bits, epochs: job.epochs, totalSteps, startStep: state.step });

  const saveResume = () => {
    state.optimizerStep = opt.step;
    state.dropoutRngState = dropoutRng.state;
    state.teacherRngState = teacherRng.state;
    state.seconds = secondsBefore + (Date.now() - started) / 1000;
    saveCheckpoint(resumePath, student, { ...job.meta, metrics: state.bestMetrics, provenance: { ...job.meta.provenance, step: state.step } }, { state, m: opt.m, v: opt.v });
    ctx.sink.emit({ type: 'checkpoint', stage: job.name, kind: 'resume', path: resumePath, step: state.step });
  };

  const runEval = () => {
    const r = evaluate(student, devBatches, job.task, job.isRegression);
    const improved = state.best === null || r.main > state.best;
    if (improved) {
      state.best = r.main;
      state.bestStep = state.step;
      state.bestMetrics = r.metrics;
      saveCheckpoint(bestPath, student, { ...job.meta, metrics: r.metrics, provenance: { ...job.meta.provenance, step: state.step } });
      ctx.sink.emit({ type: 'checkpoint', stage: job.name, kind: 'best', path: bestPath, step: state.step });
    }
    ctx.sink.emit({ type: 'eval', stage: job.name, epoch: state.epoch, step: state.step, metrics: r.metrics, main: r.main, best: state.best!, improved });
  };

  const grads = new GradientBuffers();
  let tokensSinceTick = 0;
  let tick = Date.now();
  let tokensPerSecond = 0;
  let lastSave = state.step;
  const evaluateAndSave = () => {
    runEval();
    saveResume();
    lastSave = state.step;
    // Evaluation time is not training time: restart the throughput window.
    tick = Date.now();
    tokensSinceTick = 0;
  };

  while (state.epoch < job.epochs && state.step < totalSteps) {
    const batches = makeBatches(job.train, job.batchSize, Rng.derive(job.seed, `shuffle-${state.epoch}`));
    while (state.batchInEpoch < batches.length && state.step < totalSteps) {
      const batch = batches[state.batchInEpoch]!;
      const loss = trainStep(job, batch, grads, dropoutRng, teacherRng);
      student.zeroGrad();
      student.backward(grads.inputs);
      opt.update(student.paramData, student.gradData, learningRateAt(state.step, totalSteps, 1, job.optimizer.warmup));
      state.step++;
      state.batchInEpoch++;

      tokensSinceTick += batch.B * batch.T;
      const now = Date.now();
      if (now - tick >= 1000 || tokensPerSecond === 0) {
        tokensPerSecond = (tokensSinceTick * 1000) / Math.max(1, now - tick);
        tokensSinceTick = 0;
        tick = now;
      }
      const stepsLeft = totalSteps - state.step;
      ctx.sink.emit({
        type: 'progress',
        stage: job.name,
        epoch: state.epoch + 1,
        step: state.step,
        totalSteps,
        loss,
        lr: job.optimizer.lr * learningRateAt(state.step - 1, totalSteps, 1, job.optimizer.warmup),
        tokensPerSecond,
        etaSeconds: (stepsLeft * batch.B * batch.T) / Math.max(1, tokensPerSecond),
      });

      if (job.evalEvery > 0 && state.step % job.evalEvery === 0 && state.batchInEpoch < batches.length) {
        evaluateAndSave();
      } else if (job.saveEvery > 0 && state.step - lastSave >= job.saveEvery) {
        saveResume();
        lastSave = state.step;
      }
      // Let signal handlers run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (ctx.cancel.requested || (job.stopAfterSteps && state.step >= job.stopAfterSteps)) {
        saveResume();
        throw new StageCancelled(job.name, state.step);
      }
    }
    if (state.batchInEpoch >= batches.length) {
      state.epoch++;
      state.batchInEpoch = 0;
    }
    evaluateAndSave();
  }

  const summary: StageSummary = {
    stage: job.name,
    bits: job.bits,
    metric: mainMetricName(job.task),
    best: state.best,
    bestStep: state.bestStep,
    metrics: state.bestMetrics,
    seconds: secondsBefore + (Date.now() - started) / 1000,
    checkpoint: state.best === null ? null : bestPath,
  };
  writeFileSync(join(job.dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  ctx.sink.emit({ type: 'stage-end', summary });
  return summary;
}

/**
 * One forward of teacher and student and the loss gradients, written into `grads` for the student's backward.
 * Returns the total loss.
 */
function trainStep(job: StageJob, batch: Batch, grads: GradientBuffers, dropoutRng: Rng, teacherRng: Rng): number {
  const nC = job.student.config.numLabels;
  const B = batch.B;
  if (!job.teacher || !job.loss) {
    const s = job.student.forward(batch, { training: true, rng: dropoutRng });
    grads.prepare(s, false, false);
    return labelLoss(grads.dLogits!, s.logits, batch, B, nC, job.isRegression, 1);
  }
  // The teacher's outputs live in the teacher model's buffers, untouched by the student's forward.
  const t = job.teacher.forward(batch, { training: job.teacherDropout, rng: teacherRng });
  const s = job.student.forward(batch, { training: true, rng: dropoutRng });
  const w = job.loss;
  grads.prepare(s, w.rep > 0, w.attention > 0);
  let loss = 0;
  if (w.pred > 0) {
    loss += job.isRegression
      ? meanSquaredError(grads.dLogits, s.logits, t.logits, B * nC, w.pred)
      : softCrossEntropy(grads.dLogits!, s.logits, t.logits, B, nC, w.temperature, w.pred);
  }
  if (w.label > 0) loss += labelLoss(grads.dLogits!, s.logits, batch, B, nC, job.isRegression, w.label);
  if (w.rep > 0) {
    for (let i = 0; i < s.hiddenStates.length; i++) {
      const hs = s.hiddenStates[i]!;
      loss += meanSquaredError(grads.dHidden[i]!, hs, t.hiddenStates[i]!, hs.length, w.rep);
    }
  }
  if (w.attention > 0) {
    for (let i = 0; i < s.attentionScores.length; i++) {
      const NH = job.student.config.heads;
      loss += attentionScoreMse(grads.dAttention[i]!, s.attentionScores[i]!, t.attentionScores[i]!, batch.attentionMask, B, NH, batch.T, w.attention);
    }
  }
  return loss;
}

function labelLoss(dLogits: Float32Array, logits: Float32Array, batch: Batch, B: number, nC: number, isRegression: boolean, weight: number): number {
  return isRegression ? meanSquaredError(dLogits, logits, batch.labels!, B, weight) : crossEntropy(dLogits, logits, batch.labels!, B, nC, weight);
}

/** Zeroed gradient buffers for the student's outputs, reused across steps (regrown when a batch is larger). */
class GradientBuffers {
  dLogits: Float32Array | null = null;
  dHidden: Float32Array[] = [];
  dAttention: Float32Array[] = [];
  private pool = new Map<string, Float32Array>();
  inputs: { dLogits: Float32Array | null; dHiddenStates: Float32Array[] | null; dAttentionScores: Float32Array[] | null } = {
    dLogits: null,
    dHiddenStates: null,
    dAttentionScores: null,
  };

  prepare(out: ForwardOutputs, hidden: boolean, attention: boolean): void {
    this.dLogits = this.zeroed('logits', out.logits.length);
    this.dHidden = hidden ? out.hiddenStates.map((h, i) => this.zeroed(`h${i}`, h.length)) : [];
    this.dAttention = attention ? out.attentionScores.map((a, i) => this.zeroed(`a${i}`, a.length)) : [];
    this.inputs = { dLogits: this.dLogits, dHiddenStates: hidden ? this.dHidden : null, dAttentionScores: attention ? this.dAttention : null };
  }

  private zeroed(key: string, n: number): Float32Array {
    let buf = this.pool.get(key);
    if (!buf || buf.length < n) {
      buf = new Float32Array(n);
      this.pool.set(key, buf);
    }
    const view = buf.subarray(0, n);
    view.fill(0);
    return view;
  }
}
