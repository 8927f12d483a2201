/**
 * The GLUE tasks in their released layouts (the TSVs of the GLUE distribution, as `download_glue_data.py` unpacks
 * them), plus the embedded 'example' task. One row per task: which columns hold the texts and the label, the label
 * names (class i = labelNames[i], in the order of Hugging Face's GLUE processors) or regression, the metric.
 *
 * Columns are found by header name where the file has a header, so that MNLI's train (12 fields) and dev
 * (16 fields: label1..label5) layouts both read. CoLA has no header: fixed positions.
 */
import type { GlueTask, TaskName } from '../recipe/types.js';

export type MetricName = 'accuracy' | 'f1' | 'mcc' | 'pearson' | 'spearman';

/** Where a column is: by header name, or by 0-based position in a header-less file. */
export type ColumnRef = string | number;

export interface TaskSpec {
  name: TaskName;
  /** GLUE folder name, e.g. 'SST-2'. */
  folder: string;
  /** true: the first line is a header and every row has as many fields as it; false: `columns` fields per row. */
  header: boolean;
  /** Fields per row of a header-less file. */
  columns?: number;
  textA: ColumnRef;
  textB?: ColumnRef;
  label: ColumnRef;
  /** Label values as written in the file, index = class id; null = regression (a number). */
  labelNames: string[] | null;
  metrics: MetricName[];
  /** File names in the task folder. */
  trainFile: string;
  devFiles: string[];
}

export const GLUE_TASKS: Record<GlueTask, TaskSpec> = {
  // CoLA train/dev: no header; source, label, original mark (empty or '*'), sentence.
  cola: {
    name: 'cola', folder: 'CoLA', header: false, columns: 4, textA: 3, label: 1, labelNames: ['0', '1'],
    metrics: ['mcc'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // SST-2: header `sentence\tlabel`.
  sst2: {
    name: 'sst2', folder: 'SST-2', header: true, textA: 'sentence', label: 'label', labelNames: ['0', '1'],
    metrics: ['accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // STS-B: index genre filename year old_index source1 source2 sentence1 sentence2 score.
  stsb: {
    name: 'stsb', folder: 'STS-B', header: true, textA: 'sentence1', textB: 'sentence2', label: 'score', labelNames: null,
    metrics: ['pearson', 'spearman'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // MRPC: Quality #1 ID #2 ID #1 String #2 String.
  mrpc: {
    name: 'mrpc', folder: 'MRPC', header: true, textA: '#1 String', textB: '#2 String', label: 'Quality', labelNames: ['0', '1'],
    metrics: ['f1', 'accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // RTE: index sentence1 sentence2 label.
  rte: {
    name: 'rte', folder: 'RTE', header: true, textA: 'sentence1', textB: 'sentence2', label: 'label',
    labelNames: ['entailment', 'not_entailment'], metrics: ['accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // QNLI: index question sentence label.
  qnli: {
    name: 'qnli', folder: 'QNLI', header: true, textA: 'question', textB: 'sentence', label: 'label',
    labelNames: ['entailment', 'not_entailment'], metrics: ['accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // QQP: id qid1 qid2 question1 question2 is_duplicate.
  qqp: {
    name: 'qqp', folder: 'QQP', header: true, textA: 'question1', textB: 'question2', label: 'is_duplicate', labelNames: ['0', '1'],
    metrics: ['f1', 'accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
  // MNLI: index promptID pairID genre sentence1_binary_parse sentence2_binary_parse sentence1_parse sentence2_parse
  // sentence1 sentence2 [label1 .. label5] gold_label.
  mnli: {
    name: 'mnli', folder: 'MNLI', header: true, textA: 'sentence1', textB: 'sentence2', label: 'gold_label',
    labelNames: ['contradiction', 'entailment', 'neutral'], metrics: ['accuracy'], trainFile: 'train.tsv',
    devFiles: ['dev_matched.tsv', 'dev_mismatched.tsv'],
  },
  // WNLI: index sentence1 sentence2 label.
  wnli: {
    name: 'wnli', folder: 'WNLI', header: true, textA: 'sentence1', textB: 'sentence2', label: 'label', labelNames: ['0', '1'],
    metrics: ['accuracy'], trainFile: 'train.tsv', devFiles: ['dev.tsv'],
  },
};

/** The main score of a task's metrics, as the GLUE leaderboard averages it. */
export function mainMetricName(task: TaskName): string {
  const spec = isGlueTask(task) ? GLUE_TASKS[task] : null;
  if (!spec) return 'accuracy';
  if (spec.metrics.length === 1) return spec.metrics[0]!;
  return spec.metrics.join('_'); // e.g. 'f1_accuracy' = mean of F1 and accuracy; 'pearson_spearman'
}

export function isGlueTask(task: string): task is GlueTask {
  return Object.prototype.hasOwnProperty.call(GLUE_TASKS, task);
}
