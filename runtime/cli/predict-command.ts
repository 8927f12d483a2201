/**
 * `bitkit predict FILE.bitpack "text" ["text b"]`: labels and scores from a `.bitpack` on the packed engine, so a
 * user can try a model at once. `-` reads one example per line from stdin (a tab separates a pair's two texts).
 */
import { readFileSync } from 'node:fs';
import { BitkitError, EXIT_OK } from '../errors.js';
import { PackedEngine, type Prediction } from '../engine/packed-engine.js';
import { readBitpack } from '../io/bitpack.js';
import { selectKernels } from '../kernels/select.js';
import type { KernelsChoice } from '../recipe/types.js';
import type { ExampleInput } from '../data/batches.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

export const predictCommand: CommandSpec = {
  name: 'predict',
  summary: 'classify text with a .bitpack model on the packed 1-bit engine',
  args: ['FILE', 'TEXT', '[TEXT_B]'],
  options: [
    { name: 'json', type: 'boolean', description: 'print the predictions as JSON' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set (default auto)' },
    { name: 'batch-size', type: 'string', value: 'N', description: 'examples per forward pass when reading stdin (default 16)' },
  ],
  details: [
    'examples:',
    '  bitkit predict spam.bitpack "win a free cruise now"',
    '  bitkit predict mrpc.bitpack "the cat sat" "a cat was sitting"',
    '  cat lines.txt | bitkit predict spam.bitpack - --json     # one text per line, TAB between pair texts',
  ].join('\n'),
  run: runPredict,
};

export interface PredictOutput extends Prediction {
  textA: string;
  textB?: string;
}

/** The library call behind the command. */
export function predictTexts(file: string, inputs: ExampleInput[], kernelsChoice: KernelsChoice = 'auto', batchSize = 16): { labelNames: string[]; predictions: PredictOutput[] } {
  const model = readBitpack(file);
  const engine = new PackedEngine(model, selectKernels(kernelsChoice).kernels);
  const preds = engine.predict(inputs, batchSize);
  const predictions = preds.map((p, i) => {
    const o: PredictOutput = { textA: inputs[i]!.textA, ...p };
    if (inputs[i]!.textB !== undefined) o.textB = inputs[i]!.textB;
    return o;
  });
  return { labelNames: engine.labelNames, predictions };
}

/** Lines of stdin as examples (empty lines skipped; a TAB splits a pair). */
export function examplesFromLines(text: string): ExampleInput[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => {
    const tab = l.indexOf('\t');
    return tab < 0 ? { textA: l } : { textA: l.slice(0, tab), textB: l.slice(tab + 1) };
  });
}

function formatLine(p: PredictOutput, labelNames: string[]): string {
  const text = p.textB === undefined ? p.textA : `${p.textA} | ${p.textB}`;
  if (p.value !== null) return `${p.value.toFixed(4)}\t${text}`;
  const scores = p.scores.map((s, i) => `${labelNames[i] ?? i}=${s.toFixed(3)}`).join(' ');
  return `${p.label}\t(${scores})\t${text}`;
}

async function runPredict(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const [file, textA, textB] = cmd.positionals as [string, string, string | undefined];
  const batchSize = o['batch-size'] === undefined ? 16 : Number(o['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new BitkitError('BK9001', `--batch-size must be a positive integer, not "${o['batch-size']}"`, { hint: '--batch-size 16' });
  let inputs: ExampleInput[];
  if (textA === '-') {
    if (textB !== undefined) throw new BitkitError('BK9001', 'with - (stdin) give no second text', { hint: 'separate the two texts of a pair by a TAB on each line' });
    inputs = examplesFromLines(readFileSync(0, 'utf8'));
  } else {
    inputs = [textB === undefined ? { textA } : { textA, textB }];
  }
  const { labelNames, predictions } = predictTexts(file, inputs, (o['kernels'] as KernelsChoice | undefined) ?? 'auto', batchSize);
  if (o['json']) {
    process.stdout.write(JSON.stringify(predictions, null, 2) + '\n');
  } else {
    for (const p of predictions) process.stdout.write(formatLine(p, labelNames) + '\n');
  }
  return EXIT_OK;
}
