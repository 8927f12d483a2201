/**
 * `bitkit eval CHECKPOINT`: the GLUE metric of a checkpoint on a dev file (or on the embedded example's dev split).
 */
import { makeBatches, encodeDataset } from '../data/batches.js';
import { loadExampleDataset } from '../data/example-dataset.js';
import { readGlueFile } from '../data/glue.js';
import { BitkitError, EXIT_OK } from '../errors.js';
import { selectKernels } from '../kernels/select.js';
import type { GlueTask, KernelsChoice, TaskName } from '../recipe/types.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate } from '../train/evaluate.js';
import { loadTokenizer } from '../train/prepare-data.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

const GLUE_TASKS: GlueTask[] = ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli', 'wnli'];

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'evaluate a checkpoint on a dev set with the task\'s GLUE metric',
  args: ['CHECKPOINT'],
  options: [
    { name: 'data', type: 'string', value: 'FILE', description: 'TSV in the task\'s GLUE layout (default for the example task: its dev split)' },
    { name: 'task', type: 'string', value: 'TASK', choices: [...GLUE_TASKS, 'example'], description: 'task of the data file (default: the checkpoint\'s)' },
    { name: 'batch-size', type: 'string', value: 'N', description: 'evaluation batch size (default 32)' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set (default auto)' },
    { name: 'json', type: 'boolean', description: 'print the result as JSON' },
  ],
  run: runEval,
};

async function runEval(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const path = cmd.positionals[0]!;
  const { kernels } = selectKernels((o['kernels'] as KernelsChoice | undefined) ?? 'auto');
  const { model, meta } = loadCheckpoint(path, kernels);
  const task = ((o['task'] as TaskName | undefined) ?? meta.task) as TaskName;
  const batchSize = o['batch-size'] === undefined ? 32 : Number(o['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new BitkitError('BK9001', `--batch-size must be a positive integer, not "${o['batch-size']}"`, { hint: '--batch-size 32' });
  const tokenizer = loadTokenizer(meta.tokenizer);
  let examples;
  if (typeof o['data'] === 'string') {
    if (task === 'example' || task === 'custom') throw new BitkitError('BK9001', `--data needs a GLUE task (--task), the checkpoint's task is ${task}`, { hint: `--task one of ${GLUE_TASKS.join(', ')}` });
    examples = readGlueFile(task, o['data']).examples;
  } else if (task === 'example') {
    examples = loadExampleDataset({}).dev;
  } else {
    throw new BitkitError('BK9001', `bitkit eval needs --data for task ${task}`, { hint: 'pass the dev.tsv of the task' });
  }
  const encoded = encodeDataset(examples, tokenizer, { maxLength: meta.tokenizer.maxLength, truncation: meta.tokenizer.truncation });
  const started = Date.now();
  const r = evaluate(model, makeBatches(encoded, batchSize, null), task, meta.isRegression);
  const seconds = (Date.now() - started) / 1000;
  const result = { checkpoint: path, stage: meta.stage, task, examples: examples.length, metrics: r.metrics, main: r.main, mainName: r.mainName, seconds, kernels: kernels.name };
  if (o['json']) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write(`${path} (stage ${meta.stage}, task ${task}, ${examples.length} examples, ${seconds.toFixed(1)} s on ${kernels.name})\n`);
    for (const [k, v] of Object.entries(r.metrics)) process.stdout.write(`  ${k.padEnd(10)} ${(v * 100).toFixed(2)}\n`);
  }
  return EXIT_OK;
}
