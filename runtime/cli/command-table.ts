/**
 * The CLI as one declarative table: each command lists its positional arguments and options; the same table
 * parses argv (node:util parseArgs) and produces `--help`. Commands call the library functions a program would.
 */
import { parseArgs } from 'node:util';
import { BitkitError } from '../errors.js';

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. 'N' or 'FILE'. */
  value?: string;
  description: string;
  /** Allowed values (checked on parse, listed in help). */
  choices?: string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, e.g. ['RECIPE'] ('[RECIPE]' for optional, 'FILE...' for many). */
  args: string[];
  options: OptionSpec[];
  /** Extra help text (examples, notes). */
  details?: string;
  run(parsed: ParsedCommand): Promise<number>;
}

export interface ParsedCommand {
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', description: 'show this help' },
  { name: 'debug', type: 'boolean', description: 'print stack traces of errors' },
];

export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const all = [...spec.options, ...COMMON_OPTIONS];
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of all) config[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    throw new BitkitError('BK9001', `bitkit ${spec.name}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}`, {
      hint: `run \`bitkit ${spec.name} --help\` for the options`,
    });
  }
  const options = parsed.values as Record<string, string | boolean | undefined>;
  for (const o of all) {
    const v = options[o.name];
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      throw new BitkitError('BK9001', `bitkit ${spec.name}: --${o.name} must be one of ${o.choices.join(', ')}, not "${v}"`, {
        hint: `run \`bitkit ${spec.name} --help\` for the options`,
      });
    }
  }
  if (!options['help']) {
    const required = spec.args.filter((a) => !a.startsWith('[')).length;
    const variadic = spec.args.some((a) => a.endsWith('...'));
    if (parsed.positionals.length < required || (!variadic && parsed.positionals.length > spec.args.length)) {
      throw new BitkitError('BK9001', `bitkit ${spec.name} expects ${spec.args.join(' ') || 'no arguments'}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`, {
        hint: `usage: ${usage(spec)}`,
      });
    }
  }
  return { positionals: parsed.positionals, options };
}

export function usage(spec: CommandSpec): string {
  return `bitkit ${spec.name} ${spec.args.join(' ')}${spec.options.length ? ' [options]' : ''}`.replace(/\s+/g, ' ').trim();
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, '', `usage: ${usage(spec)}`, '', 'options:'];
  const all = [...spec.options, ...COMMON_OPTIONS];
  const left = all.map((o) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  all.forEach((o, i) => lines.push(left[i]!.padEnd(width) + o.description + (o.choices ? ` (${o.choices.join('|')})` : '')));
  if (spec.details) lines.push('', spec.details);
  return lines.join('\n');
}

export function globalHelp(commands: CommandSpec[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4;
  return [
    `bitkit ${version}: fully binarized transformers (BiT: 1-bit weights, 1-bit activations) on your CPU`,
    '',
    'usage: bitkit <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `bitkit <command> --help` for the options of a command.',
    'Exit codes: 0 ok, 1 failure, 2 bad input (recipe, file, data, flag), 130 cancelled (resume with --resume).',
  ].join('\n');
}
