/**
 * `bitkit distill RECIPE`: runs the recipe's stage chain with a progress display, or JSON-lines events for the
 * VS Code extension (`--events jsonl`). SIGINT/SIGTERM finish the current step, save and exit 130.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { BitkitError, EXIT_CANCELLED, EXIT_OK } from '../errors.js';
import { selectKernels } from '../kernels/select.js';
import type { KernelsChoice, ResolvedRecipe } from '../recipe/types.js';
import { distill } from '../train/distill.js';
import { type EventSink, JsonlSink } from '../train/events.js';
import { TerminalSink } from '../train/progress.js';
import { type CancelToken, StageCancelled } from '../train/stage-loop.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';
import { loadExampleRecipe, loadRecipeForCli, warn } from './recipe-input.js';

export const distillCommand: CommandSpec = {
  name: 'distill',
  summary: 'train the FP teacher (if the recipe asks) and distil it stage by stage into a binarized student',
  args: ['[RECIPE]'],
  options: [
    { name: 'example', type: 'boolean', description: 'run the embedded example recipe (SpamAssassin ham/spam, FP -> W1A2 -> W1A1)' },
    { name: 'stage', type: 'string', value: 'NAME', description: 'run only this stage (its teacher must be done in the run folder)' },
    { name: 'resume', type: 'boolean', description: 'continue the run in the output folder where it stopped' },
    { name: 'fresh', type: 'boolean', description: 'delete the output folder of an earlier run and start over' },
    { name: 'output', type: 'string', value: 'DIR', description: 'run folder (default: the recipe\'s `output`, runs/<name>)' },
    { name: 'events', type: 'string', value: 'FORMAT', choices: ['jsonl'], description: 'machine-readable events on stdout, one JSON object per line' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set (default: the recipe\'s, auto)' },
    { name: 'threads', type: 'string', value: 'N', description: 'threads of the native kernels (0 = all cores; the WASM and reference sets run on one)' },
    { name: 'quiet', type: 'boolean', description: 'no progress line, only stage results' },
  ],
  details: [
    'examples:',
    '  bitkit distill --example              # the embedded example, a few minutes',
    '  bitkit distill sst2.bitkit.yaml --events jsonl',
    '  bitkit distill sst2.bitkit.yaml --resume',
    '',
    'The run folder holds recipe.resolved.json, metrics.jsonl and per stage best.safetensors (best dev metric),',
    'resume.safetensors and summary.json.',
  ].join('\n'),
  run: runDistill,
};

async function runDistill(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const recipeFile = cmd.positionals[0];
  if (recipeFile === undefined && !o['example']) {
    throw new BitkitError('BK9001', 'bitkit distill needs a recipe file', { hint: 'bitkit distill my.bitkit.yaml, or bitkit distill --example for the embedded example (bitkit example DIR writes it out)' });
  }
  const recipe: ResolvedRecipe = recipeFile === undefined ? loadExampleRecipe() : loadRecipeForCli(recipeFile);
  if (typeof o['output'] === 'string') recipe.output = resolve(o['output']);
  if (typeof o['kernels'] === 'string') recipe.kernels = o['kernels'] as KernelsChoice;
  if (typeof o['threads'] === 'string') {
    const n = Number(o['threads']);
    if (!Number.isInteger(n) || n < 0) throw new BitkitError('BK9001', `--threads must be a non-negative integer, not "${o['threads']}"`, { hint: '--threads 0 uses all cores' });
    recipe.threads = n;
  }
  if (o['fresh']) rmSync(recipe.output, { recursive: true, force: true });

  const jsonl = o['events'] === 'jsonl';
  const sink: EventSink = jsonl ? new JsonlSink((line) => process.stdout.write(line)) : new TerminalSink(process.stderr, Boolean(o['quiet']));
  const { kernels, reason, fallback } = selectKernels(recipe.kernels, { threads: recipe.threads });
  // Say which kernel set runs and why; a fallback from a faster set is a warning.
  if (fallback) warn(sink, `kernels: ${reason} (${fallback})`, jsonl);
  else if (!jsonl) process.stderr.write(`kernels: ${kernels.name} (${reason})\n`);

  const cancel: CancelToken = { requested: false };
  const onSignal = () => {
    if (cancel.requested) process.exit(EXIT_CANCELLED); // a second Ctrl-C does not wait for the step
    cancel.requested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await distill(recipe, { kernels, sink, cancel, resume: Boolean(o['resume']), stage: typeof o['stage'] === 'string' ? o['stage'] : undefined });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof StageCancelled) {
      const again = recipeFile === undefined ? 'bitkit distill --example --resume' : `bitkit distill ${recipeFile} --resume`;
      sink.emit({ type: 'cancelled', stage: e.stage, step: e.step, resumeWith: again });
      return EXIT_CANCELLED;
    }
    // The extension reads errors from the event stream too (main() still prints them on stderr).
    if (jsonl && e instanceof BitkitError) sink.emit({ type: 'error', code: e.code, message: e.location ? `${e.location}: ${e.message}` : e.message, hint: e.hint });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
