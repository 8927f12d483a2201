/**
 * `bitkit check RECIPE...`: the recipe diagnostics on the command line (for CI users); exit 1 on any error.
 * The same checks as the language server: parse + validation, then extra-checks.ts (files and their contents,
 * layer overrides against the teacher's model, advice).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT_FAILURE, EXIT_OK } from '../errors.js';
import { makeDiagnostic, type RecipeDiagnostic, sortDiagnostics } from '../recipe/diagnostics.js';
import { analyzeRecipeSafely, extraDiagnostics } from '../recipe/extra-checks.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'check recipes (syntax, schema, stage graph, layers, files) and print their diagnostics; exit 1 on errors',
  args: ['RECIPE...'],
  options: [{ name: 'json', type: 'boolean', description: 'print the diagnostics as JSON' }],
  run: async (cmd: ParsedCommand) => {
    const all: RecipeDiagnostic[] = [];
    for (const arg of cmd.positionals) {
      const file = resolve(arg);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        const zero = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
        all.push(makeDiagnostic('BK5001', file, zero, { what: 'Recipe', path: file, base: process.cwd(), reason: String(e) }));
        continue;
      }
      const analysis = analyzeRecipeSafely(text, file);
      all.push(...sortDiagnostics([...analysis.diagnostics, ...extraDiagnostics(analysis)]));
    }
    const errors = all.filter((d) => d.severity === 'error').length;
    if (cmd.options['json']) {
      process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    } else {
      // One line per diagnostic in the compiler format editors and CI annotators parse; nothing when all is well.
      for (const d of all) process.stdout.write(`${d.file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message} [${d.code}]\n`);
    }
    return errors > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};
