/**
 * `bitkit inspect FILE [--json] [--html OUT] [--seq S]`: the per-layer table of a checkpoint, Hugging Face folder,
 * .onnx or .bitpack (runtime/io/inspect.ts), as text, JSON, or a self-contained HTML report.
 */
import { writeFileAtomic } from '../io/atomic-write.js';
import { inspectFile } from '../io/inspect.js';
import { BitkitError, EXIT_OK } from '../errors.js';
import { formatInspectTable, renderInspectHtml } from '../profile/inspect-report.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'per-layer bit widths, sizes and MACs of a checkpoint, HF folder, .onnx or .bitpack',
  args: ['FILE'],
  options: [
    { name: 'json', type: 'boolean', description: 'print the report as JSON' },
    { name: 'html', type: 'string', value: 'OUT', description: 'also write a self-contained HTML report with charts' },
    { name: 'seq', type: 'string', value: 'S', description: 'sequence length the MACs are counted for (default 128)' },
  ],
  details: 'Examples:\n  bitkit inspect runs/example/w1a1/best.safetensors\n  bitkit inspect model.onnx --html report.html',
  run: runInspect,
};

async function runInspect(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const seq = o['seq'] === undefined ? 128 : Number(o['seq']);
  if (!Number.isInteger(seq) || seq < 1 || seq > 1 << 20) throw new BitkitError('BK9001', `--seq must be a positive integer, not "${o['seq']}"`, { hint: '--seq 128' });
  const report = inspectFile(cmd.positionals[0]!, { seq });
  if (typeof o['html'] === 'string') writeFileAtomic(o['html'], [new TextEncoder().encode(renderInspectHtml(report))]);
  if (o['json']) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatInspectTable(report) + '\n' + (typeof o['html'] === 'string' ? `HTML report: ${o['html']}\n` : ''));
  return EXIT_OK;
}
