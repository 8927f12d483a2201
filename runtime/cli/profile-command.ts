/**
 * `bitkit profile CHECKPOINT [--engine reference|onnx] [--batch B --seq S --threads T] [--json]`: per-layer latency,
 * throughput and peak memory, and the same for the FP32 teacher on ONNX Runtime with the speed-up
 * (runtime/profile/profile.ts says how each figure is measured).
 */
import { BitkitError, EXIT_OK } from '../errors.js';
import { selectKernels } from '../kernels/select.js';
import { formatProfile, profileCheckpoint, type ProfileEngine } from '../profile/profile.js';
import type { KernelsChoice } from '../recipe/types.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

export const profileCommand: CommandSpec = {
  name: 'profile',
  summary: 'per-layer latency, throughput and memory of a checkpoint vs the FP32 teacher on ONNX Runtime',
  args: ['CHECKPOINT'],
  options: [
    { name: 'engine', type: 'string', value: 'ENGINE', choices: ['reference', 'onnx'], description: 'engine to profile (default reference)' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set of the reference engine (default auto)' },
    { name: 'batch', type: 'string', value: 'B', description: 'batch size (default 1)' },
    { name: 'seq', type: 'string', value: 'S', description: 'sequence length (default 128, at most the model\'s positions)' },
    { name: 'threads', type: 'string', value: 'T', description: 'ONNX Runtime threads (default: all cores)' },
    { name: 'iterations', type: 'string', value: 'N', description: 'timed iterations after one warm-up (default 5)' },
    { name: 'no-teacher', type: 'boolean', description: 'skip the FP32 teacher comparison' },
    { name: 'json', type: 'boolean', description: 'print the report as JSON' },
  ],
  run: runProfile,
};

function intOption(o: ParsedCommand['options'], name: string, dflt: number | undefined): number | undefined {
  const v = o[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BitkitError('BK9001', `--${name} must be a positive integer, not "${String(v)}"`, { hint: `run \`bitkit profile --help\`` });
  return n;
}

async function runProfile(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const { kernels } = selectKernels((o['kernels'] as KernelsChoice | undefined) ?? 'auto');
  const report = await profileCheckpoint(cmd.positionals[0]!, {
    engine: ((o['engine'] as ProfileEngine | undefined) ?? 'reference'),
    kernels,
    batch: intOption(o, 'batch', 1)!,
    seq: intOption(o, 'seq', 128)!,
    threads: intOption(o, 'threads', undefined),
    iterations: intOption(o, 'iterations', 5),
    teacher: !o['no-teacher'],
  });
  process.stdout.write((o['json'] ? JSON.stringify(report, null, 2) : formatProfile(report)) + '\n');
  return EXIT_OK;
}
