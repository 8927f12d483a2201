/**
 * `bitkit eval CHECKPOINT|FILE.bitpack`: the GLUE metric of a model on a dev file (or on the embedded example's dev
 * split). `--engine` picks what runs it: the trainer's model on a kernel set (reference, native, wasm), or the packed
 * 1-bit engine (packed; the default for a .bitpack, whose engine it is; a checkpoint is packed in memory first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatches, encodeDataset } from '../data/batches.js';
import { loadExampleDataset } from '../data/example-dataset.js';
import { readGlueFile } from '../data/glue.js';
import type { BertTokenizer } from '../data/tokenizer.js';
import { evaluatePacked } from '../engine/evaluate-packed.js';
import { PackedEngine } from '../engine/packed-engine.js';
import { packModel, type PackedModel } from '../engine/packed-model.js';
import { BitkitError, EXIT_OK } from '../errors.js';
import { readBitpack } from '../io/bitpack.js';
import type { Kernels } from '../kernels/kernels.js';
import type { BertModel } from '../model/bert.js';
import { selectKernels } from '../kernels/select.js';
import type { GlueTask, KernelsChoice, TaskName, TruncationStrategy } from '../recipe/types.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate, type EvalResult } from '../train/evaluate.js';
import { loadTokenizer } from '../train/prepare-data.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

const GLUE_TASKS: GlueTask[] = ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli', 'wnli'];
/** What `--engine` accepts. */
export const EVAL_ENGINES = ['reference', 'native', 'wasm', 'packed', 'onnx'] as const;

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'evaluate a checkpoint or .bitpack on a dev set with the task\'s GLUE metric',
  args: ['CHECKPOINT'],
  options: [
    { name: 'data', type: 'string', value: 'FILE', description: 'TSV in the task\'s GLUE layout (default for the example task: its dev split)' },
    { name: 'task', type: 'string', value: 'TASK', choices: [...GLUE_TASKS, 'example'], description: 'task of the data file (default: the checkpoint\'s)' },
    { name: 'batch-size', type: 'string', value: 'N', description: 'evaluation batch size (default 32)' },
    { name: 'engine', type: 'string', value: 'ENGINE', choices: [...EVAL_ENGINES], description: 'reference|native|wasm: the trainer\'s model on that kernel set; packed: the packed 1-bit engine (default for a .bitpack); onnx: the checkpoint exported to ONNX, on ONNX Runtime' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set (default auto; --engine reference|native|wasm sets it too)' },
    { name: 'json', type: 'boolean', description: 'print the result as JSON' },
  ],
  run: runEval,
};

interface EvalSubject {
  task: TaskName;
  stage: string;
  isRegression: boolean;
  tokenizer: BertTokenizer;
  maxLength: number;
  truncation: TruncationStrategy;
  run(batches: ReturnType<typeof makeBatches>, task: TaskName): EvalResult | Promise<EvalResult>;
}

/** The checkpoint's model exported to a temporary .onnx and run by ONNX Runtime (runtime/engine/onnx-engine.ts). */
async function onnxEvaluate(model: BertModel, batches: ReturnType<typeof makeBatches>, task: TaskName, isRegression: boolean): Promise<EvalResult> {
  const { exportOnnx } = await import('../io/onnx/export.js');
  const { OnnxEngine } = await import('./../engine/onnx-engine.js');
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-eval-onnx-'));
  try {
    const file = join(dir, 'model.onnx');
    exportOnnx(model, file);
    const engine = await OnnxEngine.create(file);
    try {
      return await engine.evaluate(batches, task, isRegression);
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function packedSubject(pm: PackedModel, kernels: Kernels): EvalSubject {
  const engine = new PackedEngine(pm, kernels);
  const h = pm.header;
  return {
    task: h.task, stage: h.stage, isRegression: h.isRegression, tokenizer: engine.tokenizer, maxLength: h.tokenizer.maxLength, truncation: h.tokenizer.truncation,
    run: (batches, task) => evaluatePacked(engine, batches, task, h.isRegression),
  };
}

async function runEval(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const path = cmd.positionals[0]!;
  const isBitpack = path.endsWith('.bitpack');
  const engineName = (o['engine'] as string | undefined) ?? (isBitpack ? 'packed' : 'model');
  if (isBitpack && engineName !== 'packed') {
    throw new BitkitError('BK9001', `a .bitpack runs on the packed engine, not --engine ${engineName}`, { hint: 'drop --engine, or pass the checkpoint the .bitpack was exported from' });
  }
  let kernelsChoice = (o['kernels'] as KernelsChoice | undefined) ?? 'auto';
  if (engineName === 'reference' || engineName === 'native' || engineName === 'wasm') kernelsChoice = engineName;
  const { kernels } = selectKernels(kernelsChoice);
  let subject: EvalSubject;
  if (isBitpack) {
    subject = packedSubject(readBitpack(path), kernels);
  } else {
    const { model, meta } = loadCheckpoint(path, kernels);
    const tokenizer = loadTokenizer(meta.tokenizer);
    if (engineName === 'packed') {
      subject = packedSubject(packModel(model, meta, tokenizer.vocab, path), kernels);
    } else if (engineName === 'onnx') {
      subject = {
        task: meta.task, stage: meta.stage, isRegression: meta.isRegression, tokenizer, maxLength: meta.tokenizer.maxLength, truncation: meta.tokenizer.truncation,
        run: (batches, task) => onnxEvaluate(model, batches, task, meta.isRegression),
      };
    } else {
      subject = {
        task: meta.task, stage: meta.stage, isRegression: meta.isRegression, tokenizer, maxLength: meta.tokenizer.maxLength, truncation: meta.tokenizer.truncation,
        run: (batches, task) => evaluate(model, batches, task, meta.isRegression),
      };
    }
  }
  const task = ((o['task'] as TaskName | undefined) ?? subject.task) as TaskName;
  const batchSize = o['batch-size'] === undefined ? 32 : Number(o['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new BitkitError('BK9001', `--batch-size must be a positive integer, not "${o['batch-size']}"`, { hint: '--batch-size 32' });
  let examples;
  if (typeof o['data'] === 'string') {
    if (task === 'example' || task === 'custom') throw new BitkitError('BK9001', `--data needs a GLUE task (--task), the checkpoint's task is ${task}`, { hint: `--task one of ${GLUE_TASKS.join(', ')}` });
    examples = readGlueFile(task, o['data']).examples;
  } else if (task === 'example') {
    examples = loadExampleDataset({}).dev;
  } else {
    throw new BitkitError('BK9001', `bitkit eval needs --data for task ${task}`, { hint: 'pass the dev.tsv of the task' });
  }
  const encoded = encodeDataset(examples, subject.tokenizer, { maxLength: subject.maxLength, truncation: subject.truncation });
  const started = Date.now();
  const r = await subject.run(makeBatches(encoded, batchSize, null), task);
  const seconds = (Date.now() - started) / 1000;
  const engineLabel = engineName === 'packed' ? `packed engine on ${kernels.name}` : engineName === 'onnx' ? 'ONNX Runtime (CPU)' : kernels.name;
  const result = { checkpoint: path, stage: subject.stage, task, examples: examples.length, metrics: r.metrics, main: r.main, mainName: r.mainName, seconds, kernels: kernels.name, engine: engineName === 'packed' || engineName === 'onnx' ? engineName : 'model' };
  if (o['json']) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write(`${path} (stage ${subject.stage}, task ${task}, ${examples.length} examples, ${seconds.toFixed(1)} s on ${engineLabel})\n`);
    for (const [k, v] of Object.entries(r.metrics)) process.stdout.write(`  ${k.padEnd(10)} ${(v * 100).toFixed(2)}\n`);
  }
  return EXIT_OK;
}
