/**
 * `bitkit export CHECKPOINT --format FORMAT [--out FILE]`: writes a trained checkpoint as a deployable file. The
 * formats, their extensions and help come from the table in export-formats.ts.
 */
import { extname } from 'node:path';
import { BitkitError, EXIT_OK } from '../errors.js';
import { selectKernels } from '../kernels/select.js';
import type { KernelsChoice } from '../recipe/types.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import type { CommandSpec, OptionSpec, ParsedCommand } from './command-table.js';
import { EXPORT_FORMATS, exportFormat, type ExportResult } from './export-formats.js';

const formatOption: OptionSpec = {
  name: 'format',
  type: 'string',
  value: 'FORMAT',
  // read at parse/help time, so that formats appended to EXPORT_FORMATS later are offered too
  get choices() {
    return EXPORT_FORMATS.map((f) => f.name);
  },
  get description() {
    return `output format (default bitpack): ${EXPORT_FORMATS.map((f) => `${f.name} = ${f.description}`).join('; ')}`;
  },
};

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'write a checkpoint as a deployable file (.bitpack for the packed 1-bit engine, safetensors, ...)',
  args: ['CHECKPOINT'],
  options: [
    formatOption,
    { name: 'out', type: 'string', value: 'FILE', description: 'output file (default: the checkpoint path with the format\'s extension)' },
    { name: 'kernels', type: 'string', value: 'SET', choices: ['auto', 'reference', 'native', 'wasm'], description: 'kernel set used to binarize and pack (default auto)' },
    { name: 'json', type: 'boolean', description: 'print the result as JSON' },
  ],
  details: [
    'examples:',
    '  bitkit export runs/example/w1a1/best.safetensors --format bitpack --out spam.bitpack',
    '  bitkit predict spam.bitpack "win a free cruise now"',
  ].join('\n'),
  run: runExport,
};

/** The library call behind the command: export `checkpointPath` as `format` to `out` (default: derived). */
export function exportCheckpoint(checkpointPath: string, format: string, out: string | undefined, kernelsChoice: KernelsChoice = 'auto'): ExportResult {
  const f = exportFormat(format);
  const target = out ?? checkpointPath.slice(0, checkpointPath.length - extname(checkpointPath).length) + f.extension;
  if (target === checkpointPath) {
    throw new BitkitError('BK9001', `export would overwrite its input ${checkpointPath}`, { hint: 'pass --out with another file name' });
  }
  const { kernels } = selectKernels(kernelsChoice);
  const checkpoint = loadCheckpoint(checkpointPath, kernels);
  return f.run({ checkpointPath, checkpoint, out: target, kernels });
}

async function runExport(cmd: ParsedCommand): Promise<number> {
  const o = cmd.options;
  const r = exportCheckpoint(cmd.positionals[0]!, (o['format'] as string | undefined) ?? 'bitpack', o['out'] as string | undefined, (o['kernels'] as KernelsChoice | undefined) ?? 'auto');
  if (o['json']) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write([`wrote ${r.path} (${r.bytes} bytes)`, ...r.notes.map((n) => `  ${n}`)].join('\n') + '\n');
  return EXIT_OK;
}
