/**
 * `bitkit example DIR`: writes the embedded example recipe, to read, edit and run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BitkitError, EXIT_OK } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { EXAMPLE_RECIPE_YAML } from '../recipe/example.js';
import type { CommandSpec, ParsedCommand } from './command-table.js';

export const exampleCommand: CommandSpec = {
  name: 'example',
  summary: 'write the embedded example recipe (example.bitkit.yaml) into a folder',
  args: ['DIR'],
  options: [{ name: 'force', type: 'boolean', description: 'overwrite an existing example.bitkit.yaml' }],
  run: async (cmd: ParsedCommand) => {
    const dir = cmd.positionals[0]!;
    const file = join(dir, 'example.bitkit.yaml');
    if (existsSync(file) && !cmd.options['force']) {
      throw new BitkitError('BK9002', `${file} already exists`, { hint: 'pass --force to overwrite it, or choose another folder', place: { file } });
    }
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, EXAMPLE_RECIPE_YAML);
    process.stdout.write(`wrote ${file}\nrun it with: bitkit distill ${file}\n`);
    return EXIT_OK;
  },
};
