/**
 * The `bitkit` command: wiring only. Finds the command in the table, parses its options, runs it, and turns
 * errors into exit codes (2 bad input with message and hint, 130 cancelled, 1 anything else).
 */
import { BitkitError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../errors.js';
import { type CommandSpec, commandHelp, globalHelp, parseCommand } from './command-table.js';
import { distillCommand } from './distill-command.js';
import { evalCommand } from './eval-command.js';
import { exampleCommand } from './example-command.js';
import { checkCommand } from './check-command.js';
import { inspectCommand } from './inspect-command.js';
import { profileCommand } from './profile-command.js';
import { exportCommand } from './export-command.js';
import { predictCommand } from './predict-command.js';

export const VERSION = '0.1.0';
export const COMMANDS: CommandSpec[] = [distillCommand, evalCommand, exampleCommand, checkCommand, inspectCommand, profileCommand, exportCommand, predictCommand];

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(globalHelp(COMMANDS, VERSION) + '\n');
    return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(VERSION + '\n');
    return EXIT_OK;
  }
  const debug = rest.includes('--debug');
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      throw new BitkitError('BK9001', `unknown command "${name}"`, { hint: `commands: ${COMMANDS.map((c) => c.name).join(', ')}` });
    }
    const parsed = parseCommand(command, rest);
    if (parsed.options['help']) {
      process.stdout.write(commandHelp(command) + '\n');
      return EXIT_OK;
    }
    return await command.run(parsed);
  } catch (e) {
    if (e instanceof BitkitError) {
      process.stderr.write(e.format() + '\n');
      if (debug) process.stderr.write((e.stack ?? '') + '\n');
      return EXIT_BAD_INPUT;
    }
    const err = e as Error;
    process.stderr.write(`bitkit ${name}: internal error: ${err.message}\n`);
    process.stderr.write(debug ? (err.stack ?? '') + '\n' : '  (run again with --debug for the stack trace, and please report it)\n');
    return EXIT_FAILURE;
  }
}
