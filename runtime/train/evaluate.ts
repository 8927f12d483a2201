/**
 * Dev-set evaluation: a forward pass in inference mode over batches in order, predictions (argmax, or the logit
 * itself for regression), then the task's GLUE metric.
 */
import { glueMetric } from '../data/metrics.js';
import type { BertModel } from '../model/bert.js';
import type { Batch } from '../model/types.js';
import type { TaskName } from '../recipe/types.js';

export interface EvalResult {
  metrics: Record<string, number>;
  /** The task's main score (accuracy, MCC, mean of Pearson/Spearman, ...). */
  main: number;
  mainName: string;
  predictions: Float32Array;
}

export function predict(model: BertModel, batches: Batch[], isRegression: boolean): Float32Array {
  const total = batches.reduce((n, b) => n + b.B, 0);
  const preds = new Float32Array(total);
  const nC = model.config.numLabels;
  let i = 0;
  for (const batch of batches) {
    const { logits } = model.forward(batch, { training: false });
    for (let b = 0; b < batch.B; b++, i++) {
      if (isRegression) {
        preds[i] = logits[b * nC]!;
      } else {
        let best = 0;
        for (let c = 1; c < nC; c++) if (logits[b * nC + c]! > logits[b * nC + best]!) best = c;
        preds[i] = best;
      }
    }
  }
  return preds;
}

export function evaluate(model: BertModel, batches: Batch[], task: TaskName, isRegression: boolean): EvalResult {
  const predictions = predict(model, batches, isRegression);
  const labels = new Float32Array(predictions.length);
  let i = 0;
  for (const batch of batches) for (let b = 0; b < batch.B; b++) labels[i++] = batch.labels![b]!;
  const r = glueMetric(task, Array.from(predictions), Array.from(labels));
  return { metrics: r.metrics, main: r.main, mainName: r.mainName, predictions };
}
