/**
 * GLUE metrics, as scikit-learn / scipy compute them for the GLUE benchmark:
 *   accuracy; F1 of the positive class 1; Matthews correlation (binary/multi-class, sklearn's formula);
 *   Pearson r; Spearman rho = Pearson r of the ranks, ties getting their average rank (scipy's rankdata 'average').
 * Degenerate inputs (a constant vector, no positives at all) give 0 where scipy would give NaN, as sklearn's
 * matthews_corrcoef and f1_score (zero_division=0) already do: a run's "best dev score" stays comparable.
 */
import type { TaskName } from '../recipe/types.js';
import { GLUE_TASKS, isGlueTask, mainMetricName, type MetricName } from './tasks.js';

type Vec = ArrayLike<number>;

function checkLengths(a: Vec, b: Vec): void {
  if (a.length !== b.length) throw new RangeError(`metric inputs differ in length: ${a.length} vs ${b.length}`);
}

export function accuracy(preds: Vec, labels: Vec): number {
  checkLengths(preds, labels);
  if (preds.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < preds.length; i++) if (preds[i] === labels[i]) ok++;
  return ok / preds.length;
}

/** F1 of class `positive` (default 1): 2 TP / (2 TP + FP + FN); 0 when there is no positive anywhere. */
export function f1(preds: Vec, labels: Vec, positive = 1): number {
  checkLengths(preds, labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i] === positive;
    const l = labels[i] === positive;
    if (p && l) tp++;
    else if (p) fp++;
    else if (l) fn++;
  }
  const d = 2 * tp + fp + fn;
  return d === 0 ? 0 : (2 * tp) / d;
}

/**
 * Matthews correlation (sklearn's multi-class form, equal to (TP·TN − FP·FN)/sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
 * for two classes): (c·s − Σ_k p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)), c = correct, s = samples,
 * p_k / t_k = times class k is predicted / true. 0 when the denominator is 0.
 */
export function matthews(preds: Vec, labels: Vec): number {
  checkLengths(preds, labels);
  const s = preds.length;
  const p = new Map<number, number>();
  const t = new Map<number, number>();
  let c = 0;
  for (let i = 0; i < s; i++) {
    p.set(preds[i]!, (p.get(preds[i]!) ?? 0) + 1);
    t.set(labels[i]!, (t.get(labels[i]!) ?? 0) + 1);
    if (preds[i] === labels[i]) c++;
  }
  let pt = 0;
  let pp = 0;
  let tt = 0;
  for (const [k, n] of p) {
    pt += n * (t.get(k) ?? 0);
    pp += n * n;
  }
  for (const n of t.values()) tt += n * n;
  const den = Math.sqrt((s * s - pp) * (s * s - tt));
  return den === 0 ? 0 : (c * s - pt) / den;
}

/** Pearson r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² Σ(y−ȳ)²); 0 if either vector is constant. */
export function pearson(x: Vec, y: Vec): number {
  checkLengths(x, y);
  const n = x.length;
  if (n === 0) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const den = Math.sqrt(sxx * syy);
  return den === 0 ? 0 : sxy / den;
}

/** 1-based ranks, ties sharing the average of the ranks they span (scipy.stats.rankdata 'average'). */
export function averageRanks(x: Vec): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const r = (i + j) / 2 + 1; // positions i..j hold ranks i+1..j+1
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** Spearman rho: Pearson r of the average ranks. */
export function spearman(x: Vec, y: Vec): number {
  checkLengths(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

const METRIC_FNS: Record<MetricName, (p: Vec, l: Vec) => number> = {
  accuracy, f1: (p, l) => f1(p, l, 1), mcc: matthews, pearson, spearman,
};

export interface MetricResult {
  /** each of the task's metrics by name */
  metrics: Record<string, number>;
  /** the task's main score: its one metric, or the mean of two (MRPC/QQP: F1 and accuracy; STS-B: Pearson and Spearman) */
  main: number;
  mainName: string;
}

/**
 * The task's GLUE metrics. `preds` are class indices (argmax) for classification, scores for regression.
 * 'example' and 'custom' report accuracy (or Pearson/Spearman when `isRegression`).
 */
export function glueMetric(task: TaskName, preds: Vec, labels: Vec, options: { isRegression?: boolean } = {}): MetricResult {
  checkLengths(preds, labels);
  let names: MetricName[];
  let mainName: string;
  if (isGlueTask(task)) {
    names = GLUE_TASKS[task].metrics;
    mainName = mainMetricName(task);
  } else if (options.isRegression) {
    names = ['pearson', 'spearman'];
    mainName = 'pearson_spearman';
  } else {
    names = ['accuracy'];
    mainName = 'accuracy';
  }
  const metrics: Record<string, number> = {};
  for (const n of names) metrics[n] = METRIC_FNS[n](preds, labels);
  const main = names.reduce((s, n) => s + metrics[n]!, 0) / names.length;
  if (names.length > 1) metrics[mainName] = main;
  return { metrics, main, mainName };
}
