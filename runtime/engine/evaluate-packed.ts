/**
 * Dev-set evaluation on the packed engine (`bitkit eval --engine packed`): the same batches, argmax (or the logit for
 * regression) and GLUE metric as runtime/train/evaluate.ts, with the PackedEngine in place of BertModel.forward.
 * Also the engine-vs-trainer agreement report of the round-trip tests and the export command.
 */
import type { EncodedDataset } from '../data/batches.js';
import { makeBatches } from '../data/batches.js';
import { glueMetric } from '../data/metrics.js';
import type { BertModel } from '../model/bert.js';
import type { Batch } from '../model/types.js';
import type { TaskName } from '../recipe/types.js';
import { predict, type EvalResult } from '../train/evaluate.js';
import type { PackedEngine } from './packed-engine.js';

function argmaxRows(logits: Float32Array, B: number, nC: number, isRegression: boolean, out: Float32Array, at: number): void {
  for (let b = 0; b < B; b++) {
    if (isRegression) {
      out[at + b] = logits[b * nC]!;
      continue;
    }
    let best = 0;
    for (let c = 1; c < nC; c++) if (logits[b * nC + c]! > logits[b * nC + best]!) best = c;
    out[at + b] = best;
  }
}

/** Predictions of the packed engine over batches, in order (class index, or the score for regression). */
export function predictPacked(engine: PackedEngine, batches: Batch[], isRegression: boolean): Float32Array {
  const total = batches.reduce((n, b) => n + b.B, 0);
  const preds = new Float32Array(total);
  const nC = engine.model.config.numLabels;
  let i = 0;
  for (const batch of batches) {
    argmaxRows(engine.forward(batch), batch.B, nC, isRegression, preds, i);
    i += batch.B;
  }
  return preds;
}

export function evaluatePacked(engine: PackedEngine, batches: Batch[], task: TaskName, isRegression: boolean): EvalResult {
  const predictions = predictPacked(engine, batches, isRegression);
  const labels = new Float32Array(predictions.length);
  let i = 0;
  for (const batch of batches) for (let b = 0; b < batch.B; b++) labels[i++] = batch.labels![b]!;
  const r = glueMetric(task, Array.from(predictions), Array.from(labels));
  return { metrics: r.metrics, main: r.main, mainName: r.mainName, predictions };
}

export interface AgreementReport {
  examples: number;
  /** Examples whose prediction (class, or score to float32) is the same on both sides. */
  same: number;
  /** same / examples */
  agreement: number;
  /** Differing examples with a 1-bit quantizer input exactly on its threshold (engine countTies), and without. */
  differingOnThreshold: number;
  differingOther: number;
  /** Main metric on each side, and its difference in points (x100). */
  trainerMetric: number;
  engineMetric: number;
  metricDeltaPoints: number;
  mainName: string;
}

/**
 * Compare the packed engine (built with countTies for the threshold attribution) with the trainer's model on the
 * same batches of a labelled dataset.
 */
export function compareWithTrainer(engine: PackedEngine, model: BertModel, data: EncodedDataset, task: TaskName, isRegression: boolean, batchSize = 32): AgreementReport {
  const batches = makeBatches(data, batchSize, null);
  const trainerPreds = predict(model, batches, isRegression);
  const nC = engine.model.config.numLabels;
  const enginePreds = new Float32Array(trainerPreds.length);
  let i = 0;
  let onThreshold = 0;
  let other = 0;
  for (const batch of batches) {
    argmaxRows(engine.forward(batch), batch.B, nC, isRegression, enginePreds, i);
    const ties = engine.ties;
    for (let b = 0; b < batch.B; b++) {
      if (Object.is(enginePreds[i + b], trainerPreds[i + b])) continue;
      if (ties !== null && ties[b]! > 0) onThreshold++;
      else other++;
    }
    i += batch.B;
  }
  const labels = Array.from(data.labels ?? new Float32Array(data.size));
  const t = glueMetric(task, Array.from(trainerPreds), labels);
  const e = glueMetric(task, Array.from(enginePreds), labels);
  const same = trainerPreds.length - onThreshold - other;
  return {
    examples: trainerPreds.length, same, agreement: trainerPreds.length === 0 ? 1 : same / trainerPreds.length,
    differingOnThreshold: onThreshold, differingOther: other,
    trainerMetric: t.main, engineMetric: e.main, metricDeltaPoints: 100 * (e.main - t.main), mainName: t.mainName,
  };
}
